#include <catch2/catch.hpp>

#include "engine/lua/lua_env.hpp"
#include "engine/util/error.hpp"
#include "tests/support/test_support.hpp"

using namespace upkeep;

namespace {

std::string error_of(LuaEnv& lua, const std::string& expr) {
    try {
        lua.eval("lua: " + expr, Value());
    } catch (const UserError& e) {
        return e.what();
    }
    return "(no error)";
}

}  // namespace

TEST_CASE("lua sandbox: no os, io, debug or package", "[lua][sandbox]") {
    LuaEnv lua;
    CHECK_THAT(error_of(lua, "os.execute('touch /tmp/upkeep-pwned')"), Catch::Contains("'os' is undefined"));
    CHECK_THAT(error_of(lua, "io.open('/etc/passwd')"), Catch::Contains("'io' is undefined"));
    CHECK(lua.eval("lua: debug", Value()).is_null());
    CHECK(lua.eval("lua: package", Value()).is_null());
    CHECK(lua.eval("lua: dofile", Value()).is_null());
    CHECK(lua.eval("lua: loadfile", Value()).is_null());
    CHECK(lua.eval("lua: print", Value()).is_null());
    CHECK(lua.eval("lua: collectgarbage", Value()).is_null());
    CHECK(lua.eval("lua: string.dump", Value()).is_null());
}

TEST_CASE("lua sandbox: load takes text only", "[lua][sandbox]") {
    LuaEnv lua;
    CHECK(lua.eval("lua: load('return 1 + 1')()", Value()) == Value(2));
    CHECK_THAT(error_of(lua, "load('\\27Lua\\84\\0', 'x', 'b')"), Catch::Contains("only text chunks"));
    // A binary chunk signature is refused even without asking for mode "b".
    CHECK(lua.eval("lua: select(2, load('\\27Lua\\84\\0'))", Value()).as_string().find("binary") != std::string::npos);
}

TEST_CASE("lua sandbox: require loads Lua files only", "[lua][sandbox]") {
    LuaEnv lua;
    CHECK(lua.eval("lua: require('upkeep.version').compare('1.10', '1.9')", Value()) == Value(1));
    CHECK_THAT(error_of(lua, "require('nosuch.module')"), Catch::Contains("module 'nosuch.module' not found"));
    CHECK_THAT(error_of(lua, "require('socket.core')"), Catch::Contains("only Lua files are loaded"));
    CHECK_THAT(error_of(lua, "require('../../etc/passwd')"), Catch::Contains("invalid module name"));

    test::TempDir dir;
    test::write_file(dir / "site/util.lua", "local M = {}\nfunction M.twice(x) return 2 * x end\nreturn M\n");
    test::write_file(dir / "site/libfake.so", "\x7f" "ELF");
    lua.add_search_path(dir.path());
    CHECK(lua.eval("lua: require('site.util').twice(21)", Value()) == Value(42));
    CHECK_THAT(error_of(lua, "require('site.libfake')"), Catch::Contains("not found"));
}

TEST_CASE("lua sandbox: runaway expressions are stopped", "[lua][sandbox]") {
    LuaEnv lua;
    lua.set_instruction_limit(1000000);
    CHECK_THAT(error_of(lua, "(function() while true do end end)()"), Catch::Contains("ran too long"));
    // A pcall inside the expression cannot swallow the limit.
    CHECK_THAT(error_of(lua, "(function() while true do pcall(function() while true do end end) end end)()"),
               Catch::Contains("ran too long"));
    lua.set_memory_limit(size_t(32) << 20);
    CHECK_THAT(error_of(lua, "string.rep('x', 100 * 1024 * 1024)"), Catch::Contains("too much memory"));
    // Both leave the state usable.
    CHECK(lua.eval("lua: 1 + 1", Value()) == Value(2));
}
