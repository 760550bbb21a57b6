#include "engine/lua/lua_native.hpp"
#include "engine/util/digest.hpp"


#include <string>

#include "engine/lua/lua_convert.hpp"
#include "engine/util/error.hpp"
#include "engine/util/py_regex.hpp"
#include "engine/value/yaml.hpp"

namespace upkeep::lua {

namespace {

std::string arg_string(lua_State* L, int idx) {
    size_t len = 0;
    const char* s = luaL_checklstring(L, idx, &len);
    return std::string(s, len);
}

void push_string(lua_State* L, const std::string& s) { lua_pushlstring(L, s.data(), s.size()); }

// A helper's output is allocated outside Lua's allocator: hold it to the same
// limit before handing it to Lua, so a native cannot grow past the evaluation's memory.
void check_native_size(lua_State* L, size_t bytes) {
    Runtime& rt = runtime(L);
    if (rt.enforce && rt.mem_used + bytes > rt.mem_limit)
        throw UserError("expression used too much memory (a helper's result of " + std::to_string(bytes >> 20) +
                        " MB is over the limit of " + std::to_string(rt.mem_limit >> 20) + " MB)");
}

// "list", "map", "null", "nil", "bool", "int", "float", "string", "function" or "userdata".
int l_kind(lua_State* L) {
    const char* k = "userdata";
    switch (lua_type(L, 1)) {
        case LUA_TNONE:
        case LUA_TNIL: k = "nil"; break;
        case LUA_TBOOLEAN: k = "bool"; break;
        case LUA_TNUMBER: k = lua_isinteger(L, 1) ? "int" : "float"; break;
        case LUA_TSTRING: k = "string"; break;
        case LUA_TFUNCTION: k = "function"; break;
        case LUA_TTABLE: {
            // A table is a list when its keys are exactly 1..n; an empty one counts as a list.
            lua_Integer n = static_cast<lua_Integer>(lua_rawlen(L, 1));
            lua_Integer count = 0;
            lua_pushnil(L);
            while (lua_next(L, 1)) {
                lua_pop(L, 1);
                ++count;
            }
            k = count == n ? "list" : "map";
            break;
        }
        case LUA_TUSERDATA:
            if (const Value* v = proxy_value(L, 1))
                k = v->is_list() ? "list" : "map";
            else if (is_null(L, 1))
                k = "null";
            break;
        default: break;
    }
    lua_pushstring(L, k);
    return 1;
}

int l_to_string(lua_State* L) {
    if (lua_type(L, 1) == LUA_TSTRING) {
        lua_settop(L, 1);
        return 1;
    }
    return guarded(L, [&] {
        push_string(L, to_value(L, 1).to_string());
        return 1;
    });
}

int l_truthy(lua_State* L) {
    return guarded(L, [&] {
        lua_pushboolean(L, to_value(L, 1).truthy());
        return 1;
    });
}

int l_to_json(lua_State* L) {
    return guarded(L, [&] {
        std::string out = to_value(L, 1).to_json(true);
        check_native_size(L, out.size());
        push_string(L, out);
        return 1;
    });
}

int l_from_json(lua_State* L) {
    luaL_checkstring(L, 1);
    return guarded(L, [&] {
        Value v = parse_yaml(arg_string(L, 1), "<from_json>");
        push_value(L, v);
        return 1;
    });
}

// regex_replace and regex_search use the engine's one regex implementation
// (engine/util/py_regex: Python's syntax and replacement templates, and its limits).
int l_regex_replace(lua_State* L) {
    luaL_checkstring(L, 1);
    luaL_checkstring(L, 2);
    luaL_checkstring(L, 3);
    bool icase = lua_toboolean(L, 4);
    return guarded(L, [&] {
        PyRegexFlags flags;
        flags.icase = icase;
        PyRegex re = compile_py_regex(arg_string(L, 2), flags);
        size_t count = 0;
        std::string out = py_subn(re, arg_string(L, 3), arg_string(L, 1), &count);
        check_native_size(L, out.size());
        push_string(L, out);
        return 1;
    });
}

int l_regex_search(lua_State* L) {
    luaL_checkstring(L, 1);
    luaL_checkstring(L, 2);
    bool icase = lua_toboolean(L, 3);
    return guarded(L, [&] {
        PyRegexFlags flags;
        flags.icase = icase;
        PyRegex re = compile_py_regex(arg_string(L, 2), flags);
        std::string s = arg_string(L, 1);
        PyMatch m;
        if (!py_search(re, s, &m)) {
            lua_pushnil(L);
            return 1;
        }
        push_string(L, m.str(0));
        return 1;
    });
}

int l_b64encode(lua_State* L) {
    luaL_checkstring(L, 1);
    return guarded(L, [&] {
        std::string in = arg_string(L, 1);
        check_native_size(L, 4 * ((in.size() + 2) / 3) + 1);
        push_string(L, base64_encode(in));
        return 1;
    });
}

int l_b64decode(lua_State* L) {
    luaL_checkstring(L, 1);
    return guarded(L, [&] {
        std::optional<std::string> out = base64_decode(arg_string(L, 1));
        if (!out) throw UserError("b64decode: input is not valid base64");
        push_string(L, *out);
        return 1;
    });
}

}  // namespace

void open_native(lua_State* L) {
    const luaL_Reg funcs[] = {
        {"kind", l_kind},
        {"to_string", l_to_string},
        {"truthy", l_truthy},
        {"to_json", l_to_json},
        {"from_json", l_from_json},
        {"regex_replace", l_regex_replace},
        {"regex_search", l_regex_search},
        {"b64encode", l_b64encode},
        {"b64decode", l_b64decode},
        {nullptr, nullptr},
    };
    luaL_newlib(L, funcs);
    push_null(L);
    lua_setfield(L, -2, "null");
    lua_setglobal(L, "upkeep");
    // `null` stands for the nulls inside lists (a nil would end them).
    push_null(L);
    lua_setglobal(L, "null");
}

}  // namespace upkeep::lua
