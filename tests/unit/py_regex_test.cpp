#include <catch2/catch.hpp>

#include "engine/util/error.hpp"
#include "engine/util/py_regex.hpp"

using namespace upkeep;

TEST_CASE("py_regex: Python syntax translates to ECMAScript", "[py_regex]") {
    std::smatch m;
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
    CHECK_THROWS_WITH(compile_py_regex("(?<!a)b"), Catch::Contains("lookbehind is not supported"));
    CHECK_THROWS_WITH(compile_py_regex("[abc"), Catch::Contains("unterminated character set"));
    CHECK_THROWS_WITH(compile_py_regex("(?P<x>a)(?P=y)"), Catch::Contains("unknown group name 'y'"));
    PyRegexFlags ml;
    ml.multiline = true;
    CHECK_THROWS_AS(compile_py_regex("\\Aa", ml), UserError);
    std::smatch m;
    PyRegex re = compile_py_regex("a");
    std::string s = "a";
    REQUIRE(py_search(re, s, &m));
    CHECK_THROWS_WITH(py_expand(re, m, "\\q"), Catch::Contains("bad escape \\q"));
}
