#include <catch2/catch.hpp>

#include "engine/util/error.hpp"
#include "engine/util/py_regex.hpp"
#include "modules/replace.hpp"
#include "tests/unit/module_sandbox.hpp"

using namespace upkeep;

namespace {

std::string edit(const std::string& text, const ReplaceOptions& o, std::string* msg = nullptr) {
    std::string m;
    std::string out = replace_edit(text, o, msg ? msg : &m);
    std::string m2;
    CHECK(replace_edit(out, o, &m2) == out);  // idempotent for these patterns
    return out;
}

ReplaceOptions opts(const std::string& re, const std::string& rep) {
    ReplaceOptions o;
    o.regexp = re;
    o.replace = rep;
    return o;
}

}  // namespace

TEST_CASE("replace: the seed's sed -i step", "[replace]") {
    std::string text =
        "guid=abc\nresource=com.cloud.agent.resource.computing.LibvirtComputingResource\n"
        "# was com.cloud.agent.resource.computing.LibvirtComputingResource\n";
    std::string msg;
    std::string out = edit(text,
                           opts("com.cloud.agent.resource.computing.LibvirtComputingResource",
                                "com.cloud.hypervisor.kvm.resource.LibvirtComputingResource"),
                           &msg);
    CHECK(out ==
          "guid=abc\nresource=com.cloud.hypervisor.kvm.resource.LibvirtComputingResource\n"
          "# was com.cloud.hypervisor.kvm.resource.LibvirtComputingResource\n");
    CHECK(msg == "2 replacements made");
}

TEST_CASE("replace: an untouched file is byte-identical", "[replace]") {
    std::string msg;
    for (std::string text : {"a\r\nb\r\n", "no newline", "", "x=1\n\n"}) {
        CHECK(replace_edit(text, opts("^zzz$", "y"), &msg) == text);
        CHECK(msg == "no match for regexp '^zzz$'");
    }
    CHECK(replace_edit("a=1\n", opts("^a=1$", "a=1"), &msg) == "a=1\n");
    CHECK(msg == "replacements leave the file unchanged");
}

TEST_CASE("replace: multiline anchors and backreferences", "[replace]") {
    CHECK(replace_edit("port=1\nhost=a\nport=2\n", opts("^port=(\\d+)$", "listen=\\1"), nullptr) ==
          "listen=1\nhost=a\nlisten=2\n");
    CHECK(replace_edit("k: v\n", opts("^(?P<key>\\w+): (?P<val>\\w+)$", "\\g<val>=\\g<key>"), nullptr) == "v=k\n");
    CHECK(replace_edit("a b", opts("\\s", "\\n"), nullptr) == "a\nb");
}

TEST_CASE("replace: after and before limit the section", "[replace]") {
    std::string text = "x=1\n[s]\nx=1\n[t]\nx=1\n";
    ReplaceOptions o = opts("^x=1$", "x=2");
    o.after = "\\[s\\]";
    CHECK(edit(text, o) == "x=1\n[s]\nx=2\n[t]\nx=2\n");
    o.before = "\\[t\\]";
    CHECK(edit(text, o) == "x=1\n[s]\nx=2\n[t]\nx=1\n");
    ReplaceOptions b = opts("^x=1$", "x=2");
    b.before = "\\[s\\]";
    CHECK(edit(text, b) == "x=2\n[s]\nx=1\n[t]\nx=1\n");
    ReplaceOptions miss = opts("x", "y");
    miss.after = "nothing";
    std::string msg;
    CHECK(replace_edit(text, miss, &msg) == text);
    CHECK(msg.find("did not match") != std::string::npos);
}

TEST_CASE("replace: empty matches follow Python's re.sub", "[replace]") {
    // Python 3.7+: re.sub('x*', '-', 'abxd') == '-a-b--d-'
    size_t n = 0;
    CHECK(py_subn(compile_py_regex("x*"), "-", "abxd", &n) == "-a-b--d-");
    CHECK(n == 5);
    CHECK(replace_edit("a\nb\n", opts("^", "> "), nullptr) == "> a\n> b\n> ");
}

TEST_CASE("replace: bad input is a clear error", "[replace]") {
    CHECK_THROWS_WITH(replace_edit("a", opts("(", "x"), nullptr), Catch::Contains("bad regexp '('"));
    CHECK(replace_edit("ab", opts("(?<=a)b", "x"), nullptr) == "ax");  // PCRE2 has lookbehind, as Python
    CHECK_THROWS_WITH(replace_edit("ab", opts("(a)", "\\2"), nullptr), Catch::Contains("invalid group reference"));
    CHECK_THROWS_WITH(replace_edit("ab", opts("(a)", "\\g<nope>"), nullptr), Catch::Contains("unknown group name"));
}

TEST_CASE("replace module converges a sandbox file", "[replace][module]") {
    test::Sandbox box;
    test::write_file(box.local("/etc/agent.properties"), "resource=com.cloud.agent.resource.computing.X\n");
    const std::string task = "path: /etc/agent.properties\nregexp: 'agent\\.resource\\.computing'\nreplace: hypervisor.kvm.resource\n";
    Plan p = box.check("replace", task);
    REQUIRE(p.changes.size() == 1);
    CHECK(*p.changes[0].before == "resource=com.cloud.agent.resource.computing.X\n");
    CHECK(*p.changes[0].after == "resource=com.cloud.hypervisor.kvm.resource.X\n");
    CHECK(p.changes[0].summary == "1 replacements made");
    box.converge("replace", task);
    CHECK(test::read_file(box.local("/etc/agent.properties")) == *p.changes[0].after);
    CHECK_THROWS_WITH(box.check("replace", "path: /etc/missing\nregexp: x\n"), Catch::Contains("does not exist"));
}

// Regressions (issue 14.4): a ~30 KB line crashed std::regex (SIGSEGV); [àâä]
// was a set of bytes and the result invalid UTF-8.
TEST_CASE("replace: a 30 KB line and a class of accented characters", "[replace]") {
    std::string long_line = "key=" + std::string(30000, 'v') + "\nother=1\n";
    CHECK(replace_edit(long_line, opts("^key=(v|w)*$", "key=short"), nullptr) == "key=short\nother=1\n");
    std::string out = replace_edit("à la fête, château\n", opts("[àâä]", "a"), nullptr);
    CHECK(out == "a la fête, chateau\n");
}
