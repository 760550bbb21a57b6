// Small string helpers shared across the engine (no I/O here).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace upkeep {

std::string to_lower(std::string_view s);
std::string trim(std::string_view s);
bool starts_with(std::string_view s, std::string_view prefix);
bool ends_with(std::string_view s, std::string_view suffix);
std::vector<std::string> split(std::string_view s, char sep);
// Splits text into lines, keeping each line's terminator ("\n" or "\r\n").
std::vector<std::string> split_lines_keep(std::string_view text);
// The same lines as views into `text` (which must outlive them): no copy of a large file.
std::vector<std::string_view> split_lines_view(std::string_view text);
std::string join(const std::vector<std::string>& parts, std::string_view sep);
// The views' bytes one after another, in one allocation (lines kept as views).
std::string concat(const std::vector<std::string_view>& parts);
std::string json_quote(std::string_view s);
// Quotes a word for a POSIX shell: 'it'\''s'.
std::string shell_quote(std::string_view s);
// Damerau-free Levenshtein distance, for "did you mean" suggestions.
size_t edit_distance(std::string_view a, std::string_view b);
// The closest candidate within a small distance, or "" when none is close.
std::string closest_match(std::string_view word, const std::vector<std::string>& candidates);
// Splits a command line into words like a POSIX shell (quotes, backslashes),
// without expanding anything. Throws UserError on an unterminated quote.
std::vector<std::string> split_shell_words(const std::string& line);
// Appends a code point (at most 0x10FFFF) as UTF-8; a lone surrogate is written as
// its 3-byte form.
void append_utf8(std::string& out, uint32_t cp);
// Replaces every occurrence of each secret with the mask.
std::string mask_secrets(std::string text, const std::vector<std::string>& secrets);

}  // namespace upkeep
