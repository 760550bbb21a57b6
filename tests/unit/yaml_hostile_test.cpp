// YAML that is not YAML, or that is built to hurt: refused with a location, never
// run with a different meaning, never a crash or an unbounded allocation. Each
// case failed with yaml-cpp 0.7 (accepted, SIGSEGV, or grew without bound).
#include <catch2/catch.hpp>

#include "engine/util/error.hpp"
#include "engine/value/yaml.hpp"
#include "tests/support/test_support.hpp"

using namespace upkeep;

namespace {

std::string error_of(const std::string& yaml, const YamlLimits& limits = {}) {
    try {
        parse_yaml(yaml, "p.yml", limits);
    } catch (const UserError& e) {
        return e.mark().to_string() + ": " + e.what();
    }
    return "accepted";
}

}  // namespace

TEST_CASE("yaml: an unclosed quote at the end of a file is refused, not swallowing what follows", "[yaml]") {
    // yaml-cpp 0.7 read this as one task whose msg was "one - debug: msg=two".
    std::string err = error_of("- hosts: all\n  tasks:\n    - debug:\n        msg: \"one\n          - debug: msg=two\n");
    INFO(err);
    CHECK(err.rfind("p.yml:", 0) == 0);
    CHECK(err.find("double-quoted scalar without closing quote") != std::string::npos);
    err = error_of("- hosts: all\n  tasks:\n    - debug:\n        msg: \"one\n    - debug: msg=two\n");
    CHECK(err.find("p.yml:4:14: invalid YAML") == 0);
    CHECK(error_of("a: 'single\n").find("without closing quote") != std::string::npos);
}

TEST_CASE("yaml: a node containing its own alias is refused (yaml-cpp crashed)", "[yaml]") {
    std::string err = error_of("vars: &v {a: *v}\n");
    CHECK(err.find("p.yml:1:15: ") == 0);
    CHECK(err.find("alias '*v' is used inside the node it names") != std::string::npos);
    CHECK(error_of("a: *nowhere\n").find("refers to no anchor") != std::string::npos);
}

TEST_CASE("yaml: an alias bomb is refused quickly with a clear error", "[yaml]") {
    std::string bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
    std::string prev = "a";
    for (char c = 'b'; c <= 'j'; ++c) {
        std::string cur(1, c);
        bomb += cur + ": &" + cur + " [";
        for (int i = 0; i < 10; ++i) bomb += (i ? ", *" : "*") + prev;
        bomb += "]\n";
        prev = cur;
    }
    std::string err = error_of(bomb);
    CHECK(err.find("expand to more than 1000000 values") != std::string::npos);
    CHECK(err.find("p.yml:") == 0);
    // Aliases within the budget load, and share their data.
    YamlLimits roomy;
    roomy.max_alias_expansion = 100000000000;
    CHECK(error_of(bomb, roomy) == "accepted");  // in a raised budget: shared, not copied, so still instant
    Value v = parse_yaml("base: &b {x: 1}\nuse: [*b, *b]\n", "p.yml");
    CHECK(v.get("use").as_list()[1].get("x").as_int() == 1);
}

TEST_CASE("yaml: nesting is bounded, also through aliases", "[yaml]") {
    std::string deep = std::string(100000, '[') + std::string(100000, ']');
    CHECK(error_of(deep).find("nested deeper than 512 levels") != std::string::npos);
    YamlLimits small;
    small.max_depth = 5;
    CHECK(error_of("a: &a [[[1]]]\nb: [[[*a]]]\n", small).find("through aliases") != std::string::npos);
    CHECK(error_of(std::string(500, '[') + std::string(500, ']')) == "accepted");
}

TEST_CASE("yaml: one document per file, as Ansible's loader", "[yaml]") {
    CHECK(error_of("a: 1\n---\nb: 2\n").find("expected a single YAML document") != std::string::npos);
    CHECK(parse_yaml_stream("a: 1\n---\nb: 2\n", "s.yml").size() == 2);
    CHECK(parse_yaml("", "e.yml").is_null());
    CHECK(parse_yaml("# only a comment\n", "e.yml").is_null());
}

TEST_CASE("yaml: keys are strings, a list or mapping as a key is refused", "[yaml]") {
    CHECK(error_of("? [a, b]\n: c\n").find("a mapping key must be a string, got a list") != std::string::npos);
    CHECK(parse_yaml("1: a\ntrue: b\n", "k.yml").get("1").as_string() == "a");
}

TEST_CASE("yaml: merge keys never override explicit keys, wherever they are written", "[yaml]") {
    Value v = parse_yaml("base: &b {x: 1, y: 2}\nm:\n  <<: *b\n  y: 3\nn:\n  y: 4\n  <<: *b\n", "m.yml");
    CHECK(v.get("m").get("x").as_int() == 1);
    CHECK(v.get("m").get("y").as_int() == 3);  // yaml-cpp: "duplicate key 'y'"
    CHECK(v.get("n").get("y").as_int() == 4);
    CHECK(error_of("m:\n  <<: [1]\n").find("'<<' merges mappings") != std::string::npos);
}

TEST_CASE("yaml: Ansible's YAML 1.1 scalar typing is kept, without regex recursion", "[yaml]") {
    Value v = parse_yaml("a: yes\nb: No\nc: on\nd: 0644\ne: 0o17\nf: 0x1F\ng: 1_000\nh: 1_000.5\ni: .5\nj: 1e3\nk: '0644'\n", "t.yml");
    CHECK(v.get("a").as_bool());
    CHECK_FALSE(v.get("b").as_bool());
    CHECK(v.get("c").as_bool());
    CHECK(v.get("d").as_int() == 0644);
    CHECK(v.get("e").as_int() == 017);
    CHECK(v.get("f").as_int() == 0x1F);
    CHECK(v.get("g").as_int() == 1000);
    CHECK(v.get("h").as_double() == 1000.5);  // was 1.0: stod stopped at the '_'
    CHECK(v.get("i").as_double() == 0.5);
    CHECK(v.get("j").as_string() == "1e3");  // as PyYAML: no '.', so not a float
    CHECK(v.get("k").as_string() == "0644");
    // A 200 KB plain scalar: std::regex recursed per character and overflowed the stack.
    std::string big(200000, '7');
    CHECK(parse_yaml("n: " + big + "\nf: " + big + "." + big + "\n", "big.yml").get("n").as_string() == big);
}

TEST_CASE("yaml: tags keep their meaning", "[yaml]") {
    Value v = parse_yaml("a: !!str 12\nb: !unsafe '{{ x }}'\nc: !secret hunter2\nd: !!int '7'\n", "t.yml");
    CHECK(v.get("a").as_string() == "12");
    CHECK(v.get("b").as_string() == "{{ x }}");
    CHECK(v.get("c").secret());
    CHECK(v.get("d").as_int() == 7);
    CHECK(error_of("a: !vault |\n  $ANSIBLE_VAULT;1.1\n") != "accepted");  // no vault password given
}

TEST_CASE("yaml: maps give their keys back in the order they were written", "[yaml]") {
    Value v = parse_yaml("zeta: 1\nalpha: 2\nmid: {z: 1, a: 2}\n", "o.yml");
    CHECK(keys_in_source_order(v) == std::vector<std::string>{"zeta", "alpha", "mid"});
    CHECK(keys_in_source_order(v.get("mid")) == std::vector<std::string>{"z", "a"});
}

TEST_CASE("yaml: marks point where a scalar is written", "[yaml]") {
    Value v = parse_yaml("a: plain\nb: 'q'\nc: \"d\"\nd: |\n  lit\ne: >-\n\n  fold\n", "m.yml");
    CHECK(v.get("a").mark().to_string() == "m.yml:1:4");
    CHECK(v.get("b").mark().to_string() == "m.yml:2:4");
    CHECK(v.get("c").mark().to_string() == "m.yml:3:4");
    CHECK(v.get("d").mark().to_string() == "m.yml:4:4");
    CHECK(v.get("e").mark().to_string() == "m.yml:6:4");
    CHECK(v.key_mark("e").to_string() == "m.yml:6:1");
}
