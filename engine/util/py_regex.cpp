#define PCRE2_CODE_UNIT_WIDTH 8
#include "engine/util/py_regex.hpp"

#include <pcre2.h>

#include <algorithm>
#include <cctype>

#include "engine/util/error.hpp"

namespace upkeep {

// Backtracking budget of one match: far above any sane config-file edit, far
// below "minutes of CPU" or "gigabytes of heap" on a hostile subject.
constexpr uint32_t k_match_limit = 10'000'000;
constexpr uint32_t k_depth_limit = 10'000'000;
constexpr uint32_t k_heap_limit_kib = 256 * 1024;

struct PyRegexCode {
    pcre2_code* bytes = nullptr;  // for subjects that are not valid UTF-8
    pcre2_code* text = nullptr;   // UTF + UCP, for valid UTF-8 subjects (nullptr: pattern not UTF-8)
    pcre2_match_context* mctx = nullptr;
    ~PyRegexCode() {
        if (bytes) pcre2_code_free(bytes);
        if (text) pcre2_code_free(text);
        if (mctx) pcre2_match_context_free(mctx);
    }
};

namespace {

[[noreturn]] void bad(const std::string& pattern, const std::string& why) {
    throw UserError("bad regexp '" + pattern + "': " + why);
}

std::string pcre2_message(int code) {
    PCRE2_UCHAR buf[256];
    if (pcre2_get_error_message(code, buf, sizeof buf) < 0) return "error " + std::to_string(code);
    return reinterpret_cast<const char*>(buf);
}

bool read_name(const std::string& p, size_t& i, char close, std::string& name) {
    size_t end = p.find(close, i);
    if (end == std::string::npos) return false;
    name = p.substr(i, end - i);
    i = end + 1;
    return !name.empty();
}

// Python spellings PCRE2 reads differently: \Z is PCRE2's \z (the very end),
// \UXXXXXXXX is \x{XXXXXXXX}. Character classes are copied as they are, but a
// ']' first in a class is a literal in both, so nothing else needs care.
std::string translate(const std::string& p) {
    std::string out;
    out.reserve(p.size());
    bool in_class = false;
    for (size_t i = 0; i < p.size(); ++i) {
        char c = p[i];
        if (c == '\\' && i + 1 < p.size()) {
            char n = p[i + 1];
            if (!in_class && n == 'Z') {
                out += "\\z";
            } else if (n == 'U' && i + 9 < p.size() + 0 && i + 10 <= p.size() &&
                       std::all_of(p.begin() + static_cast<long>(i) + 2, p.begin() + static_cast<long>(i) + 10,
                                   [](char h) { return std::isxdigit(static_cast<unsigned char>(h)); })) {
                out += "\\x{" + p.substr(i + 2, 8) + "}";
                i += 8;
            } else {
                out += c;
                out += n;
            }
            ++i;
            continue;
        }
        if (in_class) {
            if (c == ']') in_class = false;
        } else if (c == '{' && i + 1 < p.size() && p[i + 1] == ',') {
            // Python's {,n} is {0,n}; PCRE2 would read it as literal text.
            size_t j = i + 2;
            while (j < p.size() && std::isdigit(static_cast<unsigned char>(p[j]))) ++j;
            if (j > i + 2 && j < p.size() && p[j] == '}') {
                out += "{0";
                continue;
            }
        } else if (c == '[') {
            in_class = true;
            out += c;
            if (i + 1 < p.size() && p[i + 1] == '^') out += p[++i];
            if (i + 1 < p.size() && p[i + 1] == ']') out += p[++i];
            continue;
        }
        out += c;
    }
    return out;
}

pcre2_code* compile(const std::string& pattern, const std::string& translated, uint32_t options, bool report) {
    int err = 0;
    PCRE2_SIZE offset = 0;
    pcre2_compile_context* cctx = pcre2_compile_context_create(nullptr);
    // Python: \x takes exactly two hex digits, \u four; \x{...} also works.
    pcre2_set_compile_extra_options(cctx, PCRE2_EXTRA_ALT_BSUX);
    pcre2_code* code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(translated.data()), translated.size(),
                                     options | PCRE2_ALT_BSUX, &err, &offset, cctx);
    pcre2_compile_context_free(cctx);
    if (!code && report) {
        std::string why = pcre2_message(err);
        if (why.find("missing terminating ] for character class") != std::string::npos) why = "unterminated character set";
        if (why.find("reference to non-existent subpattern") != std::string::npos ||
            why.find("group name") != std::string::npos)
            why += " (unknown group name)";
        bad(pattern, why + " at offset " + std::to_string(offset));
    }
    return code;
}

// Python semantics for an unknown (?P=name): "unknown group name 'y'".
void check_named_refs(const std::string& p) {
    std::vector<std::string> defined;
    for (size_t i = 0; (i = p.find("(?P", i)) != std::string::npos; ++i) {
        if (i > 0 && p[i - 1] == '\\') continue;
        size_t j = i + 4;
        std::string name;
        if (p.compare(i, 4, "(?P<") == 0) {
            if (!read_name(p, j, '>', name)) bad(p, "bad group name");
            defined.push_back(name);
        } else if (p.compare(i, 4, "(?P=") == 0) {
            if (!read_name(p, j, ')', name)) bad(p, "bad group reference");
            if (std::find(defined.begin(), defined.end(), name) == defined.end()) bad(p, "unknown group name '" + name + "'");
        }
    }
}

// True when `s` is well-formed UTF-8 (the subject is then matched as text).
bool valid_utf8(std::string_view s) {
    size_t i = 0, n = s.size();
    while (i < n) {
        unsigned char c = static_cast<unsigned char>(s[i]);
        if (c < 0x80) {
            ++i;
            continue;
        }
        size_t len = (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
        if (!len || i + len > n) return false;
        uint32_t cp = c & (0xFF >> (len + 1));
        for (size_t k = 1; k < len; ++k) {
            unsigned char d = static_cast<unsigned char>(s[i + k]);
            if ((d & 0xC0) != 0x80) return false;
            cp = (cp << 6) | (d & 0x3F);
        }
        if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
            (cp >= 0xD800 && cp <= 0xDFFF))
            return false;
        i += len;
    }
    return true;
}

[[noreturn]] void limit_error(const PyRegex& re, int rc) {
    throw TaskError("regexp '" + re.pattern + "' is too expensive on this input (" + pcre2_message(rc) +
                    "); simplify it, e.g. avoid nested repetition such as (a+)+");
}

// One pcre2_match at `start`; fills `m` (relative to the whole subject).
bool match_at(const PyRegex& re, std::string_view text, size_t start, uint32_t opts, bool as_text, PyMatch* m) {
    const PyRegexCode& c = *re.code;
    pcre2_code* code = as_text && c.text ? c.text : c.bytes;
    pcre2_match_data* md = pcre2_match_data_create_from_pattern(code, nullptr);
    if (!md) throw TaskError("out of memory matching regexp '" + re.pattern + "'");
    // The subject was checked once (valid_utf8): skip PCRE2's check per call.
    if (code == c.text) opts |= PCRE2_NO_UTF_CHECK;
    int rc = pcre2_match(code, reinterpret_cast<PCRE2_SPTR>(text.data()), text.size(), start, opts, md, c.mctx);
    if (rc < 0) {
        pcre2_match_data_free(md);
        if (rc == PCRE2_ERROR_NOMATCH) return false;
        if (rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT || rc == PCRE2_ERROR_HEAPLIMIT) limit_error(re, rc);
        throw TaskError("regexp '" + re.pattern + "': " + pcre2_message(rc));
    }
    if (m) {
        uint32_t groups = 0;
        pcre2_pattern_info(code, PCRE2_INFO_CAPTURECOUNT, &groups);
        PCRE2_SIZE* ov = pcre2_get_ovector_pointer(md);
        m->m_groups.assign(groups + 1, PyMatch::Group{});
        for (uint32_t i = 0; i <= groups && static_cast<int>(i) < rc; ++i) {
            if (ov[2 * i] == PCRE2_UNSET) continue;
            auto& g = m->m_groups[i];
            g.matched = true;
            g.start = ov[2 * i];
            g.end = ov[2 * i + 1];
            g.text = text.substr(g.start, g.end - g.start);
        }
    }
    pcre2_match_data_free(md);
    return true;
}

}  // namespace

PyRegex compile_py_regex(const std::string& pattern, PyRegexFlags flags) {
    PyRegex out;
    out.pattern = pattern;
    check_named_refs(pattern);
    std::string translated = translate(pattern);
    uint32_t options = 0;
    // Python's MULTILINE ^ also matches after a newline that ends the text.
    if (flags.multiline) options |= PCRE2_MULTILINE | PCRE2_ALT_CIRCUMFLEX;
    if (flags.dotall) options |= PCRE2_DOTALL;
    if (flags.icase) options |= PCRE2_CASELESS;
    auto code = std::make_shared<PyRegexCode>();
    code->bytes = compile(pattern, translated, options, true);
    if (valid_utf8(translated)) code->text = compile(pattern, translated, options | PCRE2_UTF | PCRE2_UCP, false);
    code->mctx = pcre2_match_context_create(nullptr);
    pcre2_set_match_limit(code->mctx, k_match_limit);
    pcre2_set_depth_limit(code->mctx, k_depth_limit);
    pcre2_set_heap_limit(code->mctx, k_heap_limit_kib);

    uint32_t groups = 0, names = 0, entry = 0;
    PCRE2_SPTR table = nullptr;
    pcre2_pattern_info(code->bytes, PCRE2_INFO_CAPTURECOUNT, &groups);
    pcre2_pattern_info(code->bytes, PCRE2_INFO_NAMECOUNT, &names);
    pcre2_pattern_info(code->bytes, PCRE2_INFO_NAMEENTRYSIZE, &entry);
    pcre2_pattern_info(code->bytes, PCRE2_INFO_NAMETABLE, &table);
    out.group_names.assign(groups, "");
    for (uint32_t i = 0; i < names; ++i) {
        const unsigned char* e = table + i * entry;
        uint32_t num = (static_cast<uint32_t>(e[0]) << 8) | e[1];
        if (num >= 1 && num <= groups) out.group_names[num - 1] = reinterpret_cast<const char*>(e + 2);
    }
    out.code = std::move(code);
    return out;
}

bool py_search(const PyRegex& re, std::string_view text, PyMatch* m) {
    return match_at(re, text, 0, 0, valid_utf8(text), m);
}

bool py_match(const PyRegex& re, std::string_view text, PyMatch* m) {
    return match_at(re, text, 0, PCRE2_ANCHORED, valid_utf8(text), m);
}

bool py_fullmatch(const PyRegex& re, std::string_view text, PyMatch* m) {
    return match_at(re, text, 0, PCRE2_ANCHORED | PCRE2_ENDANCHORED, valid_utf8(text), m);
}

std::string py_expand(const PyRegex& re, const PyMatch& m, const std::string& tmpl) {
    std::string out;
    auto group = [&](size_t n) {
        if (n >= m.size()) throw UserError("invalid group reference " + std::to_string(n) + " in '" + tmpl + "'");
        if (m[n].matched) out += m[n].text;
    };
    for (size_t i = 0; i < tmpl.size(); ++i) {
        char c = tmpl[i];
        if (c != '\\' || i + 1 >= tmpl.size()) {
            out += c;
            continue;
        }
        char n = tmpl[++i];
        if (n >= '1' && n <= '9') {
            size_t num = static_cast<size_t>(n - '0');
            if (i + 1 < tmpl.size() && std::isdigit(static_cast<unsigned char>(tmpl[i + 1])))
                num = num * 10 + static_cast<size_t>(tmpl[++i] - '0');
            group(num);
        } else if (n == 'g') {
            size_t j = i + 1;
            std::string name;
            if (j >= tmpl.size() || tmpl[j] != '<' || !read_name(tmpl, ++j, '>', name))
                throw UserError("bad group reference in '" + tmpl + "' (write \\g<1> or \\g<name>)");
            if (name.find_first_not_of("0123456789") == std::string::npos) {
                group(std::stoul(name));
            } else {
                auto it = std::find(re.group_names.begin(), re.group_names.end(), name);
                if (it == re.group_names.end()) throw UserError("unknown group name '" + name + "' in '" + tmpl + "'");
                group(static_cast<size_t>(it - re.group_names.begin() + 1));
            }
            i = j - 1;
        } else {
            switch (n) {
                case 'n': out += '\n'; break;
                case 't': out += '\t'; break;
                case 'r': out += '\r'; break;
                case 'f': out += '\f'; break;
                case 'v': out += '\v'; break;
                case 'a': out += '\a'; break;
                case '\\': out += '\\'; break;
                case '0': out += '\0'; break;
                default:
                    if (std::isalpha(static_cast<unsigned char>(n)))
                        throw UserError(std::string("bad escape \\") + n + " in '" + tmpl + "'");
                    out += '\\';
                    out += n;
            }
        }
    }
    return out;
}

std::string py_subn(const PyRegex& re, const std::string& tmpl, std::string_view text, size_t* count) {
    std::string out;
    size_t n = 0, pos = 0;
    bool as_text = valid_utf8(text);
    bool last_empty = false;  // the previous match was empty and ended at `pos`
    PyMatch m;
    while (pos <= text.size()) {
        // After an empty match, Python 3.7 allows a non-empty match at the same
        // place; otherwise the search moves one character on.
        bool found = last_empty ? match_at(re, text, pos, PCRE2_NOTEMPTY_ATSTART | PCRE2_ANCHORED, as_text, &m)
                                : match_at(re, text, pos, 0, as_text, &m);
        if (!found && last_empty) {
            if (pos >= text.size()) break;
            size_t step = 1;
            if (as_text)  // one whole character, not one byte of it
                while (pos + step < text.size() && (static_cast<unsigned char>(text[pos + step]) & 0xC0) == 0x80) ++step;
            out.append(text.substr(pos, step));
            pos += step;
            last_empty = false;
            continue;
        }
        if (!found) break;
        size_t start = m.position(0), end = start + m.length(0);
        out.append(text.substr(pos, start - pos));
        out += py_expand(re, m, tmpl);
        ++n;
        pos = end;
        last_empty = start == end;
    }
    if (pos < text.size()) out.append(text.substr(pos));
    if (count) *count = n;
    return out;
}

}  // namespace upkeep
