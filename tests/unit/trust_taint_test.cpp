// The untrusted mark (a managed host's data) on Value: how it travels through
// copies, containers, merges, expressions and Lua round trips, and that rendering
// and evaluation refuse to treat marked text as code.
#include <catch2/catch.hpp>

#include "engine/lua/lua_env.hpp"
#include "tests/support/test_support.hpp"
#include "engine/util/error.hpp"

using namespace upkeep;

namespace {

Value host_data(const std::string& s) {
    Value v(s);
    v.set_untrusted();
    return v;
}

Value vars_with(const std::string& name, const Value& v) {
    Value vars(Map{});
    vars[name] = v;
    vars["secret_of_h2"] = Value("pw-h2");
    return vars;
}

}  // namespace

TEST_CASE("untrusted: the mark is deep and survives copies, elements and merges", "[trust]") {
    Value facts(Map{});
    facts["distribution"] = Value("{{ secret_of_h2 }}");
    facts["list"] = Value(List{Value("a"), Value(Map{{"k", Value("b")}})});
    facts.set_untrusted();
    Value copy = facts;
    CHECK(copy.untrusted());
    CHECK(copy.get("distribution").untrusted());
    CHECK(copy.get("list").as_list()[0].untrusted());
    CHECK(copy.get("list").as_list()[1].get("k").untrusted());

    Value mine(Map{});
    mine["own"] = Value("{{ x }}");
    Value merged = merge_maps(mine, facts);
    CHECK_FALSE(merged.get("own").untrusted());
    CHECK(merged.get("distribution").untrusted());
    CHECK(merged.get("list").untrusted());
    // Equality is about the data, not the mark.
    CHECK(Value("x") == host_data("x"));
}

TEST_CASE("untrusted: rendering leaves host text as text and taints what it produced", "[trust]") {
    LuaEnv lua;
    Value vars = vars_with("fact", host_data("{{ secret_of_h2 }}"));
    // The host's text itself is not a template.
    Value same = lua.render(host_data("{{ secret_of_h2 }}"), vars);
    CHECK(same.as_string() == "{{ secret_of_h2 }}");
    CHECK(same.untrusted());
    // A playbook template that reads it gives the text, marked.
    Value whole = lua.render(Value("{{ fact }}"), vars);
    CHECK(whole.as_string() == "{{ secret_of_h2 }}");
    CHECK(whole.untrusted());
    Value mixed = lua.render(Value("OS: {{ fact }}!"), vars);
    CHECK(mixed.as_string() == "OS: {{ secret_of_h2 }}!");
    CHECK(mixed.untrusted());
    // Rendering the result again (a nested template) still does not run it.
    CHECK(lua.render(mixed, vars).as_string() == "OS: {{ secret_of_h2 }}!");
    // Lists and maps: the untrusted parts are skipped, the playbook's own parts rendered.
    Value args(Map{});
    args["a"] = Value("{{ secret_of_h2 }}");
    args["b"] = host_data("{{ secret_of_h2 }}");
    Value r = lua.render(args, vars);
    CHECK(r.get("a").as_string() == "pw-h2");
    CHECK_FALSE(r.get("a").untrusted());
    CHECK(r.get("b").as_string() == "{{ secret_of_h2 }}");
    // Expressions that do not read host data stay trusted.
    CHECK_FALSE(lua.render(Value("{{ secret_of_h2 }}"), vars).untrusted());
}

TEST_CASE("untrusted: the mark survives Lua round trips", "[trust]") {
    LuaEnv lua;
    Value out(Map{});
    out["stdout"] = Value("hostvars.h2.x");
    out.set_untrusted();
    Value vars = vars_with("r", out);
    for (const char* expr : {"r.stdout", "r.stdout .. ''", "string.upper(r.stdout)", "{ r.stdout }", "{ k = r.stdout }",
                             "r", "(function() local t = {} for k, v in pairs(r) do t[#t + 1] = v end return t end)()",
                             "upkeep.from_json(upkeep.to_json(r))", "tostring(r)", "#r.stdout"}) {
        INFO(expr);
        Value v = lua.eval(std::string("lua: ") + expr, vars);
        CHECK(v.untrusted());
        if (v.is_list()) CHECK(v.as_list()[0].untrusted());
        if (v.is_map() && v.has("k")) CHECK(v.get("k").untrusted());
    }
    // The mark does not leak into later evaluations that do not read host data.
    CHECK_FALSE(lua.eval("secret_of_h2", vars).untrusted());
    // The same through Jinja filters.
    CHECK(lua.eval("r.stdout | upper", vars).untrusted());
    CHECK(lua.eval("r | to_json | from_json", vars).untrusted());
}

TEST_CASE("untrusted: an expression held in host data is refused, not evaluated", "[trust]") {
    LuaEnv lua;
    Value vars = vars_with("x", Value(1));
    Value expr = host_data("secret_of_h2");
    try {
        lua.eval_expression(expr, vars);
        FAIL("host data was evaluated");
    } catch (const UserError& e) {
        CHECK_THAT(e.what(), Catch::Contains("refusing to evaluate data from a managed host"));
    }
    CHECK(lua.eval_expression(Value("x + 1"), vars) == Value(2));
}

namespace {

// Attempts by one evaluation to change what a later evaluation (another host on the
// same worker thread) gets: each must fail, and leave the environment as it was.
const char* const k_tampering[] = {
    "(function() string.upper = function() return 'PWNED' end end)()",
    "(function() _G.string = { upper = function() return 'PWNED' end } end)()",
    "rawset(string, 'upper', function() return 'PWNED' end)",
    "rawset(_G, 'string', { upper = function() return 'PWNED' end })",
    "rawset(__f, 'upper', function() return 'PWNED' end)",
    "(function() __f.upper = function() return 'PWNED' end end)()",
    "(function() getmetatable('').__index = { upper = function() return 'PWNED' end } end)()",
    "rawset(_ENV, 'x', 'PWNED')",
    "setmetatable(_G, nil)",
    "load('string.upper = function() return \"PWNED\" end')()",
    "load('__f = { upper = function() return \"PWNED\" end }')()",
    "(function() require('upkeep.filters').filters.upper = function() return 'PWNED' end end)()",
    "(function() require('upkeep.version').compare = function() return 'PWNED' end end)()",
    "(function() getmetatable(null).__tostring = function() return 'PWNED' end end)()",
    "(function() upkeep.to_json = function() return 'PWNED' end end)()",
    "(function() table.concat = function() return 'PWNED' end end)()",
    "math.randomseed(42)",
};

}  // namespace

TEST_CASE("pristine environment: an evaluation cannot change what the next one sees", "[trust][sandbox]") {
    LuaEnv lua;
    Value vars(Map{});
    vars["x"] = Value("text");
    for (const char* attack : k_tampering) {
        INFO(attack);
        CHECK_THROWS_AS(lua.eval(std::string("lua: ") + attack, vars), UserError);
        CHECK(lua.render(Value("{{ x | upper }}"), vars) == Value("TEXT"));
        CHECK(lua.eval("lua: string.upper(x)", vars) == Value("TEXT"));
        CHECK(lua.eval("lua: x:upper()", vars) == Value("TEXT"));
        CHECK(lua.eval("lua: require('upkeep.version').compare('1.10', '1.9')", vars) == Value(1));
        CHECK(lua.eval("lua: tostring(null)", vars) == Value("null"));
        CHECK(lua.eval("lua: upkeep.to_json({1})", vars) == Value("[1]"));
        CHECK(lua.eval("lua: table.concat({'a', 'b'}, ',')", vars) == Value("a,b"));
    }
    // Reading the environment still works as before.
    CHECK(lua.eval("lua: type(string)", vars) == Value("table"));
    CHECK(lua.eval("lua: rawget(string, 'upper') == string.upper", vars) == Value(true));
    CHECK(lua.eval("lua: (function() local n = 0 for _ in pairs(string) do n = n + 1 end return n > 10 end)()", vars) ==
          Value(true));
    CHECK(lua.eval("lua: next(string) ~= nil", vars) == Value(true));
    // An expression's own tables stay writable.
    CHECK(lua.eval("lua: (function() local t = {} t.a = 1 rawset(t, 'b', 2) return t.a + t.b end)()", vars) == Value(3));
}

// Tables that carry metamethods (a module's class table `M.__index = M`, the
// jinja runtime's LIST/DICT metatables reached through getmetatable) used to be
// left writable by the freeze: one host's expression could rewrite a method every
// other host's evaluation then ran.
TEST_CASE("pristine environment: tables carrying metamethods are read-only too", "[trust][sandbox][metamethods]") {
    test::TempDir dir;
    test::write_file(dir / "site/point.lua",
                     "local P = {}\nP.__index = P\n"
                     "function P.new(x) return setmetatable({ x = x }, P) end\n"
                     "function P:show() return 'x=' .. self.x end\n"
                     "P.defaults = { x = 1 }\n"
                     "return P\n");
    LuaEnv lua;
    lua.add_search_path(dir.path());
    Value vars(Map{});
    vars["items"] = Value(List{Value("b"), Value("a")});
    const char* attacks[] = {
        "(function() require('site.point').show = function() return 'PWNED' end end)()",
        "(function() require('site.point').__index = { show = function() return 'PWNED' end } end)()",
        "rawset(require('site.point'), 'show', function() return 'PWNED' end)",
        "(function() require('site.point').defaults.x = 'PWNED' end)()",
        "(function() getmetatable(require('site.point').new(1)).show = function() return 'PWNED' end end)()",
        "(function() getmetatable(require('site.point').new(1)).__index = {} end)()",
        "(function() local mt = getmetatable(__j.list({})) mt.__index = function() return 'PWNED' end end)()",
        "(function() local mt = getmetatable(__j.list({})) mt.__len = function() return 99 end end)()",
        "setmetatable(require('site.point'), nil)",
    };
    for (const char* attack : attacks) {
        INFO(attack);
        CHECK_THROWS_AS(lua.eval(std::string("lua: ") + attack, vars), UserError);
        CHECK(lua.eval("lua: require('site.point').new(7):show()", vars) == Value("x=7"));
        CHECK(lua.eval("lua: require('site.point').defaults.x", vars) == Value(1));
        CHECK(lua.render(Value("{{ items | sort | join(',') }}"), vars) == Value("a,b"));
        CHECK(lua.render(Value("{{ items | length }}"), vars) == Value(2));
    }
    // Reading through the view still works: fields, pairs, class identity.
    CHECK(lua.eval("lua: require('site.point').show ~= nil", vars) == Value(true));
    CHECK(lua.eval("lua: getmetatable(require('site.point').new(1)) == require('site.point')", vars) == Value(true));
    CHECK(lua.eval("lua: (function() local n = 0 for k in pairs(require('site.point')) do n = n + 1 end return n end)()",
                   vars) == Value(4));
}
