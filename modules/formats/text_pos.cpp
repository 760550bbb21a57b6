#include "modules/formats/text_pos.hpp"

#include <algorithm>

namespace upkeep {

TextPos::TextPos(std::string_view text, const std::string& filename)
    : m_file(std::make_shared<const std::string>(filename)) {
    m_line_starts.push_back(0);
    for (size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '\n' || (text[i] == '\r' && (i + 1 >= text.size() || text[i + 1] != '\n')))
            m_line_starts.push_back(i + 1);
    }
}

int TextPos::line_of(size_t offset) const {
    auto it = std::upper_bound(m_line_starts.begin(), m_line_starts.end(), offset);
    return static_cast<int>(it - m_line_starts.begin());
}

int TextPos::col_of(size_t offset) const {
    return static_cast<int>(offset - m_line_starts[line_of(offset) - 1]) + 1;
}

Mark TextPos::mark(size_t offset) const { return Mark{m_file, line_of(offset), col_of(offset)}; }

UserError TextPos::error(size_t offset, const std::string& message) const { return UserError(mark(offset), message); }

std::string detect_newline(std::string_view text) {
    size_t nl = text.find('\n');
    return nl != std::string_view::npos && nl > 0 && text[nl - 1] == '\r' ? "\r\n" : "\n";
}

size_t utf8_sequence_length(std::string_view s, size_t i) {
    auto b = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
    unsigned char c = b(i);
    size_t len;
    uint32_t min;
    if (c < 0x80) return 1;
    if ((c & 0xE0) == 0xC0) {
        len = 2;
        min = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
        len = 3;
        min = 0x800;
    } else if ((c & 0xF8) == 0xF0) {
        len = 4;
        min = 0x10000;
    } else {
        return 0;
    }
    if (i + len > s.size()) return 0;
    for (size_t k = 1; k < len; ++k)
        if ((b(i + k) & 0xC0) != 0x80) return 0;
    uint32_t cp = decode_utf8(s, i, len);
    if (cp < min || cp > 0x10FFFF) return 0;
    return len;
}

uint32_t decode_utf8(std::string_view s, size_t i, size_t len) {
    auto b = [&](size_t k) { return static_cast<uint32_t>(static_cast<unsigned char>(s[k])); };
    if (len == 1) return b(i);
    uint32_t cp = b(i) & (0xFF >> (len + 1));
    for (size_t k = 1; k < len; ++k) cp = (cp << 6) | (b(i + k) & 0x3F);
    return cp;
}

bool valid_utf8(std::string_view text) {
    for (size_t i = 0; i < text.size();) {
        size_t len = utf8_sequence_length(text, i);
        if (len == 0) return false;
        i += len;
    }
    return true;
}

std::vector<RawLine> split_raw_lines(std::string_view text) {
    std::vector<RawLine> out;
    size_t start = 0;
    while (start < text.size()) {
        size_t e = start;
        while (e < text.size() && text[e] != '\n' && text[e] != '\r') ++e;
        RawLine l{std::string(text.substr(start, e - start)), ""};
        if (e < text.size()) {
            size_t len = text[e] == '\r' && e + 1 < text.size() && text[e + 1] == '\n' ? 2 : 1;
            l.eol = std::string(text.substr(e, len));
            e += len;
        }
        out.push_back(std::move(l));
        start = e;
    }
    return out;
}

}  // namespace upkeep
