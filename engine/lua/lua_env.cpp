#include "engine/util/py_regex.hpp"
#include "engine/lua/lua_env.hpp"
#include "engine/lua/lua_pool.hpp"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <mutex>
#include <cstring>
#include <filesystem>

#include "engine/lua/jinja_ast.hpp"
#include "engine/lua/jinja_native.hpp"
#include "engine/lua/lua_code_path.hpp"
#include "engine/lua/lua_convert.hpp"
#include "engine/lua/lua_native.hpp"
#include "engine/util/error.hpp"
#include "engine/util/strings.hpp"

namespace upkeep {

namespace {

char k_env_key;    // registry: the _ENV table of expressions
char k_paths_key;  // registry: the list of directories searched by require
char k_freeze_key; // registry: the prelude's freeze(table)
char k_lock_key;   // registry: the prelude's lock(table) (rawset refuses it)

constexpr size_t k_max_cached_chunks = 10000;

void* limited_alloc(void* ud, void* ptr, size_t osize, size_t nsize) {
    auto* rt = static_cast<lua::Runtime*>(ud);
    size_t old = ptr ? osize : 0;
    if (nsize == 0) {
        std::free(ptr);
        rt->mem_used -= old;
        return nullptr;
    }
    if (rt->enforce && nsize > old && rt->mem_used - old + nsize > rt->mem_limit) return nullptr;
    void* p = std::realloc(ptr, nsize);
    if (p) rt->mem_used = rt->mem_used - old + nsize;
    return p;
}

void count_hook(lua_State* L, lua_Debug*) {
    lua::Runtime& rt = lua::runtime(L);
    if (!rt.enforce) return;
    if (std::chrono::steady_clock::now() > rt.deadline) {
        if (!rt.hook_tight) {
            rt.hook_tight = true;
            lua_sethook(L, count_hook, LUA_MASKCOUNT, 1);
        }
        luaL_error(L, "expression ran too long (more than %d ms)", static_cast<int>(rt.time_limit.count()));
    }
    if (++rt.ticks > rt.tick_limit) {
        // From now on every instruction fails, so a pcall in the expression cannot
        // swallow the error and carry on.
        if (!rt.hook_tight) {
            rt.hook_tight = true;
            lua_sethook(L, count_hook, LUA_MASKCOUNT, 1);
        }
        luaL_error(L, "expression ran too long (more than %I instructions)",
                   static_cast<lua_Integer>(rt.tick_limit * lua::k_hook_every));
    }
}

const Value* find_var(const Value& vars, const char* key, size_t len) {
    std::string k(key, len);
    return vars.find(k);
}

// _ENV.__index of expressions: variables first, then the sandbox's globals.
// Names starting with "__" (the rewriter's helpers) skip the variables.
int env_index(lua_State* L) {
    if (lua_type(L, 2) == LUA_TSTRING) {
        lua::Runtime& rt = lua::runtime(L);
        size_t len = 0;
        const char* key = lua_tolstring(L, 2, &len);
        if (rt.vars && rt.vars->is_map() && !(len > 1 && key[0] == '_' && key[1] == '_')) {
            if (const Value* v = find_var(*rt.vars, key, len)) {
                lua::push_value(L, *v);
                return 1;
            }
        }
    }
    lua_rawgeti(L, LUA_REGISTRYINDEX, LUA_RIDX_GLOBALS);
    lua_pushvalue(L, 2);
    lua_gettable(L, -2);  // the globals are frozen: their contents are behind __index
    return 1;
}

int env_newindex(lua_State* L) {
    return luaL_error(L, "cannot assign to '%s': variables are read-only in expressions", luaL_tolstring(L, 2, nullptr));
}

// load_lua_file(path) -> function, or nil when the file does not exist. Text only,
// and only a file no other user could have written (lua_code_path.hpp).
int load_lua_file(lua_State* L) {
    const char* path = luaL_checkstring(L, 1);
    if (::access(path, F_OK) != 0) {
        lua_pushnil(L);
        return 1;
    }
    std::string unsafe = unsafe_code_path(path);
    if (!unsafe.empty()) return luaL_error(L, "refusing to load Lua code from %s: %s", path, unsafe.c_str());
    int status = luaL_loadfilex(L, path, "t");
    if (status == LUA_ERRFILE) {
        lua_pushnil(L);
        return 1;
    }
    if (status != LUA_OK) return lua_error(L);
    return 1;
}

// Runs with the sandbox's globals; receives load_lua_file and returns require's
// search list, the function that freezes the globals and the one that locks a table.
const char* const k_prelude = R"lua(
local load_lua_file = ...
local raw_load, raw_type, raw_error, select, ipairs, tostring = load, type, error, select, ipairs, tostring
local raw_next, raw_rawget, raw_rawset, raw_rawlen = next, rawget, rawset, rawlen
local raw_getmetatable, raw_setmetatable, rawequal = getmetatable, setmetatable, rawequal
local concat = table.concat
local kind = upkeep.kind
local search_paths, loaded = {}, {}

dofile, loadfile, print, collectgarbage, warn = nil, nil, nil, nil, nil
string.dump = nil
math.randomseed = nil  -- one host must not fix the random numbers another host gets

-- Read-only tables. Every evaluation of every host shares this state, so nothing
-- reachable from it may change: a frozen table keeps its identity (upvalues and the
-- string metatable still point at it) but is emptied, its contents moved to a
-- hidden backing table reached through a protected metatable. rawset refuses
-- frozen and locked tables; next/rawget/rawlen see the contents.
local backing_of = raw_setmetatable({}, { __mode = "k" })
local locked = raw_setmetatable({}, { __mode = "k" })

local function read_only(t, k)
  raw_error("cannot assign to '" .. tostring(k) .. "': the expression environment is read-only", 2)
end

local metamethods = {}
for _, m in ipairs({ "__index", "__newindex", "__call", "__eq", "__lt", "__le", "__len", "__concat",
                     "__tostring", "__unm", "__add", "__sub", "__mul", "__div", "__mod", "__pow", "__idiv",
                     "__band", "__bor", "__bxor", "__shl", "__shr", "__bnot", "__close", "__gc", "__mode",
                     "__pairs", "__metatable", "__name" }) do
  metamethods[m] = true
end

-- A table carrying metamethods (a module's class table, `M.__index = M`) is used
-- as a metatable: Lua reads its metamethods raw, so they cannot move behind a
-- backing table, and an assignment to an existing raw field cannot be refused.
-- Expressions get a read-only view of it instead (what they read through the view
-- is frozen or viewed in turn); the module's own code keeps the real table.
local view_of = raw_setmetatable({}, { __mode = "k" })   -- real table -> its view
local viewed = raw_setmetatable({}, { __mode = "k" })    -- view -> real table
local freeze

local function read_only_view(t)
  local v = view_of[t]
  if v then return v end
  v = {}
  view_of[t], viewed[v] = v, t
  raw_setmetatable(v, {
    __index = function(_, k) return freeze(raw_rawget(t, k)) end,
    __newindex = read_only,
    __len = function() return raw_rawlen(t) end,
    __pairs = function(self)
      return function(_, k)
        local k2, x = raw_next(t, k)
        return k2, freeze(x)
      end, self, nil
    end,
    __call = function(_, ...) return t(...) end,
    -- `getmetatable(v) == LIST` still recognises the class through its view.
    __eq = function(a, b) return rawequal(viewed[a] or a, viewed[b] or b) end,
    __metatable = "read-only",
  })
  return v
end

function freeze(t)
  if raw_type(t) ~= "table" or backing_of[t] or locked[t] or viewed[t] then return t end
  if view_of[t] then return view_of[t] end
  local old_mt = raw_getmetatable(t)
  if raw_type(old_mt) ~= "table" and old_mt ~= nil then return t end  -- protected already
  for k in raw_next, t do
    if metamethods[k] then return read_only_view(t) end
  end
  local backing = {}
  backing_of[t] = backing
  local keys = {}
  for k, v in raw_next, t do keys[#keys + 1] = k; backing[k] = v end
  for _, k in ipairs(keys) do raw_rawset(t, k, nil) end
  -- A value carrying metamethods is replaced by its view (plain tables freeze in place).
  for _, k in ipairs(keys) do backing[k] = freeze(backing[k]) end
  -- A table that had a metatable (the filter table's "unknown filter" error) keeps it behind the backing.
  if old_mt then raw_setmetatable(backing, old_mt) end
  raw_setmetatable(t, {
    __index = backing,
    __newindex = read_only,
    __len = function() return #backing end,
    __pairs = function(self) return function(_, k) return raw_next(backing, k) end, self, nil end,
    __metatable = "read-only",
  })
  return t
end

local function lock(t) locked[t] = true; return t end

function rawset(t, k, v)
  if backing_of[t] or locked[t] or viewed[t] then read_only(t, k) end
  return raw_rawset(t, k, v)
end
function rawget(t, k)
  local b = backing_of[t]
  if b then return raw_rawget(b, k) end
  local real = viewed[t]
  if real then return freeze(raw_rawget(real, k)) end
  return raw_rawget(t, k)
end
function rawlen(t)
  local b = backing_of[t] or viewed[t]
  return raw_rawlen(b or t)
end
function next(t, k)
  local b = backing_of[t]
  if b then return raw_next(b, k) end
  local real = viewed[t]
  if real then
    local k2, x = raw_next(real, k)
    return k2, freeze(x)
  end
  return raw_next(t, k)
end
-- An object's metatable may be a module's class table: hand out its view.
function getmetatable(v)
  local mt = raw_getmetatable(v)
  if raw_type(mt) == "table" then return freeze(mt) end
  return mt
end
-- The string metatable (whose __index is the string table) cannot be reached.
raw_rawset(raw_getmetatable(""), "__metatable", "read-only")

-- Only text chunks: precompiled bytecode can crash the VM.
function load(chunk, name, mode, ...)
  if mode ~= nil and mode ~= "t" then raw_error("load: only text chunks can be loaded", 2) end
  if select("#", ...) > 0 then return raw_load(chunk, name, "t", (...)) end
  return raw_load(chunk, name, "t")
end

-- Lists and maps from the engine are proxies (userdata) that behave like tables.
function type(v)
  local t = raw_type(v)
  if t == "userdata" then
    local k = kind(v)
    if k == "list" or k == "map" then return "table" end
  end
  return t
end

-- Lua files only, from the search list; no C modules, no package library.
function require(name)
  if raw_type(name) ~= "string" or not name:match("^[%w_%-][%w_%.%-]*$") or name:find("..", 1, true) then
    raw_error("require: invalid module name '" .. tostring(name) .. "'", 2)
  end
  local cached = loaded[name]
  if cached ~= nil then return cached end
  local rel = name:gsub("%.", "/")
  local tried = {}
  for _, dir in ipairs(search_paths) do
    for _, path in ipairs({ dir .. "/" .. rel .. ".lua", dir .. "/" .. rel .. "/init.lua" }) do
      local chunk = load_lua_file(path)
      if chunk then
        local result = chunk(name, path)
        if result == nil then result = true end
        -- Shared by every host: a module's table cannot be changed by an expression.
        result = freeze(result)
        loaded[name] = result
        return result
      end
      tried[#tried + 1] = path
    end
  end
  raw_error("module '" .. name .. "' not found (only Lua files are loaded; tried " ..
            (#tried > 0 and concat(tried, ", ") or "no directories") .. ")", 2)
end

return search_paths, freeze, lock
)lua";

struct EvalCall {
    const std::string* code;
    int ref;                    // LUA_NOREF until compiled
    bool syntax_error = false;  // the error came from the compiler
    bool chunk = false;         // code is a whole chunk (compiled Jinja), not a Lua expression
};

// Compiles (once) and runs one expression; called through lua_pcall.
int protected_eval(lua_State* L) {
    auto* call = static_cast<EvalCall*>(lua_touserdata(L, 1));
    lua::Runtime& rt = lua::runtime(L);
    rt.enforce = true;
    rt.ticks = 0;
    rt.native_steps = 0;
    rt.exhausted = false;
    rt.deadline = std::chrono::steady_clock::now() + rt.time_limit;
    if (rt.hook_tight) {
        rt.hook_tight = false;
        lua_sethook(L, count_hook, LUA_MASKCOUNT, lua::k_hook_every);
    }
    if (call->ref == LUA_NOREF && call->chunk) {
        const std::string& code = *call->code;
        if (luaL_loadbufferx(L, code.data(), code.size(), "=[jinja]", "t") != LUA_OK) {
            call->syntax_error = true;
            return lua_error(L);
        }
        lua_rawgetp(L, LUA_REGISTRYINDEX, &k_env_key);
        lua_setupvalue(L, -2, 1);
        lua_pushvalue(L, -1);
        call->ref = luaL_ref(L, LUA_REGISTRYINDEX);
    } else if (call->ref == LUA_NOREF) {
        const std::string& code = *call->code;
        lua_pushliteral(L, "return ");
        lua_pushlstring(L, code.data(), code.size());
        lua_concat(L, 2);
        size_t len = 0;
        const char* text = lua_tolstring(L, -1, &len);
        if (luaL_loadbufferx(L, text, len, "=[string]", "t") != LUA_OK) {
            // A block with its own `return` (e.g. locals first) is accepted too.
            if (code.find("return") == std::string::npos ||
                luaL_loadbufferx(L, code.data(), code.size(), "=[string]", "t") != LUA_OK) {
                if (code.find("return") != std::string::npos) lua_pop(L, 1);
                call->syntax_error = true;
                return lua_error(L);
            }
            lua_remove(L, -2);
        }
        lua_remove(L, -2);  // the source text
        lua_rawgetp(L, LUA_REGISTRYINDEX, &k_env_key);
        lua_setupvalue(L, -2, 1);
        lua_pushvalue(L, -1);
        call->ref = luaL_ref(L, LUA_REGISTRYINDEX);
    } else {
        lua_rawgeti(L, LUA_REGISTRYINDEX, call->ref);
    }
    lua_call(L, 0, 1);
    rt.enforce = false;
    return 1;
}

// True when the text has a lone '=' outside strings: a likely `==` typo.
bool has_lone_equals(const std::string& s) {
    char quote = 0;
    for (size_t i = 0; i < s.size(); ++i) {
        char c = s[i];
        if (quote) {
            if (c == '\\') ++i;
            else if (c == quote) quote = 0;
            continue;
        }
        if (c == '"' || c == '\'') {
            quote = c;
        } else if (c == '=') {
            char prev = i > 0 ? s[i - 1] : ' ';
            char next = i + 1 < s.size() ? s[i + 1] : ' ';
            if (next == '=') {
                ++i;
                continue;
            }
            if (prev != '~' && prev != '!' && prev != '<' && prev != '>' && prev != '=') return true;
        }
    }
    return false;
}

// Lua's message, made readable for someone who wrote a playbook.
std::string explain(const std::string& msg, int status, bool syntax, const std::string& expr,
                    const lua::Runtime& rt) {
    if (status == LUA_ERRMEM)
        return "expression used too much memory (limit " + std::to_string(rt.mem_limit >> 20) + " MB)";
    static const PyRegex k_index_nil = compile_py_regex(R"(^(?:\[string\]:\d+: )?attempt to index a nil value \((?:global|field|local|upvalue) '([^']+)'\))");
    static const PyRegex k_call_nil = compile_py_regex(R"(^(?:\[string\]:\d+: )?attempt to call a nil value \((?:global|field|method) '([^']+)'\))");
    PyMatch m;
    if (py_search(k_index_nil, msg, &m)) return "'" + m.str(1) + "' is undefined";
    if (py_search(k_call_nil, msg, &m)) return "'" + m.str(1) + "' is undefined (it is called as a function)";
    if (syntax && has_lone_equals(expr)) return msg + " (use '==' to compare)";
    return msg;
}

// "'x' is undefined" gets "did you mean 'y'?" over the variables' names.
std::string suggest_name(const std::string& msg, const Value& vars) {
    static const PyRegex k_undef = compile_py_regex(R"(^'([A-Za-z_][A-Za-z0-9_]*)' is undefined$)");
    PyMatch m;
    if (!vars.is_map() || !py_fullmatch(k_undef, msg, &m)) return msg;
    std::vector<std::string> names;
    for (const auto& [k, v] : vars.as_map()) names.push_back(k);
    std::string best = closest_match(m.str(1), names);
    return best.empty() ? msg : msg + " (did you mean '" + best + "'?)";
}

// "{{ expr }}" as a whole string is taken as expr.
std::string strip_braces(const std::string& expr) {
    std::string t = trim(expr);
    if (starts_with(t, "{{") && ends_with(t, "}}") && t.find("{{", 2) == std::string::npos &&
        t.find("}}") == t.size() - 2)
        return trim(t.substr(2, t.size() - 4));
    return expr;
}

// Directories added for the whole process (the playbook's lua/), picked up by
// every thread's LuaEnv before its next evaluation.
std::mutex g_paths_mutex;
std::vector<std::string> g_paths;
std::atomic<size_t> g_paths_count{0};

// The standard libraries an expression may use (no io, os, package, debug) and upkeep's own.
void open_libraries(lua_State* L) {
    const luaL_Reg libs[] = {{LUA_GNAME, luaopen_base},        {LUA_STRLIBNAME, luaopen_string},
                             {LUA_TABLIBNAME, luaopen_table},  {LUA_MATHLIBNAME, luaopen_math},
                             {LUA_UTF8LIBNAME, luaopen_utf8}};
    for (const luaL_Reg& lib : libs) {
        luaL_requiref(L, lib.name, lib.func, 1);
        lua_pop(L, 1);
    }
    lua::open_convert(L);
    lua::open_native(L);
    lua::open_bounded_patterns(L);
    lua::open_jinja_native(L);
    lua::open_user_plugins(L);
}

// Runs the prelude, which returns its lock, freeze and search-path functions: kept in
// the registry, out of any expression's reach.
void run_prelude(lua_State* L) {
    if (luaL_loadbufferx(L, k_prelude, std::strlen(k_prelude), "=prelude", "t") != LUA_OK)
        throw std::runtime_error(std::string("Lua prelude: ") + lua_tostring(L, -1));
    lua_pushcfunction(L, load_lua_file);
    if (lua_pcall(L, 1, 3, 0) != LUA_OK) throw std::runtime_error(std::string("Lua prelude: ") + lua_tostring(L, -1));
    lua_rawsetp(L, LUA_REGISTRYINDEX, &k_lock_key);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &k_freeze_key);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &k_paths_key);
}

// The environment expressions run in: a read-only proxy of the globals, locked so
// that rawset(_ENV, ...) cannot plant a variable later evaluations (other hosts) see.
void install_locked_env(lua_State* L) {
    lua_newtable(L);
    lua_newtable(L);
    lua_pushcfunction(L, env_index);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, env_newindex);
    lua_setfield(L, -2, "__newindex");
    lua_pushliteral(L, "read-only");
    lua_setfield(L, -2, "__metatable");
    lua_setmetatable(L, -2);
    lua_rawgetp(L, LUA_REGISTRYINDEX, &k_lock_key);
    lua_pushvalue(L, -2);
    if (lua_pcall(L, 1, 0, 0) != LUA_OK)
        throw std::runtime_error("Lua set-up failed: cannot lock the expression environment");
    lua_rawsetp(L, LUA_REGISTRYINDEX, &k_env_key);
}

}  // namespace

LuaEnv::LuaEnv() : m_rt(std::make_unique<lua::Runtime>()) {
    m_L = lua_newstate(limited_alloc, m_rt.get());
    if (!m_L) throw std::runtime_error("cannot create a Lua state");
    lua_State* L = m_L;
    *static_cast<lua::Runtime**>(lua_getextraspace(L)) = m_rt.get();
    try {
        open_libraries(L);
        run_prelude(L);
        install_locked_env(L);
        lua_sethook(L, count_hook, LUA_MASKCOUNT, lua::k_hook_every);

        std::vector<std::string> refused;
        for (const std::string& dir : builtin_lua_dirs(refused)) add_search_path(dir);
        if (m_search_count == 0) {
            std::string why;
            for (const std::string& r : refused) why += "; " + r;
            throw std::runtime_error("no safe directory with upkeep's Lua files (share/upkeep/lua next to the "
                                     "binary's directory)" + why);
        }
        run_setup(R"lua(
local m = require("upkeep.filters")
__f, __t = m.filters, m.tests
__j = require("upkeep.jinja")
)lua",
                  "=setup");
        // From now on the globals and everything reachable from them are read-only, so
        // each evaluation (each host) starts from the same pristine environment.
        lua_rawgetp(L, LUA_REGISTRYINDEX, &k_freeze_key);
        lua_rawgeti(L, LUA_REGISTRYINDEX, LUA_RIDX_GLOBALS);
        if (lua_pcall(L, 1, 0, 0) != LUA_OK)
            throw std::runtime_error(std::string("Lua set-up failed: ") + lua_tostring(L, -1));
        // The playbook's lua/ (require path, its filters and tests), after the built-ins.
        sync_global_paths();
    } catch (...) {
        lua_close(L);
        m_L = nullptr;
        throw;
    }
}

LuaEnv::~LuaEnv() {
    if (m_L) lua_close(m_L);
}

void LuaEnv::run_setup(const char* code, const char* name) {
    lua_State* L = m_L;
    int top = lua_gettop(L);
    if (luaL_loadbufferx(L, code, std::strlen(code), name, "t") != LUA_OK || lua_pcall(L, 0, 0, 0) != LUA_OK) {
        std::string msg = lua_tostring(L, -1) ? lua_tostring(L, -1) : "unknown error";
        lua_settop(L, top);
        throw std::runtime_error("Lua set-up failed: " + msg);
    }
    lua_settop(L, top);
}

void LuaEnv::add_global_search_path(const std::string& dir) {
    {
        std::lock_guard<std::mutex> lock(g_paths_mutex);
        for (const std::string& d : g_paths)
            if (d == dir) return;
        g_paths.push_back(dir);
        g_paths_count = g_paths.size();
    }
    // Load the directory's filters and tests now, on the calling thread, so a broken
    // file stops the run before any host is touched (workers load them again).
    lua_lease()->sync_global_paths();
}

void LuaEnv::sync_global_paths() {
    if (g_paths_count.load() == m_global_synced) return;
    std::vector<std::string> add;
    {
        std::lock_guard<std::mutex> lock(g_paths_mutex);
        add.assign(g_paths.begin() + static_cast<std::ptrdiff_t>(m_global_synced), g_paths.end());
        m_global_synced = g_paths.size();
    }
    for (const std::string& dir : add) {
        add_search_path(dir);
        load_user_plugins(dir);
    }
}

int LuaEnv::limited_pcall(int nargs, int nresults) {
    lua::Runtime& rt = *m_rt;
    rt.enforce = true;
    rt.ticks = 0;
    rt.native_steps = 0;
    rt.exhausted = false;
    rt.deadline = std::chrono::steady_clock::now() + rt.time_limit;
    if (rt.hook_tight) {
        rt.hook_tight = false;
        lua_sethook(m_L, count_hook, LUA_MASKCOUNT, lua::k_hook_every);
    }
    int status = lua_pcall(m_L, nargs, nresults, 0);
    rt.enforce = false;
    return status;
}

void LuaEnv::freeze_top() {
    lua_State* L = m_L;
    lua_rawgetp(L, LUA_REGISTRYINDEX, &k_freeze_key);
    lua_pushvalue(L, -2);
    if (lua_pcall(L, 1, 0, 0) != LUA_OK) {
        std::string msg = lua_tostring(L, -1) ? lua_tostring(L, -1) : "freeze failed";
        lua_pop(L, 1);
        throw std::runtime_error(msg);
    }
}

void LuaEnv::add_search_path(const std::string& dir) {
    ++m_search_count;
    lua_State* L = m_L;
    lua_rawgetp(L, LUA_REGISTRYINDEX, &k_paths_key);
    lua_pushlstring(L, dir.data(), dir.size());
    lua_rawseti(L, -2, static_cast<lua_Integer>(lua_rawlen(L, -2)) + 1);
    lua_pop(L, 1);
}

void LuaEnv::set_instruction_limit(uint64_t instructions) {
    m_rt->tick_limit = instructions / lua::k_hook_every + 1;
}

void LuaEnv::set_memory_limit(size_t bytes) { m_rt->mem_limit = bytes; }

void LuaEnv::set_time_limit(std::chrono::milliseconds limit) { m_rt->time_limit = limit; }

Value LuaEnv::eval(const std::string& expr_in, const Value& vars, const Mark& mark) {
    std::string expr = strip_braces(expr_in);
    if (trim(expr).empty()) throw UserError(mark, "in expression '" + expr_in + "': the expression is empty");
    return run(expr, Source::Expression, vars, mark, expr_in);
}

// "lua: <Lua expression>" is raw Lua; anything else is a Jinja expression.
static bool is_raw_lua(const std::string& expr, std::string& lua_code) {
    std::string t = trim(expr);
    if (!starts_with(t, "lua:")) return false;
    lua_code = trim(t.substr(4));
    return true;
}

Value LuaEnv::run(const std::string& text, Source kind, const Value& vars, const Mark& mark,
                  const std::string& shown) {
    const bool is_template = kind == Source::ValueTemplate || kind == Source::FileTemplate;
    auto fail = [&](const std::string& msg) {
        return UserError(mark, std::string(is_template ? "in template '" : "in expression '") + shown + "': " + msg);
    };
    lua_State* L = m_L;
    std::string key = kind == Source::Expression ? text : std::string(1, char('0' + int(kind))) + "\x01" + text;

    std::string code;
    bool chunk = true;
    int ref = LUA_NOREF;
    if (auto it = m_chunks.find(key); it != m_chunks.end()) {
        ref = it->second;
    } else if (!is_template && is_raw_lua(text, code)) {
        // Raw Lua: `lua: <expression>` (see README, "Expressions").
        chunk = false;
        if (code.empty()) throw fail("the Lua expression after 'lua:' is empty");
    } else {
        try {
            code = is_template ? jinja::compile_template(*jinja::parse_template(text, kind == Source::ValueTemplate))
                               : jinja::compile_expression(*jinja::parse_expression(text, kind == Source::ValueExpression));
        } catch (const jinja::SyntaxError& e) {
            std::string where = is_template ? jinja::describe_position(text, e.pos())
                                            : "column " + std::to_string(e.pos() + 1);
            throw fail(std::string(e.what()) + " (at " + where + ")");
        }
    }

    sync_global_paths();
    lua::Runtime& rt = *m_rt;
    const Value* saved_vars = rt.vars;
    bool saved_secret = rt.read_secret;
    bool saved_untrusted = rt.read_untrusted;
    rt.vars = &vars;
    rt.read_secret = false;
    rt.read_untrusted = false;

    int top = lua_gettop(L);
    if (!lua_checkstack(L, 8)) throw fail("Lua stack exhausted");
    EvalCall call{&code, ref};
    call.chunk = chunk;
    lua_pushcfunction(L, protected_eval);
    lua_pushlightuserdata(L, &call);
    int status = lua_pcall(L, 1, 1, 0);
    rt.enforce = false;
    bool read_secret = rt.read_secret;
    bool read_untrusted = rt.read_untrusted;
    rt.vars = saved_vars;
    rt.read_secret = saved_secret || read_secret;
    rt.read_untrusted = saved_untrusted || read_untrusted;

    if (ref == LUA_NOREF && call.ref != LUA_NOREF) {
        if (m_chunks.size() >= k_max_cached_chunks) {
            for (const auto& [t, r] : m_chunks) luaL_unref(L, LUA_REGISTRYINDEX, r);
            m_chunks.clear();
        }
        m_chunks.emplace(key, call.ref);
    }
    if (status != LUA_OK) {
        const char* m = lua_tostring(L, -1);
        std::string msg = m ? m : std::string("error object is a ") + luaL_typename(L, -1) + " value";
        lua_settop(L, top);
        throw fail(suggest_name(explain(msg, status, call.syntax_error, text, rt), vars));
    }
    Value result;
    try {
        result = lua::to_value(L, -1, false);
    } catch (const UserError& e) {
        lua_settop(L, top);
        throw fail(suggest_name(e.what(), vars));
    }
    lua_settop(L, top);
    if (read_secret) result.set_secret();
    // Anything computed from a host's data is that host's data: taint the whole result.
    if (read_untrusted) result.set_untrusted();
    return result;
}

bool LuaEnv::eval_bool(const std::string& expr, const Value& vars, const Mark& mark) {
    if (!jinja::condition_has_template(expr)) return python_truthy(eval(expr, vars, mark));
    // "{{ x }} == 'y'" compares x (Ansible 2.14 templates, then evaluates).
    std::string cond;
    try {
        cond = jinja::condition_to_expression(expr);
    } catch (const jinja::SyntaxError& e) {
        throw UserError(mark, "in condition '" + expr + "': " + e.what());
    }
    return python_truthy(eval(cond, vars, mark));
}

bool python_truthy(const Value& v) {
    switch (v.type()) {
        case Value::Type::Null: return false;
        case Value::Type::Bool: return v.as_bool();
        case Value::Type::Int: return v.as_int() != 0;
        case Value::Type::Double: return v.as_double() != 0.0;
        case Value::Type::String: return !v.as_string().empty();
        case Value::Type::List: return !v.as_list().empty();
        case Value::Type::Map: return !v.as_map().empty();
    }
    return false;
}

}  // namespace upkeep
