// Expressions: Jinja2 compiled to Lua (engine/lua/jinja_*.cpp, lua/upkeep/jinja*.lua),
// and raw Lua behind "lua:".
#include <catch2/catch.hpp>

#include <chrono>
#include <memory>
#include <thread>

#include "engine/lua/lua_env.hpp"
#include "engine/lua/lua_pool.hpp"
#include "engine/util/error.hpp"
#include "engine/value/yaml.hpp"

using namespace upkeep;

namespace {

Value vars_from(const std::string& yaml) { return parse_yaml(yaml, "vars.yml"); }

Mark mark_at(const char* file, int line, int col) {
    Mark m;
    m.file = std::make_shared<const std::string>(file);
    m.line = line;
    m.col = col;
    return m;
}

std::string error_of(LuaEnv& lua, const std::string& expr, const Value& vars, const Mark& mark = {}) {
    try {
        lua.eval(expr, vars, mark);
    } catch (const UserError& e) {
        return e.mark().known() ? e.mark().to_string() + ": " + e.what() : e.what();
    }
    return "(no error)";
}

}  // namespace

TEST_CASE("jinja eval: arithmetic as in Python", "[lua][jinja]") {
    LuaEnv lua;
    Value none;
    CHECK(lua.eval("1 + 2 * 3", none) == Value(7));
    CHECK(lua.eval("1 + 2 * 3", none).is_int());
    CHECK(lua.eval("7 // 2", none) == Value(3));
    CHECK(lua.eval("-7 // 2", none) == Value(-4));
    CHECK(lua.eval("7 / 2", none) == Value(3.5));
    CHECK(lua.eval("6 / 2", none).is_double());
    CHECK(lua.eval("2 ** 10", none) == Value(1024));
    CHECK(lua.eval("2 ** 10", none).is_int());
    CHECK(lua.eval("10 % 3", none) == Value(1));
    CHECK(lua.eval("'ab' * 3", none) == Value("ababab"));
    CHECK(lua.eval("[1] + [2]", none) == lua.eval("[1, 2]", none));
    CHECK(lua.eval("'a' ~ 1 ~ none", none) == Value("a1None"));
    CHECK(lua.eval("'%s=%d' % ('x', 3)", none) == Value("x=3"));
}

TEST_CASE("jinja eval: comparisons, logic and conditional expressions", "[lua][jinja]") {
    LuaEnv lua;
    Value vars = vars_from("rc: 0\nname: web1\n");
    CHECK(lua.eval("rc == 0", vars) == Value(true));
    CHECK(lua.eval("rc != 0", vars) == Value(false));
    CHECK(lua.eval("rc < 1 and name == 'web1'", vars) == Value(true));
    CHECK(lua.eval("rc > 0 or name", vars) == Value("web1"));
    CHECK(lua.eval("not (rc == 0)", vars) == Value(false));
    CHECK(lua.eval("1 < 2 < 3", vars) == Value(true));
    CHECK(lua.eval("3 > 2 > 2", vars) == Value(false));
    CHECK(lua.eval("'eb' in name", vars) == Value(true));
    CHECK(lua.eval("'x' not in name", vars) == Value(true));
    CHECK(lua.eval("'big' if rc > 0 else 'small'", vars) == Value("small"));
    // Only the chosen branch is evaluated.
    CHECK(lua.eval("missing.x if missing is defined else 0", vars) == Value(0));
}

TEST_CASE("jinja eval: literals", "[lua][jinja]") {
    LuaEnv lua;
    Value none;
    CHECK(lua.eval("True", none) == Value(true));
    CHECK(lua.eval("false", none) == Value(false));
    CHECK(lua.eval("None", none).is_null());
    CHECK(lua.eval("'a\\tb'", none) == Value("a\tb"));
    CHECK(lua.eval("\"\\u00e9\"", none) == Value("\xc3\xa9"));
    CHECK(lua.eval("1_000", none) == Value(1000));
    CHECK(lua.eval("1.5e3", none) == Value(1500.0));
    Value list = lua.eval("[1, 'two', 3.5, true]", none);
    REQUIRE(list.is_list());
    CHECK(list.as_list().size() == 4);
    CHECK(list.as_list()[2].is_double());
    Value map = lua.eval("{'a': 1, 'b': {'c': 'd'}}", none);
    REQUIRE(map.is_map());
    CHECK(map.get("b").get("c") == Value("d"));
    CHECK(lua.eval("{}", none).is_map());
    CHECK(lua.eval("[]", none).is_list());
    CHECK(lua.eval("(1, 2)", none).is_list());
}

TEST_CASE("jinja eval: nested variables, lists are 0-based, slicing", "[lua][jinja]") {
    LuaEnv lua;
    Value vars = vars_from(
        "result:\n  rc: 0\n  stdout_lines: [a, b, c]\n  nested: {deep: {x: 42}}\n"
        "hosts:\n  - {name: h1, ip: 10.0.0.1}\n  - {name: h2, ip: 10.0.0.2}\nitems: [1, ~, three]\n");
    CHECK(lua.eval("result.rc", vars) == Value(0));
    CHECK(lua.eval("result.stdout_lines[1]", vars) == Value("b"));
    CHECK(lua.eval("result.stdout_lines[-1]", vars) == Value("c"));
    CHECK(lua.eval("result.stdout_lines | length", vars) == Value(3));
    CHECK(lua.eval("result.nested.deep.x + 1", vars) == Value(43));
    CHECK(lua.eval("result['nested']['deep']['x']", vars) == Value(42));
    CHECK(lua.eval("hosts[1].ip", vars) == Value("10.0.0.2"));
    CHECK(lua.eval("hosts.0.name", vars) == Value("h1"));
    CHECK(lua.eval("result.stdout_lines[1:]", vars) == lua.eval("['b', 'c']", vars));
    CHECK(lua.eval("result.stdout_lines[::-1] | join('')", vars) == Value("cba"));
    CHECK(lua.eval("'abcdef'[1:4]", vars) == Value("bcd"));
    CHECK(lua.eval("result.keys() | list", vars) == lua.eval("['nested', 'rc', 'stdout_lines']", vars));
    CHECK(lua.eval("hosts | map(attribute='name') | join(',')", vars) == Value("h1,h2"));
    // A None inside a list keeps its place.
    Value back = lua.eval("[items[0], items[1], items[2]]", vars);
    REQUIRE(back.is_list());
    CHECK(back.as_list()[1].is_null());
    CHECK(lua.eval("items[1] is none", vars) == Value(true));
    // A container returned whole is the original Value.
    CHECK(lua.eval("result", vars) == vars.get("result"));
}

TEST_CASE("jinja eval: undefined names, keys and indexes fail, naming them", "[lua][jinja][undefined]") {
    LuaEnv lua;
    Value vars = vars_from("result: {rc: 0}\nold_release: '4.17'\nnums: [1, 2]\nnothing: ~\n");
    CHECK(error_of(lua, "old_relase", vars) ==
          "in expression 'old_relase': 'old_relase' is undefined (did you mean 'old_release'?)");
    CHECK_THAT(error_of(lua, "missing.rc == 0", vars), Catch::Contains("'missing' is undefined"));
    CHECK_THAT(error_of(lua, "result.foo", vars), Catch::Contains("'result.foo' is undefined"));
    CHECK_THAT(error_of(lua, "result.foo.bar", vars), Catch::Contains("'result.foo' is undefined"));
    CHECK_THAT(error_of(lua, "result.rx", vars), Catch::Contains("did you mean 'rc'?"));
    CHECK_THAT(error_of(lua, "nums[5]", vars), Catch::Contains("'nums[5]' is undefined: index 5 is out of range"));
    CHECK_THAT(error_of(lua, "result['nope']", vars), Catch::Contains("no key 'nope'"));
    CHECK_THAT(error_of(lua, "nosuch(1)", vars), Catch::Contains("'nosuch' is undefined"));
    CHECK_THAT(error_of(lua, "x + 1", vars), Catch::Contains("'x' is undefined"));
    CHECK_THAT(error_of(lua, "x | upper", vars), Catch::Contains("'x' is undefined"));
    CHECK_THAT(error_of(lua, "[x]", vars), Catch::Contains("'x' is undefined"));
    // ... and what is meant for undefined values keeps working.
    CHECK(lua.eval("x is defined", vars) == Value(false));
    CHECK(lua.eval("x is undefined", vars) == Value(true));
    CHECK(lua.eval("result.foo.bar is defined", vars) == Value(false));
    CHECK(lua.eval("nums[5] is defined", vars) == Value(false));
    CHECK(lua.eval("x | default('d')", vars) == Value("d"));
    CHECK(lua.eval("x | d(7)", vars) == Value(7));
    CHECK(lua.eval("result.foo | default(result.rc)", vars) == Value(0));
    CHECK(lua.eval("nothing is none", vars) == Value(true));
    CHECK(lua.eval("nothing is defined", vars) == Value(true));
    CHECK_THAT(error_of(lua, "x | mandatory", vars), Catch::Contains("Mandatory variable not defined"));
}

TEST_CASE("jinja eval: errors carry the mark, the expression and the column", "[lua][jinja]") {
    LuaEnv lua;
    Value vars = vars_from("result: {rc: 0}\n");
    Mark m = mark_at("site.yml", 12, 11);
    std::string msg = error_of(lua, "result.rc = 0", vars, m);
    CHECK_THAT(msg, Catch::StartsWith("site.yml:12:11: in expression 'result.rc = 0': "));
    CHECK_THAT(msg, Catch::Contains("column 11"));
    CHECK_THAT(error_of(lua, "1 +", vars, m), Catch::Contains("expected a value"));
    CHECK_THAT(error_of(lua, "'abc' + 1", vars, m), Catch::Contains("unsupported operand type(s) for +: 'str' and 'int'"));
    CHECK_THAT(error_of(lua, "result.rc < 'x'", vars, m), Catch::Contains("'<' not supported"));
    CHECK_THAT(error_of(lua, "   ", vars, m), Catch::Contains("empty"));
    CHECK_THAT(error_of(lua, "x | nosuchfilter", vars_from("x: 1\n"), m), Catch::Contains("no filter named 'nosuchfilter'"));
    // The state stays usable after errors.
    CHECK(lua.eval("result.rc + 1", vars) == Value(1));
}

TEST_CASE("jinja eval: a whole-string {{ }} is the expression", "[lua][jinja]") {
    LuaEnv lua;
    Value vars = vars_from("flag: true\n");
    CHECK(lua.eval("{{ flag }}", vars) == Value(true));
}

TEST_CASE("jinja eval_bool: Python truthiness", "[lua][jinja]") {
    LuaEnv lua;
    Value vars = vars_from("yes_s: 'yes'\nno_s: 'no'\nfalse_s: 'false'\nzero: 0\nempty: []\nfull: [1]\nnothing: ~\n");
    CHECK(lua.eval_bool("true", vars));
    CHECK_FALSE(lua.eval_bool("false", vars));
    CHECK(lua.eval_bool("yes_s", vars));
    CHECK(lua.eval_bool("no_s", vars));     // a non-empty string, as in Jinja's {% if %}
    CHECK(lua.eval_bool("false_s", vars));  // idem: Python's truth, like Ansible
    CHECK_FALSE(lua.eval_bool("zero", vars));
    CHECK_FALSE(lua.eval_bool("empty", vars));
    CHECK_FALSE(lua.eval_bool("nothing", vars));
    CHECK(lua.eval_bool("full", vars));
    CHECK(lua.eval_bool("false_s | bool == false", vars));
    CHECK_THROWS_WITH(lua.eval_bool("undefined_thing", vars), Catch::Contains("'undefined_thing' is undefined"));
}

TEST_CASE("jinja eval: raw Lua after 'lua:'", "[lua][jinja]") {
    LuaEnv lua;
    Value vars = vars_from("agent_dir: /etc/cloudstack/agent\nport: 8250\nl: [a, b, c]\nn: 4\n");
    CHECK(lua.eval("lua: agent_dir .. '/agent.properties'", vars) == Value("/etc/cloudstack/agent/agent.properties"));
    CHECK(lua.eval("lua: string.format('%s:%d', 'h', port)", vars) == Value("h:8250"));
    CHECK(lua.eval("lua: l[1]", vars) == Value("a"));  // Lua's own 1-based indexing
    CHECK(lua.eval("lua: table.concat(l, ',')", vars) == Value("a,b,c"));
    CHECK(lua.eval("lua: local sq = n * n; return sq + 1", vars) == Value(17));
    CHECK(lua.eval("{{ lua: n * 2 }}", vars) == Value(8));
    CHECK_THAT(error_of(lua, "lua: (function() x = 1 end)()", vars), Catch::Contains("read-only"));
}

TEST_CASE("jinja eval: reading a secret marks the result secret", "[lua][jinja][secret]") {
    LuaEnv lua;
    Value vars = vars_from("user: cloud\ndb: {host: db1}\nitems: [a, b]\n");
    vars["password"] = Value("s3cret").set_secret();
    vars["db"]["password"] = Value("dbpass").set_secret();
    Value creds;
    creds["user"] = Value("u");
    creds["token"] = Value("t0k").set_secret();
    vars["creds"] = creds;

    CHECK_FALSE(lua.eval("user ~ '@host'", vars).secret());
    Value v = lua.eval("user ~ ':' ~ password", vars);
    CHECK(v == Value("cloud:s3cret"));
    CHECK(v.secret());
    CHECK(lua.eval("db.password | upper", vars).secret());
    CHECK_FALSE(lua.eval("db.host", vars).secret());
    CHECK(lua.eval("password | length", vars).secret());
    CHECK(lua.eval("creds.values() | join", vars).secret());
    CHECK(lua.eval("creds | to_json", vars).secret());
    CHECK_FALSE(lua.eval("user", vars).secret());
    Value whole = lua.eval("creds", vars);
    CHECK(whole.contains_secret());
    CHECK(whole.to_json() == R"({"token": "********", "user": "u"})");
}

TEST_CASE("jinja eval: concurrent evaluations borrow separate states, a nested lease the same", "[lua][jinja]") {
    Value vars = vars_from("n: 20\n");
    int64_t results[2] = {0, 0};
    std::thread a([&] { results[0] = lua_lease()->eval("n + 1", vars).as_int(); });
    std::thread b([&] { results[1] = lua_lease()->eval("n * 2", vars).as_int(); });
    a.join();
    b.join();
    CHECK(results[0] == 21);
    CHECK(results[1] == 40);
    LuaLease outer;
    CHECK(&*lua_lease() == &*outer);  // nested on one thread: the state it holds
    LuaEnv* other = nullptr;
    std::thread c([&] { other = &*lua_lease(); });
    c.join();
    CHECK(other != &*outer);  // another thread never gets a state in use
}

// Issue 12.4: one state per worker thread was ~350 KB per fork (1,000 forks, 1,000
// states). Leased per evaluation, states are reused: 64 threads evaluating in turn
// need far fewer than 64.
TEST_CASE("jinja eval: states are reused across threads, not made per thread", "[lua][jinja]") {
    Value vars = vars_from("n: 1\n");
    { LuaLease warm; }  // at least one idle state
    size_t before = lua_states_created();
    for (int round = 0; round < 64; ++round) {
        std::thread t([&] { CHECK(lua_lease()->eval("n + 1", vars).as_int() == 2); });
        t.join();
    }
    CHECK(lua_states_created() == before);
}

TEST_CASE("jinja eval: 10k expressions over a 1000-key vars map", "[lua][jinja][perf]") {
    LuaEnv lua;
    Map m;
    for (int i = 0; i < 1000; ++i) m["var" + std::to_string(i)] = Value(i);
    m["result"] = vars_from("rc: 0\nstdout_lines: [a, b, c]\n");
    Value vars(std::move(m));
    const char* exprs[] = {"var500 + var499", "result.rc == 0 and var7 > 3", "result.stdout_lines | length",
                           "var999 ~ '/x'", "x | default(var1)"};
    auto start = std::chrono::steady_clock::now();
    int64_t sum = 0;
    for (int i = 0; i < 10000; ++i) {
        Value v = lua.eval(exprs[i % 5], vars);
        if (v.is_int()) sum += v.as_int();
    }
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    INFO("10k evaluations took " << secs << " s");
    CHECK(sum == 2000 * (999 + 3 + 1));
    CHECK(secs < 5.0);
}
