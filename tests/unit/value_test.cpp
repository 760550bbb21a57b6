#include <catch2/catch.hpp>

#include "engine/util/error.hpp"
#include "engine/value/value.hpp"
#include "engine/value/yaml.hpp"

using namespace upkeep;

TEST_CASE("yaml scalars are typed like Ansible's YAML 1.1 loader", "[value]") {
    Value v = parse_yaml("a: yes\nb: 'yes'\nc: 0644\nd: 12\ne: 1.5\nf: ~\ng: hello\n", "t.yml");
    CHECK(v.get("a").is_bool());
    CHECK(v.get("a").as_bool());
    CHECK(v.get("b").is_string());
    CHECK(v.get("c").as_int() == 0644);
    CHECK(v.get("d").as_int() == 12);
    CHECK(v.get("e").as_double() == 1.5);
    CHECK(v.get("f").is_null());
    CHECK(v.get("g").as_string() == "hello");
}

TEST_CASE("yaml values carry file:line:col marks", "[value]") {
    Value v = parse_yaml("- name: x\n  copy:\n    dest: /tmp/a\n", "site.yml");
    const Value& dest = v.as_list()[0].get("copy").get("dest");
    CHECK(dest.mark().to_string() == "site.yml:3:11");
}

TEST_CASE("bad yaml is a UserError with a location", "[value]") {
    try {
        parse_yaml("a: [1, 2\nb: c\n", "bad.yml");
        FAIL("no error");
    } catch (const UserError& e) {
        CHECK(e.mark().to_string().rfind("bad.yml:", 0) == 0);
    }
}

TEST_CASE("duplicate keys are rejected", "[value]") {
    CHECK_THROWS_AS(parse_yaml("a: 1\na: 2\n", "d.yml"), UserError);
}

TEST_CASE("secrets are masked in JSON", "[value]") {
    Value m;
    m["user"] = Value("cloud");
    m["password"] = Value("s3cret").set_secret();
    CHECK(m.to_json() == R"({"password": "********", "user": "cloud"})");
    CHECK(m.contains_secret());
}

TEST_CASE("copy on write keeps shared values intact", "[value]") {
    Value a;
    a["x"] = Value(1);
    Value b = a;
    b["x"] = Value(2);
    CHECK(a.get("x").as_int() == 1);
    CHECK(b.get("x").as_int() == 2);
}
