// The parts of LuaEnv that run playbook-supplied Lua code other than expressions:
// Lua modules (check/apply over the host API) and the filters and tests of a
// playbook's lua/filters/*.lua and lua/tests/*.lua. All of it is loaded only from
// files unsafe_code_path() accepts and runs in the same frozen sandbox and with
// the same limits as expressions.
#include <algorithm>
#include <cctype>
#include <cstring>
#include <filesystem>
#include <vector>

#include "engine/lua/lua_code_path.hpp"
#include "engine/lua/lua_convert.hpp"
#include "engine/lua/lua_env.hpp"
#include "engine/lua/lua_host_api.hpp"
#include "engine/lua/lua_native.hpp"
#include "engine/util/error.hpp"

namespace upkeep {

namespace fs = std::filesystem;

namespace {

char k_user_filters_key;  // registry: name -> function, from lua/filters/*.lua
char k_user_tests_key;    // registry: name -> function, from lua/tests/*.lua

int user_lookup(lua_State* L, void* key) {
    lua_rawgetp(L, LUA_REGISTRYINDEX, key);
    if (!lua_istable(L, -1) || lua_type(L, 1) != LUA_TSTRING) {
        lua_pushnil(L);
        return 1;
    }
    lua_pushvalue(L, 1);
    lua_rawget(L, -2);
    return 1;
}

int l_user_filter(lua_State* L) { return user_lookup(L, &k_user_filters_key); }
int l_user_test(lua_State* L) { return user_lookup(L, &k_user_tests_key); }

std::string pop_error(lua_State* L, int status, size_t mem_limit) {
    std::string msg;
    if (status == LUA_ERRMEM)
        msg = "used too much memory (limit " + std::to_string(mem_limit >> 20) + " MB)";
    else if (const char* m = lua_tostring(L, -1))
        msg = m;
    else
        msg = std::string("error object is a ") + luaL_typename(L, -1) + " value";
    lua_pop(L, 1);
    return msg;
}

// A deep copy of a (frozen) table's data with plain tables, so lua::to_value, which
// reads tables raw, sees the contents; function fields are listed by name instead.
const char* const k_info_code = R"lua(
local t = ...
local function copy(v, depth)
  if depth > 20 then error("module table nested too deeply", 0) end
  if type(v) ~= "table" then return v end
  local out = {}
  for k, x in pairs(v) do
    if type(x) ~= "function" then out[k] = copy(x, depth + 1) end
  end
  return out
end
local data, fns = {}, {}
for k, v in pairs(t) do
  if type(v) == "function" then fns[#fns + 1] = tostring(k) else data[k] = copy(v, 1) end
end
table.sort(fns)
data.functions = fns
return data
)lua";

bool is_identifier(const std::string& s) {
    if (s.empty() || !(std::isalpha(static_cast<unsigned char>(s[0])) || s[0] == '_')) return false;
    return std::all_of(s.begin(), s.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; });
}

}  // namespace

void lua::open_user_plugins(lua_State* L) {
    lua_newtable(L);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &k_user_filters_key);
    lua_newtable(L);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &k_user_tests_key);
    lua_getglobal(L, "upkeep");
    lua_pushcfunction(L, l_user_filter);
    lua_setfield(L, -2, "user_filter");
    lua_pushcfunction(L, l_user_test);
    lua_setfield(L, -2, "user_test");
    lua_pop(L, 1);
}

void LuaEnv::push_module_table(const std::string& path) {
    lua_State* L = m_L;
    if (auto it = m_modules.find(path); it != m_modules.end()) {
        lua_rawgeti(L, LUA_REGISTRYINDEX, it->second);
        return;
    }
    std::string why = unsafe_code_path(path);
    if (!why.empty()) throw UserError("refusing to load Lua code from " + path + ": " + why);
    if (luaL_loadfilex(L, path.c_str(), "t") != LUA_OK) throw UserError(pop_error(L, LUA_ERRSYNTAX, 0));
    int status = limited_pcall(0, 1);
    if (status != LUA_OK) throw UserError(path + ": " + pop_error(L, status, m_rt->mem_limit));
    if (!lua_istable(L, -1)) {
        lua_pop(L, 1);
        throw UserError(path + ": a Lua module must return a table (summary, args, check, apply)");
    }
    // Shared by every host this thread runs: the module cannot keep state in its table.
    freeze_top();
    lua_pushvalue(L, -1);
    m_modules[path] = luaL_ref(L, LUA_REGISTRYINDEX);
}

Value LuaEnv::module_info(const std::string& path) {
    lua_State* L = m_L;
    int top = lua_gettop(L);
    sync_global_paths();
    try {
        push_module_table(path);
        if (luaL_loadbufferx(L, k_info_code, std::strlen(k_info_code), "=module_info", "t") != LUA_OK)
            throw std::runtime_error(pop_error(L, LUA_ERRSYNTAX, 0));
        lua_insert(L, -2);
        int status = limited_pcall(1, 1);
        if (status != LUA_OK) throw UserError(path + ": " + pop_error(L, status, m_rt->mem_limit));
        Value info = lua::to_value(L, -1, false);
        lua_settop(L, top);
        return info;
    } catch (const UserError& e) {
        lua_settop(L, top);
        throw UserError(std::string(e.what()).rfind(path, 0) == 0 ? e.what() : path + ": " + e.what());
    } catch (...) {
        lua_settop(L, top);
        throw;
    }
}

Value LuaEnv::call_module(const std::string& path, const char* fn, const Value& first, const Value& extra,
                          Connection& conn, bool read_only) {
    lua_State* L = m_L;
    int top = lua_gettop(L);
    if (!lua_checkstack(L, 10)) throw TaskError("Lua stack exhausted");
    sync_global_paths();
    push_module_table(path);  // throws UserError with the file's name
    lua::HostBinding binding;
    binding.conn = &conn;
    binding.read_only = read_only;
    // The host object stays on the stack below the call, so it is alive (and can
    // be unbound) after the call whatever the module did with it.
    lua::HostBinding** slot = lua::push_host(L, &binding);
    lua_getfield(L, -2, fn);
    if (!lua_isfunction(L, -1)) {
        lua::unbind_host(slot);
        lua_settop(L, top);
        throw TaskError(path + ": the module has no function '" + std::string(fn) + "'");
    }
    lua::Runtime& rt = *m_rt;
    bool saved_secret = rt.read_secret;
    const Value* saved_vars = rt.vars;
    rt.read_secret = false;
    rt.vars = nullptr;
    lua::push_value(L, first);
    lua_pushvalue(L, -3);  // the host
    lua::push_value(L, extra);
    int status = limited_pcall(3, 1);
    lua::unbind_host(slot);
    rt.vars = saved_vars;
    if (binding.connection_failure) {
        rt.read_secret = saved_secret;
        lua_settop(L, top);
        std::rethrow_exception(binding.connection_failure);
    }
    if (status != LUA_OK) {
        std::string msg = pop_error(L, status, rt.mem_limit);
        rt.read_secret = saved_secret;
        lua_settop(L, top);
        throw TaskError(status == LUA_ERRMEM ? path + ": " + std::string(fn) + "() " + msg : msg);
    }
    Value result;
    try {
        result = lua::to_value(L, -1, true);
    } catch (const std::exception& e) {
        rt.read_secret = saved_secret;
        lua_settop(L, top);
        throw TaskError(path + ": " + std::string(fn) + "() returned something that is not data: " + e.what());
    }
    lua_settop(L, top);
    bool read_secret = rt.read_secret;
    rt.read_secret = saved_secret;
    // Whatever a secret argument went into may hold it: masked in every output.
    if (read_secret) result.set_secret();
    return result;
}

void LuaEnv::load_user_plugins(const std::string& lua_dir) {
    lua_State* L = m_L;
    struct Kind {
        const char* sub;
        void* key;
        const char* what;
        const char* builtin_table;  // __j.filters / __j.tests
    };
    const Kind kinds[] = {{"filters", &k_user_filters_key, "filter", "filters"},
                          {"tests", &k_user_tests_key, "test", "tests"}};
    for (const Kind& kind : kinds) {
        fs::path dir = fs::path(lua_dir) / kind.sub;
        std::error_code ec;
        if (!fs::is_directory(dir, ec)) continue;
        std::vector<std::string> files;
        for (const auto& e : fs::directory_iterator(dir, ec))
            if (e.path().extension() == ".lua") files.push_back(e.path().string());
        std::sort(files.begin(), files.end());
        for (const std::string& file : files) {
            int top = lua_gettop(L);
            std::string why = unsafe_code_path(file);
            if (!why.empty()) throw UserError("refusing to load Lua code from " + file + ": " + why);
            if (luaL_loadfilex(L, file.c_str(), "t") != LUA_OK) throw UserError(pop_error(L, LUA_ERRSYNTAX, 0));
            int status = limited_pcall(0, 1);
            if (status != LUA_OK) throw UserError(file + ": " + pop_error(L, status, m_rt->mem_limit));
            if (!lua_istable(L, -1)) {
                lua_settop(L, top);
                throw UserError(file + ": must return a table of " + kind.what + "s: { name = function(value, ...) ... end }");
            }
            lua_rawgetp(L, LUA_REGISTRYINDEX, kind.key);  // top+2: the registered ones
            lua_getglobal(L, "__j");
            lua_getfield(L, -1, kind.builtin_table);       // top+4: the built-in ones
            lua_pushnil(L);
            while (lua_next(L, top + 1)) {
                std::string name = lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : "";
                std::string problem;
                if (!is_identifier(name))
                    problem = std::string("a ") + kind.what + "'s name must be an identifier (got a " +
                              luaL_typename(L, -2) + " key '" + name + "')";
                else if (!lua_isfunction(L, -1))
                    problem = std::string(kind.what) + " '" + name + "' is not a function";
                if (problem.empty()) {
                    lua_getfield(L, top + 4, name.c_str());
                    bool builtin = !lua_isnil(L, -1);
                    lua_pop(L, 1);
                    lua_getfield(L, top + 2, name.c_str());
                    bool twice = !lua_isnil(L, -1);
                    lua_pop(L, 1);
                    if (builtin) problem = std::string(kind.what) + " '" + name + "' is built in; give yours another name";
                    else if (twice) problem = std::string(kind.what) + " '" + name + "' is defined twice (in another file of " + dir.string() + ")";
                }
                if (!problem.empty()) {
                    lua_settop(L, top);
                    throw UserError(file + ": " + problem);
                }
                lua_pushvalue(L, -2);
                lua_insert(L, -2);
                lua_rawset(L, top + 2);  // registered[name] = function; the key stays for lua_next
            }
            lua_settop(L, top);
        }
    }
}

}  // namespace upkeep
