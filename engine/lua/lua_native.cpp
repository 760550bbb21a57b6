#include "engine/lua/lua_native.hpp"

#include <openssl/evp.h>

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
        push_string(L, to_value(L, 1).to_json(true));
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

// regex_replace / regex_search run on the one regex engine (py_regex: PCRE2
// with Python semantics and match limits), like lineinfile and replace.
PyRegex make_regex(const std::string& pattern, bool ignorecase) {
    PyRegexFlags flags;
    flags.icase = ignorecase;
    return compile_py_regex(pattern, flags);
}

int l_regex_replace(lua_State* L) {
    luaL_checkstring(L, 1);
    luaL_checkstring(L, 2);
    luaL_checkstring(L, 3);
    bool icase = lua_toboolean(L, 4);
    return guarded(L, [&] {
        PyRegex re = make_regex(arg_string(L, 2), icase);
        push_string(L, py_subn(re, arg_string(L, 3), arg_string(L, 1), nullptr));
        return 1;
    });
}

int l_regex_search(lua_State* L) {
    luaL_checkstring(L, 1);
    luaL_checkstring(L, 2);
    bool icase = lua_toboolean(L, 3);
    return guarded(L, [&] {
        PyRegex re = make_regex(arg_string(L, 2), icase);
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
        std::string out(4 * ((in.size() + 2) / 3) + 1, '\0');
        int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(in.data()), static_cast<int>(in.size()));
        out.resize(static_cast<size_t>(n));
        push_string(L, out);
        return 1;
    });
}

int l_b64decode(lua_State* L) {
    luaL_checkstring(L, 1);
    return guarded(L, [&] {
        std::string in;
        for (char c : arg_string(L, 1))
            if (!std::isspace(static_cast<unsigned char>(c))) in += c;
        if (in.size() % 4 != 0) throw UserError("b64decode: input is not valid base64");
        std::string out(in.size() / 4 * 3 + 1, '\0');
        int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(in.data()), static_cast<int>(in.size()));
        if (n < 0) throw UserError("b64decode: input is not valid base64");
        // EVP_DecodeBlock counts the padding as zero bytes.
        size_t pad = 0;
        if (!in.empty() && in.back() == '=') ++pad;
        if (in.size() > 1 && in[in.size() - 2] == '=') ++pad;
        out.resize(static_cast<size_t>(n) - pad);
        push_string(L, out);
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
