#include <catch2/catch.hpp>

#include "engine/lua/lua_env.hpp"
#include "engine/util/error.hpp"
#include "engine/value/yaml.hpp"

using namespace upkeep;

namespace {

Value vars() {
    Value v = parse_yaml(
        "agent_dir: /etc/cloudstack/agent\n"
        "port: 8250\n"
        "enabled: true\n"
        "pkgs: [a, b]\n"
        "db: {host: db1, port: 3306}\n",
        "vars.yml");
    v["db_password"] = Value("s3cret").set_secret();
    return v;
}

}  // namespace

TEST_CASE("template: is_templated", "[lua][template]") {
    CHECK(LuaEnv::is_templated("{{ x }}"));
    CHECK(LuaEnv::is_templated("a {{x}} b"));
    CHECK_FALSE(LuaEnv::is_templated("plain"));
    CHECK_FALSE(LuaEnv::is_templated("${#arr[@]} { x }"));
}

TEST_CASE("template: a single expression keeps its type", "[lua][template]") {
    LuaEnv lua;
    Value v = vars();
    CHECK(lua.render(Value("{{ port }}"), v) == Value(8250));
    CHECK(lua.render(Value("{{ port }}"), v).is_int());
    CHECK(lua.render(Value("{{ enabled }}"), v) == Value(true));
    CHECK(lua.render(Value("{{ pkgs }}"), v) == v.get("pkgs"));
    CHECK(lua.render(Value("{{ db }}"), v).is_map());
    CHECK(lua.render(Value("{{ [port, port + 1] }}"), v) == Value(List{Value(8250), Value(8251)}));
    CHECK(lua.render(Value("{{ none }}"), v) == Value(""));  // Ansible's finalize: None prints as ""
    CHECK_THROWS_WITH(lua.render(Value("{{ nope }}"), v), Catch::Contains("'nope' is undefined"));
    CHECK(lua.render(Value("{{ port / 2 }}"), v).is_double());
}

TEST_CASE("template: mixed text is concatenated", "[lua][template]") {
    LuaEnv lua;
    Value v = vars();
    CHECK(lua.render(Value("{{ agent_dir ~ '/agent.properties' }}"), v) ==
          Value("/etc/cloudstack/agent/agent.properties"));
    CHECK(lua.render(Value("{{ agent_dir }}/agent.properties"), v) == Value("/etc/cloudstack/agent/agent.properties"));
    CHECK(lua.render(Value("host={{ db.host }}:{{db.port}}"), v) == Value("host=db1:3306"));
    CHECK(lua.render(Value("port {{ port }}"), v).is_string());
    CHECK(lua.render(Value("on={{ enabled }}"), v) == Value("on=True"));
    CHECK(lua.render(Value("x{{ none }}y"), v) == Value("xy"));
    CHECK_THROWS_WITH(lua.render(Value("x{{ nope }}y"), v), Catch::Contains("'nope' is undefined"));
    CHECK(lua.render(Value("list={{ pkgs }}"), v) == Value("list=['a', 'b']"));  // Python's str()
    CHECK(lua.render(Value(" {{ port }}"), v) == Value(" 8250"));
    // "}}" inside strings and table braces does not end the expression.
    CHECK(lua.render(Value("{{ '}}' }}"), v) == Value("}}"));
    CHECK(lua.render(Value("{{ [1, {'a': 2}] | length }}"), v) == Value(2));
    CHECK(lua.render(Value("{{ {'a': {'b': 1}} }}"), v) == parse_yaml("a: {b: 1}", "x"));
    CHECK(lua.render_string("{{ port + 1 }}", v) == "8251");
    CHECK(lua.render_string("no template", v) == "no template");
}

TEST_CASE("template: Jinja filters work inside templates", "[lua][template]") {
    LuaEnv lua;
    Value v = vars();
    CHECK(lua.render(Value("{{ pkgs | join(',') }}"), v) == Value("a,b"));
    CHECK(lua.render(Value("{{ missing | default('x') }}-{{ db.host | upper }}"), v) == Value("x-DB1"));
}

TEST_CASE("template: render walks lists and maps and keeps marks", "[lua][template]") {
    LuaEnv lua;
    Value v = vars();
    Value task = parse_yaml(
        "name: configure\n"
        "lineinfile:\n"
        "  path: \"{{ agent_dir }}/agent.properties\"\n"
        "  line: 'port={{ port }}'\n"
        "  count: '{{ port }}'\n"
        "loop: ['{{ pkgs[0] }}', plain, 3]\n",
        "site.yml");
    Value out = lua.render(task, v);
    const Value& li = out.get("lineinfile");
    CHECK(li.get("path") == Value("/etc/cloudstack/agent/agent.properties"));
    CHECK(li.get("line") == Value("port=8250"));
    CHECK(li.get("count") == Value(8250));
    CHECK(li.get("path").mark().to_string() == task.get("lineinfile").get("path").mark().to_string());
    CHECK(li.get("count").mark().to_string() == "site.yml:5:10");
    CHECK(out.get("loop") == Value(List{Value("a"), Value("plain"), Value(3)}));
    CHECK(out.get("name") == Value("configure"));
    CHECK(out.get("lineinfile").mark().to_string() == task.get("lineinfile").mark().to_string());
    // The input is untouched.
    CHECK(task.get("lineinfile").get("line") == Value("port={{ port }}"));
}

TEST_CASE("template: secrets stay secret", "[lua][template][secret]") {
    LuaEnv lua;
    Value v = vars();
    Value r = lua.render(Value("mysql -p{{ db_password }} -h {{ db.host }}"), v);
    CHECK(r.secret());
    CHECK(r.to_json() == "\"********\"");
    CHECK(lua.render(Value("{{ db_password }}"), v).secret());
    CHECK_FALSE(lua.render(Value("{{ db.host }}"), v).secret());
    Value holder;
    holder["creds"] = Value(Map{{"pw", Value("x").set_secret()}});
    CHECK(lua.render(Value("creds={{ creds }}"), holder).secret());
    Value args = parse_yaml("user: root\npass: '{{ db_password }}'\n", "t.yml");
    Value out = lua.render(args, v);
    CHECK(out.get("pass").secret());
    CHECK_FALSE(out.get("user").secret());
}

TEST_CASE("template: playbook values keep backslashes in {{ }} strings (escape_backslashes)", "[lua][template]") {
    LuaEnv lua;
    Value v = vars();
    // As YAML hands it over from "{{ 'abc' | regex_replace('([a-z]+)', '<\\1>') }}".
    CHECK(lua.render(Value("{{ 'abc' | regex_replace('([a-z]+)', '<\\1>') }}"), v) == Value("<abc>"));
    CHECK(lua.render(Value("x{{ 'a.b' | regex_replace('\\.', '-') }}"), v) == Value("xa-b"));
    // In an expression (when:) Python's escapes apply.
    CHECK(lua.eval("'a\\tb'", v) == Value("a\tb"));
}

TEST_CASE("template: errors", "[lua][template]") {
    LuaEnv lua;
    Value v = vars();
    Value bad = parse_yaml("cmd: 'echo {{ port'\n", "site.yml");
    try {
        lua.render(bad, v);
        FAIL("no error");
    } catch (const UserError& e) {
        CHECK(e.mark().to_string() == "site.yml:1:6");
        CHECK_THAT(e.what(), Catch::Contains("'{{' without a matching '}}'"));
    }
    CHECK(lua.render(Value("{% if enabled %}a{% endif %}"), v) == Value("a"));
    CHECK(lua.render(Value("a {# note #}"), v) == Value("a "));
    CHECK_THROWS_WITH(lua.render(Value("{% if x %}a"), v), Catch::Contains("expected 'elif' or 'else' or 'endif'"));
    CHECK_THROWS_WITH(lua.render(Value("{{ }}"), v), Catch::Contains("empty '{{ }}'"));
    Value undefined = parse_yaml("x: '{{ nope.field }}'\n", "site.yml");
    CHECK_THROWS_WITH(lua.render(undefined, v), Catch::Contains("'nope' is undefined"));
    CHECK_THROWS_WITH(lua.render(Value("{{ pkgs[2] }}"), v), Catch::Contains("index 2 is out of range"));
    try {
        lua.render(undefined, v);
    } catch (const UserError& e) {
        CHECK(e.mark().to_string() == "site.yml:1:4");
    }
    // Shell syntax that merely looks like Jinja is left alone.
    CHECK(lua.render(Value("echo ${#arr[@]}"), v) == Value("echo ${#arr[@]}"));
}
