#include "engine/lua/lua_convert.hpp"

#include <new>
#include <string>

#include "engine/util/error.hpp"

namespace upkeep::lua {

namespace {

// Registry keys: the addresses are unique, their contents are irrelevant.
char k_proxy_meta_key;
char k_null_key;

constexpr int k_max_depth = 200;

Value* check_proxy(lua_State* L, int idx) {
    if (lua_type(L, idx) != LUA_TUSERDATA || !lua_getmetatable(L, idx)) return nullptr;
    lua_rawgetp(L, LUA_REGISTRYINDEX, &k_proxy_meta_key);
    bool same = lua_rawequal(L, -1, -2);
    lua_pop(L, 2);
    return same ? static_cast<Value*>(lua_touserdata(L, idx)) : nullptr;
}

const Value& self(lua_State* L) {
    // Metamethods are only reachable through proxies, so the first argument is one.
    return *static_cast<Value*>(lua_touserdata(L, 1));
}

// Looks a map key up without keeping a std::string alive across Lua calls.
const Value* find_key(const Value& map, const char* key, size_t len) {
    std::string k(key, len);
    return map.find(k);
}

int proxy_index(lua_State* L) {
    const Value& v = self(L);
    if (v.is_list()) {
        int ok = 0;
        lua_Integer i = lua_tointegerx(L, 2, &ok);
        const List& l = v.as_list();
        if (!ok || i < 1 || static_cast<size_t>(i) > l.size()) return 0;
        push_value(L, l[static_cast<size_t>(i - 1)], true);
        return 1;
    }
    int t = lua_type(L, 2);
    if (t != LUA_TSTRING && t != LUA_TNUMBER) return 0;
    size_t len = 0;
    lua_pushvalue(L, 2);  // tolstring on a number converts in place: use a copy
    const char* key = lua_tolstring(L, -1, &len);
    const Value* found = find_key(v, key, len);
    lua_pop(L, 1);
    if (!found) return 0;
    push_value(L, *found, false);
    return 1;
}

int proxy_newindex(lua_State* L) {
    return luaL_error(L, "variables are read-only in expressions");
}

int proxy_len(lua_State* L) {
    const Value& v = self(L);
    lua_pushinteger(L, static_cast<lua_Integer>(v.is_list() ? v.as_list().size() : v.as_map().size()));
    return 1;
}

int proxy_next(lua_State* L) {
    const Value& v = self(L);
    if (v.is_list()) {
        lua_Integer i = lua_isnil(L, 2) ? 1 : luaL_checkinteger(L, 2) + 1;
        const List& l = v.as_list();
        if (i < 1 || static_cast<size_t>(i) > l.size()) return 0;
        lua_pushinteger(L, i);
        push_value(L, l[static_cast<size_t>(i - 1)], true);
        return 2;
    }
    const Map& m = v.as_map();
    Map::const_iterator it;
    if (lua_isnil(L, 2)) {
        it = m.begin();
    } else {
        size_t len = 0;
        const char* key = luaL_checklstring(L, 2, &len);
        std::string k(key, len);
        it = m.upper_bound(k);
    }
    if (it == m.end()) return 0;
    // The iterator stays valid: the map is held by the proxy's Value.
    lua_pushlstring(L, it->first.data(), it->first.size());
    push_value(L, it->second, false);
    return 2;
}

int proxy_pairs(lua_State* L) {
    lua_pushcfunction(L, proxy_next);
    lua_pushvalue(L, 1);
    lua_pushnil(L);
    return 3;
}

int proxy_eq(lua_State* L) {
    const Value* a = check_proxy(L, 1);
    const Value* b = check_proxy(L, 2);
    lua_pushboolean(L, a && b && *a == *b);
    return 1;
}

// Text of a value for tostring() and `..`: strings and numbers as Lua shows them,
// containers as JSON.
void push_text(lua_State* L, int idx) {
    if (const Value* v = check_proxy(L, idx)) {
        if (v->contains_secret()) runtime(L).read_secret = true;
        std::string s = v->to_json(true);
        lua_pushlstring(L, s.data(), s.size());
    } else {
        luaL_tolstring(L, idx, nullptr);
    }
}

int proxy_tostring(lua_State* L) {
    push_text(L, 1);
    return 1;
}

int proxy_concat(lua_State* L) {
    push_text(L, 1);
    push_text(L, 2);
    lua_concat(L, 2);
    return 1;
}

int proxy_gc(lua_State* L) {
    static_cast<Value*>(lua_touserdata(L, 1))->~Value();
    return 0;
}

int null_tostring(lua_State* L) {
    lua_pushliteral(L, "null");
    return 1;
}

int null_index(lua_State* L) {
    return luaL_error(L, "attempt to index a null value");
}

bool is_sequence(lua_State* L, int idx, size_t& count) {
    count = 0;
    lua_Integer max = 0;
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        lua_pop(L, 1);
        ++count;
        int isint = 0;
        lua_Integer k = lua_type(L, -1) == LUA_TNUMBER ? lua_tointegerx(L, -1, &isint) : 0;
        if (!isint || k < 1) {
            lua_pop(L, 1);
            return false;
        }
        if (k > max) max = k;
    }
    return static_cast<size_t>(max) == count;
}

std::string key_text(lua_State* L, int idx) {
    switch (lua_type(L, idx)) {
        case LUA_TSTRING: {
            size_t len = 0;
            const char* s = lua_tolstring(L, idx, &len);
            return std::string(s, len);
        }
        case LUA_TNUMBER:
            if (lua_isinteger(L, idx)) return std::to_string(lua_tointeger(L, idx));
            return Value(lua_tonumber(L, idx)).to_string();
        default:
            throw UserError(std::string("a table key must be a string or a number, not a ") +
                            lua_typename(L, lua_type(L, idx)));
    }
}

Value convert(lua_State* L, int idx, bool note, int depth) {
    if (depth > k_max_depth) throw UserError("table nested too deeply (does it contain itself?)");
    idx = lua_absindex(L, idx);
    switch (lua_type(L, idx)) {
        case LUA_TNIL: return Value();
        case LUA_TBOOLEAN: return Value(static_cast<bool>(lua_toboolean(L, idx)));
        case LUA_TNUMBER:
            if (lua_isinteger(L, idx)) return Value(static_cast<int64_t>(lua_tointeger(L, idx)));
            return Value(static_cast<double>(lua_tonumber(L, idx)));
        case LUA_TSTRING: {
            size_t len = 0;
            const char* s = lua_tolstring(L, idx, &len);
            return Value(std::string(s, len));
        }
        case LUA_TUSERDATA: {
            if (const Value* v = check_proxy(L, idx)) {
                if (note && v->contains_secret()) runtime(L).read_secret = true;
                return *v;
            }
            if (is_null(L, idx)) return Value();
            break;
        }
        case LUA_TTABLE: {
            if (!lua_checkstack(L, 4)) throw UserError("Lua stack exhausted while converting a table");
            // Tables of the Jinja runtime say what they are: "list", "dict" or "undef".
            std::string jkind;
            if (lua_getmetatable(L, idx)) {
                if (lua_getfield(L, -1, "__jkind") == LUA_TSTRING) jkind = lua_tostring(L, -1);
                lua_pop(L, 2);
            }
            if (jkind == "undef") {
                lua_getfield(L, idx, "msg");
                std::string msg = lua_isstring(L, -1) ? lua_tostring(L, -1) : "a value is undefined";
                lua_pop(L, 1);
                throw UserError(msg);
            }
            size_t count = 0;
            if (jkind != "dict" && is_sequence(L, idx, count)) {
                List out;
                out.reserve(count);
                for (size_t i = 1; i <= count; ++i) {
                    lua_rawgeti(L, idx, static_cast<lua_Integer>(i));
                    try {
                        out.push_back(convert(L, -1, note, depth + 1));
                    } catch (...) {
                        lua_pop(L, 1);
                        throw;
                    }
                    lua_pop(L, 1);
                }
                return Value(std::move(out));
            }
            Map out;
            lua_pushnil(L);
            while (lua_next(L, idx)) {
                try {
                    std::string key = key_text(L, -2);
                    out[key] = convert(L, -1, note, depth + 1);
                } catch (...) {
                    lua_pop(L, 2);
                    throw;
                }
                lua_pop(L, 1);
            }
            return Value(std::move(out));
        }
        default: break;
    }
    throw UserError(std::string("a Lua ") + luaL_typename(L, idx) + " cannot be used as a value");
}

}  // namespace

Runtime& runtime(lua_State* L) { return **static_cast<Runtime**>(lua_getextraspace(L)); }

void open_convert(lua_State* L) {
    lua_newtable(L);
    const luaL_Reg methods[] = {
        {"__index", proxy_index},   {"__newindex", proxy_newindex}, {"__len", proxy_len},
        {"__pairs", proxy_pairs},   {"__eq", proxy_eq},             {"__tostring", proxy_tostring},
        {"__concat", proxy_concat}, {"__gc", proxy_gc},             {nullptr, nullptr},
    };
    luaL_setfuncs(L, methods, 0);
    // Error messages then read "attempt to ... a table value", as they would for a table.
    lua_pushliteral(L, "table");
    lua_setfield(L, -2, "__name");
    lua_pushliteral(L, "read-only");
    lua_setfield(L, -2, "__metatable");
    lua_rawsetp(L, LUA_REGISTRYINDEX, &k_proxy_meta_key);

    lua_newuserdatauv(L, 0, 0);
    lua_newtable(L);
    lua_pushcfunction(L, null_tostring);
    lua_setfield(L, -2, "__tostring");
    lua_pushcfunction(L, null_index);
    lua_setfield(L, -2, "__index");
    lua_pushliteral(L, "null");
    lua_setfield(L, -2, "__name");
    lua_setmetatable(L, -2);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &k_null_key);
}

void push_null(lua_State* L) { lua_rawgetp(L, LUA_REGISTRYINDEX, &k_null_key); }

bool is_null(lua_State* L, int idx) {
    if (lua_type(L, idx) != LUA_TUSERDATA) return false;
    idx = lua_absindex(L, idx);
    push_null(L);
    bool same = lua_rawequal(L, idx, -1);
    lua_pop(L, 1);
    return same;
}

const Value* proxy_value(lua_State* L, int idx) { return check_proxy(L, idx); }

void push_value(lua_State* L, const Value& v, bool in_list) {
    if (v.secret()) runtime(L).read_secret = true;
    switch (v.type()) {
        case Value::Type::Null:
            if (in_list)
                push_null(L);
            else
                lua_pushnil(L);
            return;
        case Value::Type::Bool: lua_pushboolean(L, v.as_bool()); return;
        case Value::Type::Int: lua_pushinteger(L, static_cast<lua_Integer>(v.as_int())); return;
        case Value::Type::Double: lua_pushnumber(L, static_cast<lua_Number>(v.as_double())); return;
        case Value::Type::String: {
            const std::string& s = v.as_string();
            lua_pushlstring(L, s.data(), s.size());
            return;
        }
        case Value::Type::List:
        case Value::Type::Map: {
            void* mem = lua_newuserdatauv(L, sizeof(Value), 0);
            new (mem) Value(v);
            lua_rawgetp(L, LUA_REGISTRYINDEX, &k_proxy_meta_key);
            lua_setmetatable(L, -2);
            return;
        }
    }
}

Value to_value(lua_State* L, int idx, bool note_secrets) {
    int top = lua_gettop(L);
    try {
        Value v = convert(L, idx, note_secrets, 0);
        lua_settop(L, top);
        return v;
    } catch (...) {
        lua_settop(L, top);
        throw;
    }
}

}  // namespace upkeep::lua
