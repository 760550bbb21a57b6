#include <catch2/catch.hpp>

#include <chrono>
#include <memory>
#include <thread>

#include "engine/lua/lua_env.hpp"
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

TEST_CASE("lua eval: arithmetic keeps integers and floats apart", "[lua]") {
    LuaEnv lua;
    Value none;
    CHECK(lua.eval("1 + 2 * 3", none) == Value(7));
    CHECK(lua.eval("1 + 2 * 3", none).is_int());
    CHECK(lua.eval("7 // 2", none) == Value(3));
    CHECK(lua.eval("7 / 2", none) == Value(3.5));
    CHECK(lua.eval("2 ^ 10", none).is_double());
    CHECK(lua.eval("10 % 3", none) == Value(1));
}

TEST_CASE("lua eval: comparisons and logic", "[lua]") {
    LuaEnv lua;
    Value vars = vars_from("rc: 0\nname: web1\n");
    CHECK(lua.eval("rc == 0", vars) == Value(true));
    CHECK(lua.eval("rc ~= 0", vars) == Value(false));
    CHECK(lua.eval("rc < 1 and name == 'web1'", vars) == Value(true));
    CHECK(lua.eval("rc > 0 or name", vars) == Value("web1"));
    CHECK(lua.eval("not (rc == 0)", vars) == Value(false));
}

TEST_CASE("lua eval: string concatenation and methods", "[lua]") {
    LuaEnv lua;
    Value vars = vars_from("agent_dir: /etc/cloudstack/agent\nport: 8250\n");
    CHECK(lua.eval("agent_dir .. '/agent.properties'", vars) == Value("/etc/cloudstack/agent/agent.properties"));
    CHECK(lua.eval("'port=' .. port", vars) == Value("port=8250"));
    CHECK(lua.eval("agent_dir:upper()", vars) == Value("/ETC/CLOUDSTACK/AGENT"));
    CHECK(lua.eval("string.format('%s:%d', 'h', port)", vars) == Value("h:8250"));
}

TEST_CASE("lua eval: nested variables, lists are 1-based", "[lua]") {
    LuaEnv lua;
    Value vars = vars_from(
        "result:\n  rc: 0\n  stdout_lines: [a, b, c]\n  nested: {deep: {x: 42}}\n"
        "hosts:\n  - {name: h1, ip: 10.0.0.1}\n  - {name: h2, ip: 10.0.0.2}\n");
    CHECK(lua.eval("result.rc", vars) == Value(0));
    CHECK(lua.eval("result.stdout_lines[2]", vars) == Value("b"));
    CHECK(lua.eval("#result.stdout_lines", vars) == Value(3));
    CHECK(lua.eval("result.nested.deep.x + 1", vars) == Value(43));
    CHECK(lua.eval("result['nested']['deep']['x']", vars) == Value(42));
    CHECK(lua.eval("hosts[2].ip", vars) == Value("10.0.0.2"));
    CHECK(lua.eval("result.missing", vars).is_null());
    CHECK(lua.eval("result.stdout_lines[9]", vars).is_null());
    // Iteration and table functions work on the lazy proxies.
    CHECK(lua.eval("table.concat(result.stdout_lines, ',')", vars) == Value("a,b,c"));
    CHECK(lua.eval("(function() local n = 0 for k, v in pairs(result) do n = n + 1 end return n end)()", vars) ==
          Value(3));
    CHECK(lua.eval("(function() local s = '' for _, h in ipairs(hosts) do s = s .. h.name end return s end)()",
                   vars) == Value("h1h2"));
    CHECK(lua.eval("type(hosts)", vars) == Value("table"));
    CHECK(lua.eval("hosts[1] == hosts[1]", vars) == Value(true));
}

TEST_CASE("lua eval: containers come back as Values", "[lua]") {
    LuaEnv lua;
    Value vars = vars_from("items: [1, ~, three]\nm: {a: 1}\n");
    Value list = lua.eval("{1, 'two', 3.5, true}", Value());
    REQUIRE(list.is_list());
    CHECK(list.as_list().size() == 4);
    CHECK(list.as_list()[1] == Value("two"));
    CHECK(list.as_list()[2].is_double());
    Value map = lua.eval("{a = 1, b = {c = 'd'}}", Value());
    REQUIRE(map.is_map());
    CHECK(map.get("b").get("c") == Value("d"));
    CHECK(lua.eval("{}", Value()).is_list());
    // Nulls in lists keep their position (null sentinel) and convert back to null.
    CHECK(lua.eval("#items", vars) == Value(3));
    CHECK(lua.eval("items[2] == null", vars) == Value(true));
    Value back = lua.eval("{items[1], items[2], items[3]}", vars);
    REQUIRE(back.is_list());
    CHECK(back.as_list().size() == 3);
    CHECK(back.as_list()[1].is_null());
    // A proxy returned whole is the original Value.
    CHECK(lua.eval("m", vars) == vars.get("m"));
    CHECK(lua.eval("items", vars) == vars.get("items"));
    CHECK(lua.eval("{[1] = 'a', [3] = 'c'}", Value()).is_map());
    CHECK_THROWS_WITH(lua.eval("function() end", Value()), Catch::Contains("function cannot be used as a value"));
}

TEST_CASE("lua eval: undefined variables are nil, indexing them names them", "[lua]") {
    LuaEnv lua;
    Value vars = vars_from("result: {rc: 0}\n");
    CHECK(lua.eval("x", vars).is_null());
    CHECK(lua.eval("x == nil", vars) == Value(true));
    CHECK(error_of(lua, "missing.rc == 0", vars) == "in expression 'missing.rc == 0': 'missing' is undefined");
    CHECK(error_of(lua, "result.foo.bar", vars) == "in expression 'result.foo.bar': 'foo' is undefined");
    CHECK_THAT(error_of(lua, "nosuch(1)", vars), Catch::Contains("'nosuch' is undefined"));
}

TEST_CASE("lua eval: errors carry the mark and the expression", "[lua]") {
    LuaEnv lua;
    Value vars = vars_from("result: {rc: 0}\n");
    Mark m = mark_at("site.yml", 12, 11);
    std::string msg = error_of(lua, "result.rc = 0", vars, m);
    CHECK_THAT(msg, Catch::StartsWith("site.yml:12:11: in expression 'result.rc = 0': [string]:1:"));
    CHECK_THAT(msg, Catch::Contains("near '='"));
    CHECK_THAT(msg, Catch::EndsWith("(use '==' to compare)"));
    CHECK_THAT(error_of(lua, "1 +", vars, m), Catch::Contains("unexpected symbol near <eof>"));
    CHECK_THAT(error_of(lua, "'abc' + 1", vars, m), Catch::Contains("attempt to add"));
    CHECK_THAT(error_of(lua, "result.rc < 'x'", vars, m), Catch::Contains("attempt to compare"));
    CHECK_THAT(error_of(lua, "   ", vars, m), Catch::Contains("empty"));
    // The state stays usable after errors.
    CHECK(lua.eval("result.rc + 1", vars) == Value(1));
}

TEST_CASE("lua eval: variables cannot be assigned", "[lua]") {
    LuaEnv lua;
    Value vars = vars_from("m: {a: 1}\n");
    CHECK_THAT(error_of(lua, "(function() x = 1 end)()", vars), Catch::Contains("read-only"));
    CHECK_THAT(error_of(lua, "(function() m.a = 2 end)()", vars), Catch::Contains("read-only"));
    CHECK(vars.get("m").get("a") == Value(1));
}

TEST_CASE("lua eval: a block with its own return is accepted", "[lua]") {
    LuaEnv lua;
    Value vars = vars_from("n: 4\n");
    CHECK(lua.eval("local sq = n * n; return sq + 1", vars) == Value(17));
}

TEST_CASE("lua eval: a whole-string {{ }} is the expression", "[lua]") {
    LuaEnv lua;
    Value vars = vars_from("flag: true\n");
    CHECK(lua.eval("{{ flag }}", vars) == Value(true));
}

TEST_CASE("lua eval_bool: Lua truthiness plus playbook strings", "[lua]") {
    LuaEnv lua;
    Value vars = vars_from("yes_s: 'yes'\nno_s: 'no'\nzero: 0\nempty: []\nfull: [1]\n");
    CHECK(lua.eval_bool("true", vars));
    CHECK_FALSE(lua.eval_bool("false", vars));
    CHECK_FALSE(lua.eval_bool("undefined_thing", vars));
    CHECK(lua.eval_bool("yes_s", vars));
    CHECK_FALSE(lua.eval_bool("no_s", vars));
    CHECK_FALSE(lua.eval_bool("zero", vars));
    CHECK_FALSE(lua.eval_bool("empty", vars));
    CHECK(lua.eval_bool("full", vars));
}

TEST_CASE("lua eval: reading a secret marks the result secret", "[lua][secret]") {
    LuaEnv lua;
    Value vars = vars_from("user: cloud\ndb: {host: db1}\nitems: [a, b]\n");
    vars["password"] = Value("s3cret").set_secret();
    vars["db"]["password"] = Value("dbpass").set_secret();
    Value creds;
    creds["user"] = Value("u");
    creds["token"] = Value("t0k").set_secret();
    vars["creds"] = creds;

    CHECK_FALSE(lua.eval("user .. '@host'", vars).secret());
    Value v = lua.eval("user .. ':' .. password", vars);
    CHECK(v == Value("cloud:s3cret"));
    CHECK(v.secret());
    CHECK(lua.eval("db.password:upper()", vars).secret());
    CHECK_FALSE(lua.eval("db.host", vars).secret());
    CHECK(lua.eval("#password", vars).secret());
    // Secrets read while iterating or serializing count too.
    CHECK(lua.eval("(function() local s = '' for k, v in pairs(creds) do s = s .. v end return s end)()", vars)
              .secret());
    CHECK(lua.eval("tostring(creds)", vars).secret());
    CHECK(lua.eval("creds | to_json", vars).secret());
    // The flag does not leak into the next evaluation.
    CHECK_FALSE(lua.eval("user", vars).secret());
    // A container returned whole keeps its secret members.
    Value whole = lua.eval("creds", vars);
    CHECK(whole.contains_secret());
    CHECK(whole.to_json() == R"({"token": "********", "user": "u"})");
}

TEST_CASE("lua eval: every thread has its own state", "[lua]") {
    Value vars = vars_from("n: 20\n");
    int64_t results[2] = {0, 0};
    std::thread a([&] { results[0] = thread_lua().eval("n + 1", vars).as_int(); });
    std::thread b([&] { results[1] = thread_lua().eval("n * 2", vars).as_int(); });
    a.join();
    b.join();
    CHECK(results[0] == 21);
    CHECK(results[1] == 40);
    CHECK(&thread_lua() == &thread_lua());
}

TEST_CASE("lua eval: 10k expressions over a 1000-key vars map", "[lua][perf]") {
    LuaEnv lua;
    Map m;
    for (int i = 0; i < 1000; ++i) m["var" + std::to_string(i)] = Value(i);
    m["result"] = vars_from("rc: 0\nstdout_lines: [a, b, c]\n");
    Value vars(std::move(m));
    const char* exprs[] = {"var500 + var499", "result.rc == 0 and var7 > 3", "#result.stdout_lines",
                           "var999 .. '/x'", "x | default(var1)"};
    auto start = std::chrono::steady_clock::now();
    int64_t sum = 0;
    for (int i = 0; i < 10000; ++i) {
        Value v = lua.eval(exprs[i % 5], vars);
        if (v.is_int()) sum += v.as_int();
    }
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    INFO("10k evaluations took " << secs << " s");
    CHECK(sum == 2000 * (999 + 3 + 1));
}
