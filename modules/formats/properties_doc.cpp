#include "modules/formats/properties_doc.hpp"

#include <cstdio>
#include <memory>

#include "engine/util/error.hpp"
#include "modules/formats/text_pos.hpp"

namespace upkeep::properties {
namespace {

// Java's whitespace in properties files (not \v, not other Unicode spaces).
bool is_ws(char c) { return c == ' ' || c == '\t' || c == '\f'; }
bool is_eol(char c) { return c == '\n' || c == '\r'; }

size_t eol_length(std::string_view text, size_t pos) {
    if (pos >= text.size()) return 0;
    if (text[pos] == '\r') return pos + 1 < text.size() && text[pos + 1] == '\n' ? 2 : 1;
    return text[pos] == '\n' ? 1 : 0;
}

int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// A logical line: its characters and, for each, the byte offset in the file.
struct Logical {
    std::string buf;
    std::vector<size_t> offs;
};

// Decodes escapes of buf[begin, end) (Java's loadConvert) into UTF-8.
std::string convert(const Logical& l, size_t begin, size_t end, const TextPos& pos) {
    std::string out;
    for (size_t i = begin; i < end; ++i) {
        char c = l.buf[i];
        if (c != '\\') {
            out += c;
            continue;
        }
        if (++i >= end) break;
        c = l.buf[i];
        switch (c) {
            case 't': out += '\t'; break;
            case 'n': out += '\n'; break;
            case 'r': out += '\r'; break;
            case 'f': out += '\f'; break;
            case 'u': {
                auto read_unit = [&](size_t at) -> int {
                    if (at + 4 > end) return -1;
                    int v = 0;
                    for (size_t k = at; k < at + 4; ++k) {
                        int h = hex_digit(l.buf[k]);
                        if (h < 0) return -1;
                        v = v * 16 + h;
                    }
                    return v;
                };
                int unit = read_unit(i + 1);
                if (unit < 0) throw pos.error(l.offs[i - 1], "malformed \\uXXXX escape (need four hex digits)");
                i += 4;
                uint32_t cp = static_cast<uint32_t>(unit);
                // A surrogate pair written as two escapes is one code point.
                if (unit >= 0xD800 && unit <= 0xDBFF && i + 2 < end && l.buf[i + 1] == '\\' && l.buf[i + 2] == 'u') {
                    int low = read_unit(i + 3);
                    if (low >= 0xDC00 && low <= 0xDFFF) {
                        cp = 0x10000 + ((static_cast<uint32_t>(unit) - 0xD800) << 10) + (static_cast<uint32_t>(low) - 0xDC00);
                        i += 6;
                    }
                }
                append_utf8(out, cp);
                break;
            }
            default: out += c;
        }
    }
    return out;
}

// Reads the logical line starting at `p`: physical lines joined where one ends in an
// odd number of backslashes, the next one's leading blanks dropped. `end` is set to
// where the last physical line's text ends (before its line break).
Logical read_logical_line(std::string_view text, size_t p, const TextPos& pos, size_t& end) {
    size_t n = text.size();
    Logical l;
    size_t q = p;
    for (;;) {
        bool backslash = false;
        while (q < n && !is_eol(text[q])) {
            backslash = text[q] == '\\' ? !backslash : false;
            l.buf += text[q];
            l.offs.push_back(q);
            ++q;
        }
        if (!backslash) {
            end = q;
            return l;
        }
        size_t slash = l.offs.back();
        l.buf.pop_back();
        l.offs.pop_back();
        q += eol_length(text, q);
        if (q >= n) throw pos.error(slash, "line continuation (a trailing backslash) at the end of the file");
        while (q < n && is_ws(text[q])) ++q;
        if (q == n) {
            end = q;
            return l;
        }
    }
}

struct KeyValueSplit {
    size_t key_len = 0, value_start = 0;
    bool sep_found = false;  // a separator ('=', ':' or a blank) follows the key
};

// Key/value split, as java.util.Properties.load0.
KeyValueSplit split_key_value(const Logical& l) {
    KeyValueSplit kv;
    kv.value_start = l.buf.size();
    bool has_sep = false, preceding = false;
    while (kv.key_len < l.buf.size()) {
        char c = l.buf[kv.key_len];
        if ((c == '=' || c == ':') && !preceding) {
            kv.value_start = kv.key_len + 1;
            has_sep = kv.sep_found = true;
            break;
        }
        if (is_ws(c) && !preceding) {
            kv.value_start = kv.key_len + 1;
            kv.sep_found = true;
            break;
        }
        preceding = c == '\\' ? !preceding : false;
        ++kv.key_len;
    }
    while (kv.value_start < l.buf.size()) {
        char c = l.buf[kv.value_start];
        if (!is_ws(c)) {
            if (!has_sep && (c == '=' || c == ':'))
                has_sep = true;
            else
                break;
        }
        ++kv.value_start;
    }
    return kv;
}

}  // namespace

Document Document::parse(std::string_view text, const std::string& filename) {
    Document doc;
    TextPos pos(text, filename);
    doc.m_newline = detect_newline(text);
    doc.m_ascii_escapes = !valid_utf8(text);
    size_t n = text.size();
    size_t at = 0;
    std::string trivia;
    auto flush_trivia = [&] {
        if (trivia.empty()) return;
        Piece p;
        p.raw = std::move(trivia);
        doc.m_pieces.push_back(std::move(p));
        trivia.clear();
    };
    while (at < n) {
        size_t p = at;
        while (p < n && is_ws(text[p])) ++p;
        if (p == n || is_eol(text[p]) || text[p] == '#' || text[p] == '!') {
            // Blank or comment line: never continued, even when it ends in a backslash.
            size_t e = p;
            while (e < n && !is_eol(text[e])) ++e;
            e += eol_length(text, e);
            trivia.append(text.substr(at, e - at));
            at = e;
            continue;
        }
        flush_trivia();
        size_t logical_end = 0;
        Logical l = read_logical_line(text, p, pos, logical_end);
        KeyValueSplit kv = split_key_value(l);
        Piece piece;
        piece.is_entry = true;
        piece.key = convert(l, 0, kv.key_len, pos);
        piece.value = convert(l, kv.value_start, l.buf.size(), pos);
        piece.has_separator = kv.sep_found;
        size_t raw_begin = at;
        size_t raw_end = logical_end + eol_length(text, logical_end);
        piece.raw = std::string(text.substr(raw_begin, raw_end - raw_begin));
        piece.value_begin = (kv.value_start < l.buf.size() ? l.offs[kv.value_start] : logical_end) - raw_begin;
        piece.value_end = logical_end - raw_begin;
        piece.line = pos.line_of(p);
        doc.m_pieces.push_back(std::move(piece));
        at = raw_end;
    }
    flush_trivia();
    for (const auto& piece : doc.m_pieces)
        if (piece.is_entry && piece.raw.find("\\u") != std::string::npos) doc.m_ascii_escapes = true;
    return doc;
}

std::string Document::render() const {
    std::string out;
    for (const auto& p : m_pieces) out += p.raw;
    return out;
}

std::vector<Entry> Document::entries() const {
    std::vector<Entry> out;
    for (const auto& p : m_pieces)
        if (p.is_entry) out.push_back({p.key, p.value, p.line});
    return out;
}

int Document::find_last(const std::string& key) const {
    for (int i = static_cast<int>(m_pieces.size()) - 1; i >= 0; --i)
        if (m_pieces[i].is_entry && m_pieces[i].key == key) return i;
    return -1;
}

std::optional<std::string> Document::get(const std::string& key) const {
    int i = find_last(key);
    if (i < 0) return std::nullopt;
    return m_pieces[i].value;
}

std::vector<std::string> Document::comments_above(const std::string& key) const {
    int i = find_last(key);
    if (i <= 0 || m_pieces[i - 1].is_entry) return {};
    // The trivia's lines, each with its line ending.
    std::vector<std::string> lines;
    const std::string& raw = m_pieces[i - 1].raw;
    for (size_t at = 0; at < raw.size();) {
        size_t e = at;
        while (e < raw.size() && raw[e] != '\n' && raw[e] != '\r') ++e;
        if (e < raw.size()) e += (raw[e] == '\r' && e + 1 < raw.size() && raw[e + 1] == '\n') ? 2 : 1;
        lines.push_back(raw.substr(at, e - at));
        at = e;
    }
    std::vector<std::string> out;
    for (size_t j = lines.size(); j-- > 0;) {
        size_t p = lines[j].find_first_not_of(" \t\f");
        if (p == std::string::npos || (lines[j][p] != '#' && lines[j][p] != '!')) break;
        out.insert(out.begin(), lines[j]);
    }
    return out;
}

bool Document::insert_above(const std::string& key, const std::string& raw) {
    int i = find_last(key);
    if (i < 0) return false;
    if (i > 0 && !m_pieces[i - 1].is_entry) {
        m_pieces[i - 1].raw += raw;
    } else {
        Piece p;
        p.raw = raw;
        m_pieces.insert(m_pieces.begin() + i, std::move(p));
    }
    renumber();
    return true;
}

void Document::renumber() {
    int line = 1;
    for (auto& p : m_pieces) {
        if (p.is_entry) {
            // The entry's first line is its first non-blank line (leading whitespace is on it).
            p.line = line;
        }
        for (size_t i = 0; i < p.raw.size(); ++i) {
            if (p.raw[i] == '\n' || (p.raw[i] == '\r' && (i + 1 >= p.raw.size() || p.raw[i + 1] != '\n'))) ++line;
        }
    }
}

std::string encode_value_text(const std::string& value, bool ascii_escapes) {
    std::string out;
    char buf[16];
    auto unit = [&](uint32_t u) {
        std::snprintf(buf, sizeof buf, "\\u%04X", u);
        out += buf;
    };
    for (size_t i = 0; i < value.size();) {
        unsigned char c = static_cast<unsigned char>(value[i]);
        if (c < 0x80) {
            switch (c) {
                case '\\': out += "\\\\"; break;
                case '\t': out += "\\t"; break;
                case '\n': out += "\\n"; break;
                case '\r': out += "\\r"; break;
                case '\f': out += "\\f"; break;
                case ' ': out += i == 0 ? "\\ " : " "; break;
                case '=':
                case ':':
                    // A leading separator character would merge into a whitespace separator ("key =x").
                    if (i == 0) out += '\\';
                    out += static_cast<char>(c);
                    break;
                default:
                    if (c < 0x20 || c == 0x7f)
                        unit(c);
                    else
                        out += static_cast<char>(c);
            }
            ++i;
            continue;
        }
        size_t len = utf8_sequence_length(value, i);
        if (!ascii_escapes) {
            out.append(value, i, len == 0 ? 1 : len);
            i += len == 0 ? 1 : len;
            continue;
        }
        if (len == 0) {  // not UTF-8 (a Latin-1 file): the byte is kept as it is, so it reads back the same
            out += static_cast<char>(c);
            ++i;
            continue;
        }
        uint32_t cp = decode_utf8(value, i, len);
        if (cp >= 0x10000) {
            cp -= 0x10000;
            unit(0xD800 + (cp >> 10));
            unit(0xDC00 + (cp & 0x3FF));
        } else {
            unit(cp);
        }
        i += len;
    }
    return out;
}

std::string Document::encode_value(const std::string& value) const { return encode_value_text(value, m_ascii_escapes); }

std::string Document::encode_key(const std::string& key) const {
    // Separators and comment starters are escaped everywhere in a key, like Java's store().
    std::string out, run;
    for (char c : key) {
        if (c == ' ' || c == '=' || c == ':' || c == '#' || c == '!') {
            out += encode_value_text(run, m_ascii_escapes);
            run.clear();
            out += '\\';
            out += c;
        } else {
            run += c;
        }
    }
    return out + encode_value_text(run, m_ascii_escapes);
}

bool Document::set_piece_value(Piece& p, const std::string& value) {
    if (p.value == value) return false;
    std::string text = encode_value(value);
    if (!p.has_separator) text = "=" + text;
    p.raw.replace(p.value_begin, p.value_end - p.value_begin, text);
    p.value_end = p.value_begin + text.size();
    if (!p.has_separator) {
        p.value_begin += 1;
        p.has_separator = true;
    }
    p.value = value;
    renumber();
    return true;
}

bool Document::replace_existing(const std::string& key, const std::string& value) {
    int i = find_last(key);
    return i >= 0 && set_piece_value(m_pieces[i], value);
}

bool Document::set_entry_value(size_t n, const std::string& value) {
    for (auto& p : m_pieces) {
        if (!p.is_entry) continue;
        if (n-- == 0) return set_piece_value(p, value);
    }
    return false;
}

bool Document::set(const std::string& key, const std::string& value) {
    if (find_last(key) >= 0) return replace_existing(key, value);
    if (!m_pieces.empty()) {
        std::string& last = m_pieces.back().raw;
        if (!last.empty() && last.back() != '\n' && last.back() != '\r') last += m_newline;
    }
    Piece p;
    p.is_entry = true;
    p.key = key;
    p.value = value;
    p.has_separator = true;
    std::string k = encode_key(key);
    p.raw = k + "=" + encode_value(value);
    p.value_begin = k.size() + 1;
    p.value_end = p.raw.size();
    p.raw += m_newline;
    m_pieces.push_back(std::move(p));
    renumber();
    return true;
}

bool Document::remove(const std::string& key) {
    size_t before = m_pieces.size();
    std::erase_if(m_pieces, [&](const Piece& p) { return p.is_entry && p.key == key; });
    if (m_pieces.size() == before) return false;
    renumber();
    return true;
}

}  // namespace upkeep::properties
