// Python-flavoured regular expressions on top of std::regex (ECMAScript), so the
// regexps people copy from Ansible playbooks (lineinfile, replace) keep working:
// (?P<name>...) and (?P=name) groups, \A and \Z, leading inline flags (?i) (?m)
// (?s), DOTALL, and Python's replacement templates (\1, \g<1>, \g<name>, \n).
// Not supported (std::regex has no engine for them): lookbehind, atomic groups,
// possessive quantifiers; they are reported as a UserError, never silently wrong.
#pragma once

#include <regex>
#include <string>
#include <vector>

namespace upkeep {

struct PyRegex {
    std::regex re;
    std::vector<std::string> group_names;  // index i holds the name of group i+1 ("" when unnamed)
    std::string pattern;                   // the original Python pattern, for messages
};

struct PyRegexFlags {
    bool multiline = false;  // ^ and $ match at line boundaries (re.MULTILINE)
    bool dotall = false;     // . matches a newline too (re.DOTALL)
    bool icase = false;      // re.IGNORECASE
};

// Compiles a Python pattern. Throws UserError ("bad regexp '...': ...") on error.
PyRegex compile_py_regex(const std::string& pattern, PyRegexFlags flags = {});

// Like Python's re.search on a whole string.
bool py_search(const PyRegex& re, const std::string& text, std::smatch* m = nullptr);

// Python's Match.expand: \1..\99, \g<1>, \g<name>, \g<0>, and the escapes \n \t \r \\ ...
// Throws UserError for a reference to a group that does not exist.
std::string py_expand(const PyRegex& re, const std::smatch& m, const std::string& tmpl);

// Python's re.subn(pattern, tmpl, text): replaces every non-overlapping match,
// empty matches included (Python 3.7 rules); `count` receives the number made.
std::string py_subn(const PyRegex& re, const std::string& tmpl, const std::string& text, size_t* count);

}  // namespace upkeep
