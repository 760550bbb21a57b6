#include <catch2/catch.hpp>

#include "engine/lua/jinja_compat.hpp"
#include "engine/lua/lua_env.hpp"
#include "engine/util/error.hpp"
#include "engine/value/yaml.hpp"

using namespace upkeep;

namespace {

Value vars() {
    static const Value v = parse_yaml(
        "name: Web01\n"
        "empty: ''\n"
        "zero: 0\n"
        "count_s: ' 42 '\n"
        "ratio: '3.7'\n"
        "flag_s: 'yes'\n"
        "path: /etc/cloudstack/agent/agent.properties\n"
        "pkgs: [cloudstack-agent, cloudstack-common, qemu-kvm]\n"
        "nothing: ~\n"
        "result: {rc: 0, changed: true, failed: false, stdout: '4.18.0.0'}\n"
        "skipped_result: {skipped: true, changed: false}\n"
        "conf: {db: {host: db1}}\n",
        "vars.yml");
    return v;
}

Value ev(const std::string& expr) {
    static thread_local LuaEnv lua;
    return lua.eval(expr, vars());
}

}  // namespace

TEST_CASE("jinja rewrite: operators and constants", "[lua][jinja]") {
    CHECK(jinja_to_lua("a != b") == "a ~= b");
    CHECK(jinja_to_lua("x == True or y == False or z == None") == "x == true or y == false or z == nil");
    CHECK(jinja_to_lua("'a != b' .. \"None\"") == "'a != b' .. \"None\"");  // strings untouched
    CHECK(jinja_to_lua("t.None") == "t.None");                                // fields untouched
    CHECK(jinja_to_lua("a | 1") == "a | 1");                                  // bitwise or stays
    CHECK(jinja_to_lua("['a', 'b']") == "{'a', 'b'}");
    CHECK(jinja_to_lua("x[1]") == "x[1]");
    CHECK(jinja_to_lua("{[1] = 'a', ['k'] = ['v']}") == "{[1] = 'a', ['k'] = {'v'}}");  // Lua keys stay keys
    CHECK(jinja_to_lua("[[1, 2], [3]]") == "[[1, 2], [3]]");  // a Lua long string, as in Lua
}

TEST_CASE("jinja rewrite: filters bind to the postfix expression on their left", "[lua][jinja]") {
    CHECK(jinja_to_lua("a | upper") == "__f.upper(a)");
    CHECK(jinja_to_lua("a.b[1] | default('x') | upper") ==
          "__f.upper(__f.default(__f.try(function() return a.b[1] end), 'x'))");
    CHECK(jinja_to_lua("x | join(', ')") == "__f.join(x, ', ')");
    CHECK(jinja_to_lua("x | int + 1") == "__f.int(x) + 1");
    CHECK(jinja_to_lua("1 + x | int") == "1 + __f.int(x)");
    CHECK(jinja_to_lua("f(a, b) | length") == "__f.length(f(a, b))");
    CHECK(jinja_to_lua("-x | string") == "__f.string(-x)");
    CHECK(jinja_to_lua("s:lower() | trim") == "__f.trim(s:lower())");
    CHECK(jinja_to_lua("x | replace('a', y | upper)") == "__f.replace(x, 'a', __f.upper(y))");
    CHECK(jinja_to_lua("x | trim()") == "__f.trim(x)");
}

TEST_CASE("jinja rewrite: tests and in", "[lua][jinja]") {
    CHECK(jinja_to_lua("x is defined") == "(x ~= nil)");
    CHECK(jinja_to_lua("x is not defined") == "(x == nil)");
    CHECK(jinja_to_lua("x is undefined") == "(x == nil)");
    CHECK(jinja_to_lua("a.b is defined") == "(__f.try(function() return a.b end) ~= nil)");
    CHECK(jinja_to_lua("x is none") == "__t.none(x)");
    CHECK(jinja_to_lua("r is not changed") == "not __t.changed(r)");
    CHECK(jinja_to_lua("v is version('1.0', '>=')") == "__t.version(v, '1.0', '>=')");
    CHECK(jinja_to_lua("'x' in xs") == "__f.within('x', xs)");
    CHECK(jinja_to_lua("'x' not in xs and y") == "not __f.within('x', xs) and y");
    CHECK(jinja_to_lua("a .. b in c .. d == true") == "__f.within(a .. b, c .. d) == true");
    CHECK(jinja_to_lua("f(x in y, z)") == "f(__f.within(x, y), z)");
    CHECK(jinja_to_lua("x in ['a', 'b']") == "__f.within(x, {'a', 'b'})");
    // Lua's own `for ... in` is left alone.
    CHECK(jinja_to_lua("(function() for k, v in pairs(t) do end end)()") ==
          "(function() for k, v in pairs(t) do end end)()");
}

TEST_CASE("jinja rewrite: errors are clear", "[lua][jinja]") {
    CHECK_THROWS_WITH(jinja_to_lua("| upper"), Catch::Contains("'|' must follow a value"));
    CHECK_THROWS_WITH(jinja_to_lua("x is"), Catch::Contains("expected a test name"));
    CHECK_THROWS_WITH(jinja_to_lua("'abc"), Catch::Contains("unfinished string"));
    LuaEnv lua;
    CHECK_THROWS_WITH(lua.eval("x | nosuchfilter", Value()), Catch::Contains("unknown filter 'nosuchfilter'"));
    CHECK_THROWS_WITH(lua.eval("x is nosuchtest", Value()), Catch::Contains("unknown test 'nosuchtest'"));
    CHECK_THROWS_WITH(lua.eval("pkgs | join(',')", parse_yaml("pkgs: abc", "v.yml")),
                      Catch::Contains("filter 'join': expected a list, got the string 'abc'"));
}

TEST_CASE("jinja: != and constants evaluate", "[lua][jinja]") {
    CHECK(ev("result.rc != 0") == Value(false));
    CHECK(ev("True") == Value(true));
    CHECK(ev("False == false") == Value(true));
    CHECK(ev("None").is_null());
    CHECK(ev("nothing == none") == Value(true));
}

TEST_CASE("jinja: is defined / not defined / none", "[lua][jinja]") {
    CHECK(ev("name is defined") == Value(true));
    CHECK(ev("nope is defined") == Value(false));
    CHECK(ev("nope is not defined") == Value(true));
    CHECK(ev("conf.db.host is defined") == Value(true));
    CHECK(ev("conf.nope.host is defined") == Value(false));  // a missing middle is undefined, not an error
    CHECK(ev("nope.a.b is not defined") == Value(true));
    CHECK(ev("nothing is none") == Value(true));
    CHECK(ev("name is not none") == Value(true));
}

TEST_CASE("jinja tests: result and type tests", "[lua][jinja]") {
    CHECK(ev("result is changed") == Value(true));
    CHECK(ev("result is failed") == Value(false));
    CHECK(ev("result is succeeded") == Value(true));
    CHECK(ev("skipped_result is skipped") == Value(true));
    CHECK(ev("skipped_result is not changed") == Value(true));
    CHECK(ev("name is string") == Value(true));
    CHECK(ev("pkgs is sequence") == Value(true));
    CHECK(ev("conf is mapping") == Value(true));
    CHECK(ev("zero is number") == Value(true));
    CHECK(ev("result.stdout is version('4.17', '>')") == Value(true));
    CHECK(ev("name is match('Web')") == Value(true));
    CHECK(ev("name is match('eb')") == Value(false));
    CHECK(ev("name is search('eb')") == Value(true));
    CHECK_THROWS_WITH(ev("name is changed"), Catch::Contains("needs a task result"));
}

TEST_CASE("jinja: in / not in", "[lua][jinja]") {
    CHECK(ev("'qemu-kvm' in pkgs") == Value(true));
    CHECK(ev("'libvirt' in pkgs") == Value(false));
    CHECK(ev("'libvirt' not in pkgs") == Value(true));
    CHECK(ev("'cloud' in path") == Value(true));
    CHECK(ev("'db' in conf") == Value(true));
    CHECK(ev("'rc' in result and result.rc == 0") == Value(true));
    CHECK(ev("name in ['Web01', 'Web02']") == Value(true));
    CHECK(ev("zero in [1, 2]") == Value(false));
    CHECK_THROWS_WITH(ev("'x' in nope"), Catch::Contains("right side is undefined"));
}

TEST_CASE("jinja filters: default", "[lua][jinja]") {
    CHECK(ev("nope | default('x')") == Value("x"));
    CHECK(ev("name | default('x')") == Value("Web01"));
    CHECK(ev("empty | default('x')") == Value(""));
    CHECK(ev("empty | default('x', true)") == Value("x"));
    CHECK(ev("zero | default(5, true)") == Value(5));
    CHECK(ev("nothing | d('n')") == Value("n"));
    CHECK(ev("conf.nope.port | default(8080)") == Value(8080));
    CHECK(ev("conf.db.host | default('localhost') | upper") == Value("DB1"));
}

TEST_CASE("jinja filters: int, float, bool, string", "[lua][jinja]") {
    CHECK(ev("count_s | int") == Value(42));
    CHECK(ev("count_s | int").is_int());
    CHECK(ev("ratio | int") == Value(3));
    CHECK(ev("'-3.7' | int") == Value(-3));
    CHECK(ev("name | int(7)") == Value(7));
    CHECK_THROWS_WITH(ev("name | int"), Catch::Contains("filter 'int': cannot convert the string 'Web01'"));
    CHECK(ev("ratio | float") == Value(3.7));
    CHECK(ev("flag_s | bool") == Value(true));
    CHECK(ev("'no' | bool") == Value(false));
    CHECK(ev("1 | bool") == Value(true));
    CHECK(ev("zero | string") == Value("0"));
    CHECK(ev("(zero | string) .. 'x'") == Value("0x"));
    CHECK(ev("pkgs | length | string") == Value("3"));
}

TEST_CASE("jinja filters: strings", "[lua][jinja]") {
    CHECK(ev("name | lower") == Value("web01"));
    CHECK(ev("name | upper") == Value("WEB01"));
    CHECK(ev("count_s | trim") == Value("42"));
    CHECK(ev("path | replace('agent', 'server')") == Value("/etc/cloudstack/server/server.properties"));
    CHECK(ev("'a.b.c' | replace('.', '-')") == Value("a-b-c"));
    CHECK(ev("name | length") == Value(5));
    CHECK(ev("pkgs | length") == Value(3));
    CHECK(ev("conf | length") == Value(1));
    CHECK(ev("pkgs | join(' ')") == Value("cloudstack-agent cloudstack-common qemu-kvm"));
    CHECK(ev("[1, 2, 3] | join") == Value("123"));
}

TEST_CASE("jinja filters: regex_replace uses a real regex", "[lua][jinja]") {
    CHECK(ev("'4.18.0.0' | regex_replace('^(\\\\d+)\\\\.(\\\\d+).*$', '\\\\1.\\\\2')") == Value("4.18"));
    CHECK(ev("name | regex_replace('[0-9]+', '')") == Value("Web"));
    CHECK(ev("'a  b   c' | regex_replace('\\\\s+', ' ')") == Value("a b c"));
    CHECK(ev("'price' | regex_replace('e$', '$5')") == Value("pric$5"));
    CHECK(ev("'ABC' | regex_replace('b', 'x', true)") == Value("AxC"));
    CHECK(ev("path | regex_search('[a-z]+\\\\.properties')") == Value("agent.properties"));
    CHECK(ev("path | regex_search('nomatch')").is_null());
    CHECK_THROWS_WITH(ev("name | regex_replace('(', '')"), Catch::Contains("bad regexp '('"));
}

TEST_CASE("jinja filters: first, last, basename, dirname", "[lua][jinja]") {
    CHECK(ev("pkgs | first") == Value("cloudstack-agent"));
    CHECK(ev("pkgs | last") == Value("qemu-kvm"));
    CHECK(ev("name | first") == Value("W"));
    CHECK(ev("[] | first").is_null());
    CHECK(ev("path | basename") == Value("agent.properties"));
    CHECK(ev("path | dirname") == Value("/etc/cloudstack/agent"));
    CHECK(ev("'/etc' | dirname") == Value("/"));
    CHECK(ev("'file' | dirname") == Value(""));
    CHECK(ev("'/a/b/' | basename") == Value(""));
}

TEST_CASE("jinja filters: base64 and JSON", "[lua][jinja]") {
    CHECK(ev("'cloud:password' | b64encode") == Value("Y2xvdWQ6cGFzc3dvcmQ="));
    CHECK(ev("'Y2xvdWQ6cGFzc3dvcmQ=' | b64decode") == Value("cloud:password"));
    CHECK(ev("'ab' | b64encode | b64decode") == Value("ab"));
    CHECK(ev("'' | b64encode") == Value(""));
    CHECK_THROWS_WITH(ev("'!!!' | b64decode"), Catch::Contains("not valid base64"));
    CHECK(ev("conf | to_json") == Value(R"({"db": {"host": "db1"}})"));
    CHECK(ev("{a = {1, 2}} | to_json") == Value(R"({"a": [1, 2]})"));
    CHECK(ev("('{\"a\": [1, 2]}' | from_json).a[2]") == Value(2));
}

TEST_CASE("jinja filters: version_compare / version", "[lua][jinja]") {
    CHECK(ev("'1.10' | version_compare('1.9', '>')") == Value(true));
    CHECK(ev("result.stdout | version('4.18.0.0', '==')") == Value(true));
    CHECK(ev("result.stdout | version('4.18.1', 'lt')") == Value(true));
    CHECK_THROWS_WITH(ev("'1' | version('2', '=>')"), Catch::Contains("unknown operator '=>'"));
}

TEST_CASE("jinja: conditional expressions", "[lua][jinja]") {
    CHECK(jinja_to_lua("'y' if c else 'n'") == "(function() if c then return 'y' else return 'n' end end)()");
    CHECK(jinja_to_lua("f(1 if c else 2, 3)") == "f((function() if c then return 1 else return 2 end end)(), 3)");
    CHECK(jinja_to_lua("a if c") == "(function() if c then return a end end)()");
    // Lua's own if statement is left alone.
    CHECK(jinja_to_lua("local r = 1; if c then r = 2 end; return r") == "local r = 1; if c then r = 2 end; return r");
    CHECK(ev("'on' if flag_s | bool else 'off'") == Value("on"));
    CHECK(ev("conf.db.host if conf is defined else 'localhost'") == Value("db1"));
    CHECK(ev("nope.host if nope is defined else 'localhost'") == Value("localhost"));  // lazy: nope.host never runs
    CHECK(ev("'a' if zero == 1 else 'b' if zero == 0 else 'c'") == Value("b"));
    CHECK(ev("'x' if false").is_null());
    CHECK(ev("('cloud' if 'kvm' in 'qemu-kvm' else 'no') .. '-agent'") == Value("cloud-agent"));
    CHECK(ev("#pkgs .. ' pkgs' if pkgs else 'none'") == Value("3 pkgs"));
    CHECK_THROWS_AS(ev("if x else y"), UserError);
}
