// Python-flavoured regular expressions on PCRE2, the one regex engine of every
// module and filter (lineinfile, replace, regex_* filters...), so the regexps
// people copy from Ansible playbooks behave as Python's `re` does:
// (?P<name>...) and (?P=name) groups, lookbehind, \A and \Z, inline flags,
// Unicode text (UTF + UCP mode when the subject is valid UTF-8: `[àâä]` is a
// set of three characters, \w and \d are Unicode-aware; bytes otherwise), and
// Python's replacement templates (\1, \g<1>, \g<name>, \n).
//
// Why PCRE2 and not std::regex: libstdc++'s std::regex recurses once per
// repeated character, so a ~30 KB line in a host's file overflowed the stack
// (SIGSEGV of the whole run). PCRE2's interpreter keeps its backtracking state
// on the heap, and every match runs under match/depth/heap limits: a
// catastrophic pattern ends with a clear error instead of hanging.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace upkeep {

struct PyRegexCode;  // the compiled PCRE2 programs (opaque)

struct PyRegex {
    std::shared_ptr<const PyRegexCode> code;
    std::vector<std::string> group_names;  // index i holds the name of group i+1 ("" when unnamed)
    std::string pattern;                   // the original Python pattern, for messages
};

struct PyRegexFlags {
    bool multiline = false;  // ^ and $ match at line boundaries (re.MULTILINE)
    bool dotall = false;     // . matches a newline too (re.DOTALL)
    bool icase = false;      // re.IGNORECASE
};

// One match: byte offsets into the subject (which must outlive the match).
// Its interface follows std::smatch's for the parts callers use.
class PyMatch {
public:
    struct Group {
        bool matched = false;
        size_t start = 0, end = 0;
        std::string_view text;
        std::string str() const { return std::string(text); }
        size_t length() const { return end - start; }
    };
    size_t size() const { return m_groups.size(); }
    bool empty() const { return m_groups.empty(); }
    const Group& operator[](size_t i) const { return m_groups.at(i); }
    std::string str(size_t i = 0) const { return i < m_groups.size() ? m_groups[i].str() : std::string(); }
    size_t position(size_t i = 0) const { return m_groups.at(i).start; }
    size_t length(size_t i = 0) const { return m_groups.at(i).length(); }

    std::vector<Group> m_groups;  // filled by the matcher
};

// Compiles a Python pattern. Throws UserError ("bad regexp '...': ...") on error.
PyRegex compile_py_regex(const std::string& pattern, PyRegexFlags flags = {});

// Like Python's re.search on a whole string. Throws TaskError when the match
// exceeds the engine's limits (a pattern that backtracks catastrophically).
bool py_search(const PyRegex& re, std::string_view text, PyMatch* m = nullptr);

// Python's re.match (anchored at the start) and re.fullmatch (the whole text).
bool py_match(const PyRegex& re, std::string_view text, PyMatch* m = nullptr);
bool py_fullmatch(const PyRegex& re, std::string_view text, PyMatch* m = nullptr);

// Python's Match.expand: \1..\99, \g<1>, \g<name>, \g<0>, and the escapes \n \t \r \\ ...
// Throws UserError for a reference to a group that does not exist.
std::string py_expand(const PyRegex& re, const PyMatch& m, const std::string& tmpl);

// Python's re.subn(pattern, tmpl, text): replaces every non-overlapping match,
// empty matches included (Python 3.7 rules); `count` receives the number made.
std::string py_subn(const PyRegex& re, const std::string& tmpl, std::string_view text, size_t* count);

}  // namespace upkeep
