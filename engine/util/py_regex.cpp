#include "engine/util/py_regex.hpp"

#include <algorithm>

#include "engine/util/error.hpp"

namespace upkeep {

namespace {

[[noreturn]] void bad(const std::string& pattern, const std::string& why) {
    throw UserError("bad regexp '" + pattern + "': " + why);
}

bool read_name(const std::string& p, size_t& i, char close, std::string& name) {
    size_t end = p.find(close, i);
    if (end == std::string::npos) return false;
    name = p.substr(i, end - i);
    i = end + 1;
    return !name.empty();
}

}  // namespace

PyRegex compile_py_regex(const std::string& pattern, PyRegexFlags flags) {
    PyRegex out;
    out.pattern = pattern;
    const std::string& p = pattern;
    size_t i = 0;
    // Leading inline flags: (?i), (?m), (?s), (?ims)...
    while (p.compare(i, 2, "(?") == 0 && i + 2 < p.size() && std::string("imsx").find(p[i + 2]) != std::string::npos) {
        size_t j = i + 2;
        while (j < p.size() && std::string("imsx").find(p[j]) != std::string::npos) ++j;
        if (j >= p.size() || p[j] != ')') break;
        for (size_t k = i + 2; k < j; ++k) {
            if (p[k] == 'i') flags.icase = true;
            if (p[k] == 'm') flags.multiline = true;
            if (p[k] == 's') flags.dotall = true;
            if (p[k] == 'x') bad(p, "verbose mode (?x) is not supported");
        }
        i = j + 1;
    }
    std::string ecma;
    for (; i < p.size(); ++i) {
        char c = p[i];
        if (c == '\\') {
            if (i + 1 >= p.size()) bad(p, "trailing backslash");
            char n = p[++i];
            if (n == 'A' || n == 'Z') {
                if (flags.multiline) bad(p, std::string("\\") + n + " cannot be combined with multiline matching here");
                ecma += n == 'A' ? "^" : "$";
            } else {
                ecma += '\\';
                ecma += n;
            }
        } else if (c == '[') {
            // Copy the class verbatim; a ']' right after '[' or '[^' is a literal in Python.
            ecma += '[';
            ++i;
            if (i < p.size() && p[i] == '^') ecma += p[i++];
            if (i < p.size() && p[i] == ']') {
                ecma += "\\]";
                ++i;
            }
            for (; i < p.size() && p[i] != ']'; ++i) {
                ecma += p[i];
                if (p[i] == '\\' && i + 1 < p.size()) ecma += p[++i];
            }
            if (i >= p.size()) bad(p, "unterminated character set");
            ecma += ']';
        } else if (c == '(') {
            if (p.compare(i, 4, "(?P<") == 0) {
                size_t j = i + 4;
                std::string name;
                if (!read_name(p, j, '>', name)) bad(p, "bad group name");
                out.group_names.push_back(name);
                ecma += '(';
                i = j - 1;
            } else if (p.compare(i, 4, "(?P=") == 0) {
                size_t j = i + 4;
                std::string name;
                if (!read_name(p, j, ')', name)) bad(p, "bad group reference");
                auto it = std::find(out.group_names.begin(), out.group_names.end(), name);
                if (it == out.group_names.end()) bad(p, "unknown group name '" + name + "'");
                ecma += "\\" + std::to_string(it - out.group_names.begin() + 1);
                i = j - 1;
            } else if (p.compare(i, 3, "(?#") == 0) {
                size_t end = p.find(')', i);
                if (end == std::string::npos) bad(p, "unterminated comment");
                i = end;
            } else if (p.compare(i, 4, "(?<=") == 0 || p.compare(i, 4, "(?<!") == 0) {
                bad(p, "lookbehind is not supported (rewrite it with a group and a backreference)");
            } else if (p.compare(i, 3, "(?:") == 0 || p.compare(i, 3, "(?=") == 0 || p.compare(i, 3, "(?!") == 0) {
                ecma += p.substr(i, 3);
                i += 2;
            } else if (p.compare(i, 2, "(?") == 0) {
                bad(p, "unsupported group syntax");
            } else {
                out.group_names.push_back("");
                ecma += '(';
            }
        } else if (c == '.' && flags.dotall) {
            ecma += "[\\s\\S]";
        } else {
            ecma += c;
        }
    }
    auto f = std::regex::ECMAScript;
    if (flags.multiline) f |= std::regex::multiline;
    if (flags.icase) f |= std::regex::icase;
    try {
        out.re = std::regex(ecma, f);
    } catch (const std::regex_error& e) {
        bad(p, e.what());
    }
    return out;
}

bool py_search(const PyRegex& re, const std::string& text, std::smatch* m) {
    std::smatch local;
    return std::regex_search(text, m ? *m : local, re.re);
}

std::string py_expand(const PyRegex& re, const std::smatch& m, const std::string& tmpl) {
    std::string out;
    auto group = [&](size_t n) {
        if (n >= m.size()) throw UserError("invalid group reference " + std::to_string(n) + " in '" + tmpl + "'");
        if (m[n].matched) out += m[n].str();
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

std::string py_subn(const PyRegex& re, const std::string& tmpl, const std::string& text, size_t* count) {
    std::string out;
    size_t n = 0;
    size_t pos = 0;
    bool last_empty_at_pos = false;  // an empty match ended exactly at `pos`
    while (pos <= text.size()) {
        std::smatch m;
        auto flags = pos > 0 ? std::regex_constants::match_prev_avail : std::regex_constants::match_default;
        if (last_empty_at_pos) flags |= std::regex_constants::match_not_null | std::regex_constants::match_continuous;
        bool found = std::regex_search(text.cbegin() + static_cast<long>(pos), text.cend(), m, re.re, flags);
        if (!found && last_empty_at_pos) {
            // No non-empty match may start here: move one character on.
            if (pos >= text.size()) break;
            out += text[pos++];
            last_empty_at_pos = false;
            continue;
        }
        if (!found) break;
        size_t start = pos + static_cast<size_t>(m.position(0));
        size_t end = start + static_cast<size_t>(m.length(0));
        out.append(text, pos, start - pos);
        out += py_expand(re, m, tmpl);
        ++n;
        pos = end;
        last_empty_at_pos = start == end;
    }
    if (pos < text.size()) out.append(text, pos, std::string::npos);
    if (count) *count = n;
    return out;
}

}  // namespace upkeep
