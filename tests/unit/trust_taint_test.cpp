// The untrusted mark (a managed host's data) on Value: how it travels through
// copies, containers, merges, expressions and Lua round trips, and that rendering
// and evaluation refuse to treat marked text as code.
#include <catch2/catch.hpp>

#include "engine/lua/lua_env.hpp"
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
        Value v = lua.eval(expr, vars);
        CHECK(v.untrusted());
        if (v.is_list()) CHECK(v.as_list()[0].untrusted());
        if (v.is_map() && v.has("k")) CHECK(v.get("k").untrusted());
    }
    // The mark does not leak into later evaluations that do not read host data.
    CHECK_FALSE(lua.eval("secret_of_h2", vars).untrusted());
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
