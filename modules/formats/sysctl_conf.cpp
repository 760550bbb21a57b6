#include "modules/formats/sysctl_conf.hpp"

#include <algorithm>
#include <set>
#include <sstream>
#include <vector>

#include "engine/util/strings.hpp"

namespace upkeep {

namespace {

// Python's str.strip() for ASCII whitespace.
std::string py_strip(const std::string& s) {
    const char* ws = " \t\n\r\f\v";
    size_t b = s.find_first_not_of(ws);
    if (b == std::string::npos) return "";
    return s.substr(b, s.find_last_not_of(ws) - b + 1);
}

// Python's readlines() in text mode: \n, \r\n and \r all end a line.
std::vector<std::string> read_lines(const std::string& text) {
    std::vector<std::string> out;
    std::string cur;
    for (size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        if (c == '\n' || c == '\r') {
            if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
            out.push_back(cur);
            cur.clear();
        } else {
            cur += c;
        }
    }
    if (!cur.empty()) out.push_back(cur);
    return out;
}

bool is_setting(const std::string& stripped) {
    return !stripped.empty() && stripped[0] != '#' && stripped[0] != ';' && stripped.find('=') != std::string::npos;
}

std::vector<std::string> words(const std::string& s) {
    std::istringstream in(s);
    std::vector<std::string> out;
    for (std::string w; in >> w;) out.push_back(w);
    return out;
}

}  // namespace

std::string sysctl_normalise_value(const std::string& value) {
    std::string l = to_lower(value);
    for (const char* t : {"y", "yes", "on", "1", "true", "t"})
        if (l == t) return "1";
    for (const char* f : {"n", "no", "off", "0", "false", "f"})
        if (l == f) return "0";
    return py_strip(value);
}

bool sysctl_values_equal(const std::string& a, const std::string& b) { return words(a) == words(b); }

SysctlEdit sysctl_edit(const std::optional<std::string>& current, const std::string& key, const std::string& value,
                       bool present) {
    SysctlEdit out;
    std::vector<std::string> lines;
    if (current) lines = read_lines(*current);
    for (auto& l : lines) l = py_strip(l);
    // The file's value: the last assignment of the key wins (Python dict update).
    for (const auto& l : lines) {
        if (!is_setting(l)) continue;
        size_t eq = l.find('=');
        if (py_strip(l.substr(0, eq)) == key) out.file_value = py_strip(l.substr(eq + 1));
    }
    std::set<std::string> checked;
    std::string text;
    for (const auto& l : lines) {
        if (!is_setting(l)) {
            text += l + "\n";
            continue;
        }
        size_t eq = l.find('=');
        std::string k = py_strip(l.substr(0, eq)), v = py_strip(l.substr(eq + 1));
        if (!checked.insert(k).second) continue;  // a later duplicate is dropped
        if (k == key) {
            if (present) text += k + "=" + value + "\n";
        } else {
            text += k + "=" + v + "\n";
        }
    }
    if (present && !checked.count(key)) text += key + "=" + value + "\n";
    out.content = std::move(text);
    return out;
}

}  // namespace upkeep
