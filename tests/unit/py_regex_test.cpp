#include <catch2/catch.hpp>

#include "engine/util/error.hpp"
#include "engine/util/py_regex.hpp"

using namespace upkeep;

TEST_CASE("py_regex: Python syntax works on PCRE2", "[py_regex]") {
    PyMatch m;
    PyRegex named = compile_py_regex("(?P<key>\\w+)=(?P=key)");
    std::string s = "ab=ab";
    CHECK(py_search(named, s, &m));
    CHECK(py_expand(named, m, "[\\g<key>|\\1|\\g<0>]") == "[ab|ab|ab=ab]");
    CHECK_FALSE(py_search(named, "ab=cd"));
    CHECK(py_search(compile_py_regex("(?i)^HELLO$"), "hello"));
    CHECK(py_search(compile_py_regex("\\Aab\\Z"), "ab"));
    CHECK_FALSE(py_search(compile_py_regex("\\Aab\\Z"), "xab"));
    CHECK(py_search(compile_py_regex("[]a]+"), "]]"));
    PyRegexFlags dotall;
    dotall.dotall = true;
    CHECK(py_search(compile_py_regex("a.b", dotall), "a\nb"));
    CHECK_FALSE(py_search(compile_py_regex("a.b"), "a\nb"));
    CHECK(py_search(compile_py_regex("a(?#comment)b"), "ab"));
}

TEST_CASE("py_regex: multiline substitution and escapes", "[py_regex]") {
    PyRegexFlags ml;
    ml.multiline = true;
    size_t n = 0;
    CHECK(py_subn(compile_py_regex("^#\\s*", ml), "", "# a\n#b\nc # d\n", &n) == "a\nb\nc # d\n");
    CHECK(n == 2);
    CHECK(py_subn(compile_py_regex("b"), "\\t\\\\", "abc", &n) == "a\t\\c");
    CHECK(py_subn(compile_py_regex("(x)?y"), "[\\1]", "y", &n) == "[]");  // unmatched group: empty
}

TEST_CASE("py_regex: unsupported or broken patterns are clear errors", "[py_regex]") {
    CHECK_THROWS_WITH(compile_py_regex("[abc"), Catch::Contains("unterminated character set"));
    CHECK_THROWS_WITH(compile_py_regex("(?P<x>a)(?P=y)"), Catch::Contains("unknown group name 'y'"));
    PyMatch m;
    PyRegex re = compile_py_regex("a");
    std::string s = "a";
    REQUIRE(py_search(re, s, &m));
    CHECK_THROWS_WITH(py_expand(re, m, "\\q"), Catch::Contains("bad escape \\q"));
}

TEST_CASE("py_regex: lookbehind, backslash-A with MULTILINE, {,n} and backslash-Z as Python has them", "[py_regex]") {
    CHECK(py_search(compile_py_regex("(?<!a)b"), "cb"));
    CHECK_FALSE(py_search(compile_py_regex("(?<!a)b"), "ab"));
    PyRegexFlags ml;
    ml.multiline = true;
    CHECK(py_search(compile_py_regex("\\Aa$", ml), "a\nb"));
    CHECK_FALSE(py_search(compile_py_regex("\\Ab", ml), "a\nb"));
    CHECK(py_search(compile_py_regex("^x{,2}$"), "xx"));
    CHECK_FALSE(py_search(compile_py_regex("a\\Z"), "a\n"));  // Python's \Z is the very end
    CHECK(py_search(compile_py_regex("a$"), "a\n"));
    size_t n = 0;
    CHECK(py_subn(compile_py_regex("x*"), "-", "abxd", &n) == "-a-b--d-");  // Python 3.7 empty-match rules
    CHECK(n == 5);
}

// Regression (issue 14.4): std::regex recursed once per character and a ~30 KB
// line crashed the controller with SIGSEGV.
TEST_CASE("py_regex: a 30 KB line does not crash", "[py_regex]") {
    std::string line(30000, 'a');
    line += "=end";
    PyMatch m;
    PyRegex re = compile_py_regex("^(a|b)*=(?P<v>.*)$");
    REQUIRE(py_search(re, line, &m));
    CHECK(m.str(2) == "end");
    size_t n = 0;
    CHECK(py_subn(compile_py_regex("(?:a|b)+"), "x", line, &n) == "x=end");
    std::string big(200 * 1024, 'a');  // 200 KB: far past the old crash, within the heap limit
    CHECK(py_search(compile_py_regex("(a|b)*$"), big));
}

TEST_CASE("py_regex: UTF-8 text is matched as characters, bytes stay bytes", "[py_regex]") {
    size_t n = 0;
    // [àâä] is a set of three characters, not of their bytes: the result stays valid UTF-8.
    CHECK(py_subn(compile_py_regex("[àâä]"), "a", "voilà, château, ä", &n) == "voila, chateau, a");
    CHECK(n == 3);
    CHECK(py_search(compile_py_regex("^\\w+$"), "größe"));
    CHECK(py_search(compile_py_regex("^.$"), "é"));
    PyRegexFlags icase;
    icase.icase = true;
    CHECK(py_search(compile_py_regex("ÉTÉ", icase), "été"));
    // Not UTF-8: matched byte by byte, never an error.
    std::string latin1 = "caf\xe9";
    CHECK(py_search(compile_py_regex("caf.$"), latin1));
    CHECK(py_subn(compile_py_regex("x*"), "-", "\xe9", &n) == "-\xe9-");
    // An empty match next to a multi-byte character moves on by a whole character.
    CHECK(py_subn(compile_py_regex("x*"), "-", "é", &n) == "-é-");
}

TEST_CASE("py_regex: catastrophic backtracking ends with a clear error", "[py_regex]") {
    std::string s(40, 'a');
    s += "!";
    CHECK_THROWS_WITH(py_search(compile_py_regex("^(a+)+$"), s), Catch::Contains("too expensive"));
}

TEST_CASE("py_regex: named groups and replacement templates", "[py_regex]") {
    PyRegex re = compile_py_regex("(?P<k>\\w+)\\s*=\\s*(?P<v>\\w+)");
    REQUIRE(re.group_names.size() == 2);
    CHECK(re.group_names[0] == "k");
    CHECK(re.group_names[1] == "v");
    size_t n = 0;
    CHECK(py_subn(re, "\\g<v>=\\g<k> \\2 \\g<0>", "a = b", &n) == "b=a b a = b");
    PyMatch m;
    REQUIRE(py_search(compile_py_regex("(x)?(y)"), "y", &m));
    CHECK(m.size() == 3);
    CHECK_FALSE(m[1].matched);
    CHECK(m[2].matched);
    CHECK(m.position(2) == 0);
}
