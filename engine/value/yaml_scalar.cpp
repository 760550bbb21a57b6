// Hand-written matchers instead of std::regex: std::regex recurses once per
// character, so a long plain scalar in a hostile file could overflow the stack.
#include "engine/value/yaml_scalar.hpp"

#include <stdexcept>

#include "engine/util/strings.hpp"

namespace upkeep {

namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_octal(char c) { return c >= '0' && c <= '7'; }
bool is_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

template <class Pred>
bool all_from(const std::string& s, size_t from, Pred p) {
    if (from >= s.size()) return false;
    for (size_t i = from; i < s.size(); ++i)
        if (!p(s[i])) return false;
    return true;
}

std::string without_underscores(const std::string& s) {
    std::string out;
    out.reserve(s.size());
    for (char c : s)
        if (c != '_') out += c;
    return out;
}

// [-+]?(0|[1-9][0-9_]*)
bool is_decimal(const std::string& s) {
    size_t i = (!s.empty() && (s[0] == '-' || s[0] == '+')) ? 1 : 0;
    if (i >= s.size()) return false;
    if (s[i] == '0') return i + 1 == s.size();
    return s[i] >= '1' && s[i] <= '9' && (i + 1 == s.size() || all_from(s, i + 1, [](char c) { return is_digit(c) || c == '_'; }));
}

// [-+]?([0-9][0-9_]*)?\.[0-9]*([eE][-+]?[0-9]+)?  (but not ".")
bool is_float(const std::string& s) {
    size_t i = (!s.empty() && (s[0] == '-' || s[0] == '+')) ? 1 : 0;
    if (i < s.size() && is_digit(s[i]))
        while (i < s.size() && (is_digit(s[i]) || s[i] == '_')) ++i;
    if (i >= s.size() || s[i] != '.') return false;
    ++i;
    while (i < s.size() && is_digit(s[i])) ++i;
    if (i == s.size()) return true;
    if (s[i] != 'e' && s[i] != 'E') return false;
    ++i;
    if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
    return all_from(s, i, is_digit);
}

}  // namespace

Value typed_scalar(const std::string& s) {
    if (s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL") return Value();
    if (s.size() <= 5) {
        std::string l = to_lower(s);
        if (l == "true" || l == "yes" || l == "on") return Value(true);
        if (l == "false" || l == "no" || l == "off") return Value(false);
    }
    try {
        if (is_decimal(s)) return Value(static_cast<int64_t>(std::stoll(without_underscores(s))));
        if (s.size() > 1 && s[0] == '0') {
            if (all_from(s, s[1] == 'o' ? 2 : 1, is_octal))
                return Value(static_cast<int64_t>(std::stoll(s.substr(s[1] == 'o' ? 2 : 1), nullptr, 8)));
            if (s[1] == 'x' && all_from(s, 2, is_hex)) return Value(static_cast<int64_t>(std::stoll(s.substr(2), nullptr, 16)));
        }
        if (s != "." && is_float(s)) {
            std::string digits = without_underscores(s);
            size_t used = 0;
            double d = std::stod(digits, &used);
            if (used == digits.size()) return Value(d);
        }
    } catch (const std::exception&) {
        // out of range or not a number after all ("-."): keep as string
    }
    return Value(s);
}

}  // namespace upkeep
