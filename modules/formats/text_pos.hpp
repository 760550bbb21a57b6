// Helpers shared by the lossless config-file parsers: byte offset -> line:col
// for error marks, line-ending detection and small UTF-8 utilities.
#pragma once

#include "engine/util/strings.hpp"  // append_utf8

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "engine/util/error.hpp"

namespace upkeep {

// Maps byte offsets of one text to 1-based line and column (in bytes). A line
// ends at "\n", "\r\n" or a lone "\r".
class TextPos {
public:
    TextPos(std::string_view text, const std::string& filename);
    int line_of(size_t offset) const;
    int col_of(size_t offset) const;
    Mark mark(size_t offset) const;
    // A UserError at the offset: "file:line:col: message".
    UserError error(size_t offset, const std::string& message) const;

private:
    std::shared_ptr<const std::string> m_file;
    std::vector<size_t> m_line_starts;
};

// "\r\n" when the first line ending of the text is CRLF, else "\n".
std::string detect_newline(std::string_view text);
bool valid_utf8(std::string_view text);
// The length of the UTF-8 sequence starting at `i`, or 0 when it is not valid UTF-8.
size_t utf8_sequence_length(std::string_view s, size_t i);
// The code point of the valid sequence of `len` bytes at `i`.
uint32_t decode_utf8(std::string_view s, size_t i, size_t len);

// A text split into lines that keep their endings, joined back byte-identically.
struct RawLine {
    std::string text;  // without the line ending
    std::string eol;   // "\n", "\r\n", "\r" or "" (last line without one)
};
std::vector<RawLine> split_raw_lines(std::string_view text);

}  // namespace upkeep
