// Limits that hold inside C functions: string patterns that backtrack, a wall-clock
// deadline, and helpers whose output is allocated outside Lua's allocator.
#include <catch2/catch.hpp>

#include <chrono>

#include "engine/lua/lua_env.hpp"
#include "engine/util/error.hpp"

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

double seconds_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

TEST_CASE("limits: a backtracking string pattern fails fast with a clear error", "[lua][limits]") {
    LuaEnv lua;
    lua.set_instruction_limit(10000000);  // the pattern steps count against the same budget
    for (const char* expr : {"string.find(string.rep('a', 400), '.-.-.-.-b')",
                             "string.match(string.rep('a', 400), '.-.-.-.-b')",
                             "string.gsub(string.rep('a', 400), '.-.-.-.-b', 'x')",
                             "(function() for m in string.gmatch(string.rep('a', 400), '.-.-.-.-b') do end end)()",
                             "(string.rep('a', 400)):find('a*a*a*a*a*b')",
                             // pcall inside the expression cannot keep it going for long
                             "(function() while true do pcall(string.find, string.rep('a', 400), '.-.-.-.-b') end end)()"}) {
        INFO(expr);
        auto t0 = std::chrono::steady_clock::now();
        CHECK_THAT(error_of(lua, expr), Catch::Contains("ran too long"));
        CHECK(seconds_since(t0) < 6.0);
    }
    CHECK(lua.eval("lua: 1 + 1", Value()) == Value(2));
}

TEST_CASE("limits: the bounded pattern functions keep Lua's results", "[lua][limits]") {
    LuaEnv lua;
    auto is = [&](const char* expr, const Value& want) {
        INFO(expr);
        CHECK(lua.eval(std::string("lua: ") + expr, Value()) == want);
    };
    is("string.find('hello world', 'o w')", Value(5));
    is("select(2, string.find('hello world', 'o w'))", Value(7));
    is("string.find('a.b', '.', 1, true)", Value(2));
    is("string.find('abc', 'x')", Value());
    is("string.match('key = value', '^(%w+)%s*=%s*(%w+)$')", Value("key"));
    is("select(2, string.match('key = value', '^(%w+)%s*=%s*(%w+)$'))", Value("value"));
    is("string.match('  x  ', '^%s*(.-)%s*$')", Value("x"));
    is("string.match('hello', '()ll()')", Value(3));
    is("string.match('THE (quick) fox', '%((%a+)%)')", Value("quick"));
    is("string.match('f(a(b)c)d', '%b()')", Value("(a(b)c)"));
    is("string.match('THE quick', '%f[%a]%a+', 4)", Value("quick"));
    is("string.match('abab', '(ab)%1')", Value("ab"));
    is("string.match('x=[1-9]', '[%[%]]')", Value("["));
    is("string.match('abc123', '[^%a]+')", Value("123"));
    is("string.gsub('hello world', 'o', '0')", Value("hell0 w0rld"));
    is("select(2, string.gsub('hello world', 'o', '0'))", Value(2));
    is("string.gsub('hello world', '(%w+)', '<%1>')", Value("<hello> <world>"));
    is("string.gsub('abc', '%w', '%0%0')", Value("aabbcc"));
    is("string.gsub('$name is $age', '%$(%w+)', { name = 'bob', age = 7 })", Value("bob is 7"));
    is("string.gsub('abc', '.', function(c) return c:upper() end, 2)", Value("ABc"));
    is("string.gsub('abc', '', '-')", Value("-a-b-c-"));
    is("string.gsub('hello', '^h', 'H')", Value("Hello"));
    is("(function() local t = {} for k, v in string.gmatch('a=1, b=2', '(%w+)=(%w+)') do t[#t + 1] = k .. v end "
       "return table.concat(t, ';') end)()",
       Value("a1;b2"));
    is("('x'):rep(3):gsub('x', 'y')", Value("yyy"));
    CHECK_THAT(error_of(lua, "string.find('a', '[a')"), Catch::Contains("malformed pattern"));
    CHECK_THAT(error_of(lua, "string.gsub('a', 'a', '%2')"), Catch::Contains("invalid capture index"));
}

TEST_CASE("limits: the wall-clock deadline stops an evaluation", "[lua][limits]") {
    LuaEnv lua;
    lua.set_instruction_limit(uint64_t(1) << 40);  // only the clock can stop it
    lua.set_time_limit(std::chrono::milliseconds(300));
    auto t0 = std::chrono::steady_clock::now();
    CHECK_THAT(error_of(lua, "(function() while true do end end)()"), Catch::Contains("ran too long (more than 300 ms)"));
    CHECK(seconds_since(t0) < 2.0);
    t0 = std::chrono::steady_clock::now();
    CHECK_THAT(error_of(lua, "string.find(string.rep('a', 2000), '.-.-.-.-.-b')"), Catch::Contains("ran too long"));
    CHECK(seconds_since(t0) < 2.0);
}

TEST_CASE("limits: native helpers respect the memory limit", "[lua][limits]") {
    LuaEnv lua;
    lua.set_memory_limit(size_t(8) << 20);
    CHECK_THAT(error_of(lua, "upkeep.regex_replace(string.rep('a', 100000), 'a', string.rep('b', 100))"),
               Catch::Contains("too much memory"));
    CHECK_THAT(error_of(lua, "upkeep.b64encode(string.rep('a', 7000000))"), Catch::Contains("too much memory"));
    CHECK(lua.eval("lua: upkeep.regex_replace('a-b', '(\\\\w)-(\\\\w)', '\\\\2-\\\\1')", Value()) == Value("b-a"));
    CHECK(lua.eval("lua: upkeep.regex_search('Version 12.4', '\\\\d+')", Value()) == Value("12"));
}
