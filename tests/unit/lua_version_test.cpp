#include <catch2/catch.hpp>

#include "engine/lua/lua_env.hpp"

using namespace upkeep;

namespace {

int cmp(LuaEnv& lua, const std::string& a, const std::string& b) {
    Value vars;
    vars["a"] = Value(a);
    vars["b"] = Value(b);
    return static_cast<int>(lua.eval("lua: require('upkeep.version').compare(a, b)", vars).as_int());
}

}  // namespace

TEST_CASE("version.lua: RPM ordering", "[lua][version]") {
    LuaEnv lua;
    CHECK(cmp(lua, "1.10", "1.9") == 1);
    CHECK(cmp(lua, "1.9", "1.10") == -1);
    CHECK(cmp(lua, "4.3.0", "4.3.0.1") == -1);
    CHECK(cmp(lua, "4.3.0.1", "4.3.0") == 1);
    CHECK(cmp(lua, "2.3.0-31.el7_2.21", "2.3.0-31.el7_2.3") == 1);
    CHECK(cmp(lua, "2.3.0-31.el7_2.3", "2.3.0-31.el7_2.21") == -1);
    CHECK(cmp(lua, "4.18.0.0", "4.18.0.0") == 0);
    CHECK(cmp(lua, "1.01", "1.1") == 0);       // leading zeros do not count
    CHECK(cmp(lua, "1.0", "1_0") == 0);        // separators are equivalent
    CHECK(cmp(lua, "1.0a", "1.0") == 1);       // more segments is newer
    CHECK(cmp(lua, "1.0", "1.a") == 1);        // numbers are newer than letters
    CHECK(cmp(lua, "1.0~rc1", "1.0") == -1);   // tilde sorts first
    CHECK(cmp(lua, "1.0~rc1", "1.0~rc2") == -1);
    CHECK(cmp(lua, "1.0^git1", "1.0") == 1);   // caret after the end...
    CHECK(cmp(lua, "1.0^git1", "1.0.1") == -1);  // ...but before more segments
    CHECK(cmp(lua, "1:1.0", "2.0") == 1);      // epoch first
    CHECK(cmp(lua, "0:2.0", "2.0") == 0);
    CHECK(cmp(lua, "abc", "abd") == -1);
    CHECK(cmp(lua, "el7", "el8") == -1);
}

TEST_CASE("version test and filter in Jinja expressions", "[lua][version][jinja]") {
    LuaEnv lua;
    Value none;
    CHECK(lua.eval("'1.10' is version('1.9', '>')", none) == Value(true));
    CHECK(lua.eval("'4.18.1' is version('4.2', 'lt')", none) == Value(false));
    CHECK(lua.eval("'2.3.0-31.el7_2.21' is version_compare('2.3.0-31.el7_2.3', '>=')", none) == Value(true));
    CHECK(lua.eval("'1.0' is version('1.0')", none) == Value(true));
}

TEST_CASE("version.lua: operators", "[lua][version]") {
    LuaEnv lua;
    Value none;
    CHECK(lua.eval("lua: require('upkeep.version').test('1.10', '1.9', '>')", none) == Value(true));
    CHECK(lua.eval("lua: require('upkeep.version').test('1.10', '1.9', 'ge')", none) == Value(true));
    CHECK(lua.eval("lua: require('upkeep.version').test('1.10', '1.10')", none) == Value(true));
    CHECK(lua.eval("lua: require('upkeep.version').test('1.10', '1.10', '!=')", none) == Value(false));
    CHECK(lua.eval("lua: require('upkeep.version').test('4.3.0', '4.3.0.1', '<')", none) == Value(true));
    CHECK(lua.eval("lua: require('upkeep.version').test(4.3, '4.3', 'eq')", none) == Value(true));
    CHECK_THROWS_WITH(lua.eval("lua: require('upkeep.version').test({}, '1')", none),
                      Catch::Contains("must be a string"));
}
