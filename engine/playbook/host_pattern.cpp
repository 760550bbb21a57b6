// Ansible host patterns over an Inventory: unions, intersections, exclusions, shell
// globs, ~regexes and [subscripts], evaluated in Ansible's order (all plain terms,
// then the &-terms, then the !-terms).
#include <algorithm>
#include <optional>
#include <set>
#include <string_view>
#include <unordered_set>

#include "engine/util/py_regex.hpp"
#include "engine/playbook/inventory.hpp"
#include "engine/util/error.hpp"
#include "engine/util/strings.hpp"

namespace upkeep {

namespace {

// Python's fnmatch.translate: * ? [seq] [!seq], everything else literal, whole-string.
std::string glob_to_regex(const std::string& pat) {
    std::string out;
    size_t i = 0, n = pat.size();
    while (i < n) {
        char c = pat[i++];
        if (c == '*') {
            out += ".*";
        } else if (c == '?') {
            out += '.';
        } else if (c == '[') {
            size_t j = i;
            if (j < n && pat[j] == '!') ++j;
            if (j < n && pat[j] == ']') ++j;
            while (j < n && pat[j] != ']') ++j;
            if (j >= n) {
                out += "\\[";
            } else {
                std::string stuff = pat.substr(i, j - i);
                i = j + 1;
                std::string cls;
                for (size_t k = 0; k < stuff.size(); ++k) {
                    char s = stuff[k];
                    if (k == 0 && s == '!') cls += '^';
                    else if (k == 0 && s == '^') cls += "\\^";
                    else if (s == '\\' || s == ']' || s == '[') cls += std::string("\\") + s;
                    else cls += s;
                }
                out += "[" + cls + "]";
            }
        } else if (std::string_view("\\^$.|+(){}").find(c) != std::string_view::npos) {
            out += '\\';
            out += c;
        } else {
            out += c;
        }
    }
    return out;
}

// One name test: an exact name, a glob, or (with a leading ~) a regex that must
// match at the start of the name, like Python's re.match.
class NameMatcher {
public:
    explicit NameMatcher(const std::string& expr) {
        m_regex_mode = !expr.empty() && expr[0] == '~';
        m_plain = !m_regex_mode && expr.find_first_of("*?[") == std::string::npos;
        m_expr = expr;
        if (m_plain) return;
        try {
            m_re = compile_py_regex(m_regex_mode ? expr.substr(1) : glob_to_regex(expr));
        } catch (const UserError& e) {
            throw UserError("invalid host pattern '" + expr + "': " + e.what());
        }
    }
    bool operator()(const std::string& name) const {
        if (m_plain) return name == m_expr;
        if (m_regex_mode) return py_match(m_re, name);
        return py_fullmatch(m_re, name);
    }
    // Whether hosts are searched even when some group matched (Ansible's rule).
    bool also_hosts() const { return m_regex_mode || m_expr.find_first_of(".?*[") != std::string::npos; }

private:
    std::string m_expr;
    bool m_regex_mode = false;
    bool m_plain = false;
    PyRegex m_re;
};

std::vector<std::string> split_terms(const std::string& pattern) {
    std::vector<std::string> terms;
    if (pattern.find(',') != std::string::npos) {
        terms = split(pattern, ',');
    } else {
        // A bare IPv6 address is one term; otherwise ':' separates terms outside [...].
        bool v6 = std::count(pattern.begin(), pattern.end(), ':') >= 2 &&
                  pattern.find_first_not_of("0123456789abcdefABCDEF:.") == std::string::npos;
        if (v6) {
            terms.push_back(pattern);
        } else {
            // Anything the terms leave over must be a separator, not a stray bracket.
            static const PyRegex k_term = compile_py_regex(R"((?:[^\s:\[\]]|\[[^\]]*\])+)");
            std::string rest;
            size_t last = 0;
            PyMatch m;
            while (last < pattern.size() && py_search(k_term, std::string_view(pattern).substr(last), &m)) {
                rest += pattern.substr(last, m.position());
                terms.push_back(m.str());
                last += m.position() + m.length();
            }
            rest += pattern.substr(last);
            if (rest.find_first_of("[]") != std::string::npos)
                throw UserError("unbalanced brackets in host pattern '" + pattern + "'");
        }
    }
    std::vector<std::string> out;
    for (auto& t : terms) {
        std::string s = trim(t);
        if (!s.empty()) out.push_back(s);
    }
    return out;
}

void check_brackets(const std::string& pattern) {
    if (!pattern.empty() && pattern[0] == '~') return;  // regexes are checked when compiled
    int depth = 0;
    for (char c : pattern) {
        if (c == '[') ++depth;
        else if (c == ']') --depth;
        if (depth < 0 || depth > 1) throw UserError("unbalanced brackets in host pattern '" + pattern + "'");
    }
    if (depth != 0) throw UserError("unbalanced brackets in host pattern '" + pattern + "'");
}

struct Subscript {
    long start = 0;
    long end = 0;
    bool is_range = false;
};

// The terms in the order Ansible evaluates them: plain ones, then &-terms, then !-terms
// (only !- or &-terms start from "all").
std::vector<std::string> ordered_terms(const std::string& pattern) {
    std::vector<std::string> terms = split_terms(pattern);
    if (terms.empty()) throw UserError("empty host pattern '" + pattern + "'");
    std::vector<std::string> plain, inter, excl;
    for (const auto& t : terms) {
        if (t[0] == '!') excl.push_back(t);
        else if (t[0] == '&') inter.push_back(t);
        else plain.push_back(t);
    }
    if (plain.empty()) plain.push_back("all");
    std::vector<std::string> ordered = plain;
    ordered.insert(ordered.end(), inter.begin(), inter.end());
    ordered.insert(ordered.end(), excl.begin(), excl.end());
    return ordered;
}

// Takes a trailing [i] or [a:b] off `expr` (not off a ~regex).
std::optional<Subscript> take_subscript(std::string& expr, const std::string& term) {
    if (expr[0] == '~') return std::nullopt;
    static const PyRegex k_subscript = compile_py_regex(R"(^(.+)\[(?:(-?[0-9]+)|([0-9]+)([:-])([0-9]*))\]$)");
    check_brackets(expr);
    PyMatch sm;
    if (!py_fullmatch(k_subscript, expr, &sm)) return std::nullopt;
    Subscript s;
    try {
        if (sm[2].matched) {
            s.start = std::stol(sm[2].str());
        } else {
            s.is_range = true;
            s.start = std::stol(sm[3].str());
            s.end = sm[5].length() ? std::stol(sm[5].str()) : -1;
        }
    } catch (const std::out_of_range&) {
        throw UserError("subscript out of range in host pattern '" + term + "'");
    }
    expr = sm[1].str();
    return s;
}

// The hosts of `that` a subscript selects; an index past the end is an error, a range is cut.
void apply_subscript(std::vector<std::string>& that, const Subscript& sub, const std::string& term,
                     const std::string& expr) {
    long n = static_cast<long>(that.size());
    if (sub.is_range && sub.end != 0) {  // Ansible reads [x:0] as [x]
        long end = sub.end == -1 ? n - 1 : sub.end;
        long b = std::min(sub.start, n), e = std::min(end + 1, n);
        that = b < e ? std::vector<std::string>(that.begin() + b, that.begin() + e) : std::vector<std::string>{};
        return;
    }
    long i = sub.start < 0 ? n + sub.start : sub.start;
    if (i < 0 || i >= n)
        throw UserError("no hosts matched the subscripted pattern '" + term + "': '" + expr + "' has " +
                        std::to_string(n) + " host" + (n == 1 ? "" : "s"));
    that = {that[static_cast<size_t>(i)]};
}

// One term's hosts into the result: !-terms remove, &-terms keep only, plain terms add.
void combine(std::vector<std::string>& hosts, char op, const std::vector<std::string>& that) {
    if (op == '!') {
        std::unordered_set<std::string> drop(that.begin(), that.end());
        hosts.erase(std::remove_if(hosts.begin(), hosts.end(), [&](const std::string& h) { return drop.count(h) != 0; }),
                    hosts.end());
    } else if (op == '&') {
        std::unordered_set<std::string> keep(that.begin(), that.end());
        hosts.erase(std::remove_if(hosts.begin(), hosts.end(), [&](const std::string& h) { return keep.count(h) == 0; }),
                    hosts.end());
    } else {
        // Views stay valid: `hosts` does not reallocate below, `that` outlives the set.
        hosts.reserve(hosts.size() + that.size());
        std::unordered_set<std::string_view> have(hosts.begin(), hosts.end());
        for (const auto& h : that)
            if (have.insert(h).second) hosts.push_back(h);
    }
}

}  // namespace

std::vector<std::string> Inventory::enumerate(const std::string& expr) const {
    NameMatcher m(expr);
    std::vector<std::string> out;
    bool any_group = false;
    for (const auto& g : m_group_order) {
        if (!m(g)) continue;
        any_group = true;
        const auto& hs = hosts_of(g);
        if (out.empty())
            out = hs;
        else
            out.insert(out.end(), hs.begin(), hs.end());
    }
    if (!any_group || m.also_hosts())
        for (const auto& h : m_host_order)
            if (m(h)) out.push_back(h);
    if (out.empty() && is_implicit_localhost(expr)) out.push_back(expr);
    return out;
}

std::vector<std::string> Inventory::match(const std::string& pattern) const {
    std::vector<std::string> ordered = ordered_terms(pattern);
    std::vector<std::string> hosts;
    for (const auto& term : ordered) {
        if (has_host(term)) {  // a plain host name needs no matching
            hosts.push_back(term);
            continue;
        }
        char op = (term[0] == '!' || term[0] == '&') ? term[0] : '\0';
        std::string expr = op ? term.substr(1) : term;
        if (expr.empty()) throw UserError(std::string("host pattern '") + pattern + "' has an empty term after '" + op + "'");
        std::optional<Subscript> sub = take_subscript(expr, term);
        std::vector<std::string> that = enumerate(expr);
        if (sub && !that.empty()) apply_subscript(that, *sub, term, expr);
        combine(hosts, op, that);
    }
    if (ordered.size() == 1) return hosts;  // one term: the union step above already removed duplicates
    std::vector<std::string> out;
    out.reserve(hosts.size());
    std::unordered_set<std::string_view> seen(hosts.size());
    for (const auto& h : hosts)
        if (seen.insert(h).second) out.push_back(h);
    return out;
}

}  // namespace upkeep
