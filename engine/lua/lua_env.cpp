#include "engine/util/py_regex.hpp"
#include "engine/lua/lua_env.hpp"

#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "engine/lua/jinja_ast.hpp"
#include "engine/lua/jinja_native.hpp"
#include "engine/lua/lua_convert.hpp"
#include "engine/lua/lua_native.hpp"
#include "engine/util/error.hpp"
#include "engine/util/strings.hpp"

namespace upkeep {

namespace {

char k_env_key;    // registry: the _ENV table of expressions
char k_paths_key;  // registry: the list of directories searched by require

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
    if (rt.enforce && ++rt.ticks > rt.tick_limit) {
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
    lua_rawget(L, -2);
    return 1;
}

int env_newindex(lua_State* L) {
    return luaL_error(L, "cannot assign to '%s': variables are read-only in expressions", luaL_tolstring(L, 2, nullptr));
}

// load_lua_file(path) -> function, or nil when the file cannot be opened. Text only.
int load_lua_file(lua_State* L) {
    const char* path = luaL_checkstring(L, 1);
    int status = luaL_loadfilex(L, path, "t");
    if (status == LUA_ERRFILE) {
        lua_pushnil(L);
        return 1;
    }
    if (status != LUA_OK) return lua_error(L);
    return 1;
}

// Runs with the sandbox's globals; receives load_lua_file and returns require's search list.
const char* const k_prelude = R"lua(
local load_lua_file = ...
local raw_load, raw_type, raw_error, select, ipairs, tostring = load, type, error, select, ipairs, tostring
local concat = table.concat
local kind = upkeep.kind
local search_paths, loaded = {}, {}

dofile, loadfile, print, collectgarbage, warn = nil, nil, nil, nil, nil
string.dump = nil

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
        loaded[name] = result
        return result
      end
      tried[#tried + 1] = path
    end
  end
  raw_error("module '" .. name .. "' not found (only Lua files are loaded; tried " ..
            (#tried > 0 and concat(tried, ", ") or "no directories") .. ")", 2)
end

return search_paths
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

void add_default_paths(LuaEnv& env) {
    namespace fs = std::filesystem;
    if (const char* extra = std::getenv("UPKEEP_LUA_PATH"))
        for (const std::string& dir : split(extra, ':'))
            if (!dir.empty()) env.add_search_path(dir);
#ifdef UPKEEP_SOURCE_DIR
    if (fs::is_directory(UPKEEP_SOURCE_DIR "/lua")) env.add_search_path(UPKEEP_SOURCE_DIR "/lua");
#endif
    std::error_code ec;
    fs::path exe = fs::read_symlink("/proc/self/exe", ec);
    if (!ec) {
        fs::path installed = exe.parent_path().parent_path() / "share" / "upkeep" / "lua";
        if (fs::is_directory(installed, ec)) env.add_search_path(installed.string());
    }
}

}  // namespace

LuaEnv::LuaEnv() : m_rt(std::make_unique<lua::Runtime>()) {
    m_L = lua_newstate(limited_alloc, m_rt.get());
    if (!m_L) throw std::runtime_error("cannot create a Lua state");
    lua_State* L = m_L;
    *static_cast<lua::Runtime**>(lua_getextraspace(L)) = m_rt.get();

    const luaL_Reg libs[] = {{LUA_GNAME, luaopen_base},        {LUA_STRLIBNAME, luaopen_string},
                             {LUA_TABLIBNAME, luaopen_table},  {LUA_MATHLIBNAME, luaopen_math},
                             {LUA_UTF8LIBNAME, luaopen_utf8}};
    for (const luaL_Reg& lib : libs) {
        luaL_requiref(L, lib.name, lib.func, 1);
        lua_pop(L, 1);
    }
    lua::open_convert(L);
    lua::open_native(L);
    lua::open_jinja_native(L);

    if (luaL_loadbufferx(L, k_prelude, std::strlen(k_prelude), "=prelude", "t") != LUA_OK) {
        std::string msg = lua_tostring(L, -1);
        lua_close(L);
        throw std::runtime_error("Lua prelude: " + msg);
    }
    lua_pushcfunction(L, load_lua_file);
    if (lua_pcall(L, 1, 1, 0) != LUA_OK) {
        std::string msg = lua_tostring(L, -1);
        lua_close(L);
        throw std::runtime_error("Lua prelude: " + msg);
    }
    lua_rawsetp(L, LUA_REGISTRYINDEX, &k_paths_key);

    lua_newtable(L);
    lua_newtable(L);
    lua_pushcfunction(L, env_index);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, env_newindex);
    lua_setfield(L, -2, "__newindex");
    lua_setmetatable(L, -2);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &k_env_key);

    lua_sethook(L, count_hook, LUA_MASKCOUNT, lua::k_hook_every);

    try {
        add_default_paths(*this);
        run_setup(R"lua(
local m = require("upkeep.filters")
__f, __t = m.filters, m.tests
__j = require("upkeep.jinja")
)lua",
                  "=setup");
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

void LuaEnv::add_search_path(const std::string& dir) {
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

    lua::Runtime& rt = *m_rt;
    const Value* saved_vars = rt.vars;
    bool saved_secret = rt.read_secret;
    rt.vars = &vars;
    rt.read_secret = false;

    int top = lua_gettop(L);
    if (!lua_checkstack(L, 8)) throw fail("Lua stack exhausted");
    EvalCall call{&code, ref};
    call.chunk = chunk;
    lua_pushcfunction(L, protected_eval);
    lua_pushlightuserdata(L, &call);
    int status = lua_pcall(L, 1, 1, 0);
    rt.enforce = false;
    bool read_secret = rt.read_secret;
    rt.vars = saved_vars;
    rt.read_secret = saved_secret || read_secret;

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

LuaEnv& thread_lua() {
    thread_local LuaEnv env;
    return env;
}

}  // namespace upkeep
