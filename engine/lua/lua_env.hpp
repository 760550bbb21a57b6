// The Lua side of upkeep: a sandboxed Lua 5.4 state that evaluates playbook
// expressions (`when: result.rc == 0`) and renders "{{ expr }}" templates.
// Expressions are Jinja2, compiled to Lua (jinja_ast.hpp); "lua: ..." is raw Lua.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "engine/value/mark.hpp"
#include "engine/value/value.hpp"

struct lua_State;

namespace upkeep {

namespace lua {
struct Runtime;
}

// One sandboxed Lua state. Not thread-safe: each worker thread uses its own (thread_lua()).
class LuaEnv {
public:
    // Opens base (without dofile, loadfile, print; load takes text only), string, table,
    // math and utf8; no os, io, debug or C modules. Loads lua/upkeep/filters.lua from
    // the search path; throws std::runtime_error when it cannot be found.
    LuaEnv();
    ~LuaEnv();
    LuaEnv(const LuaEnv&) = delete;
    LuaEnv& operator=(const LuaEnv&) = delete;

    // Evaluates a Lua expression with the entries of `vars` (a map) visible as globals.
    // Variables are converted only when the expression reads them. An undefined
    // variable is nil; indexing it is an error naming it ("'result' is undefined").
    // A result computed from a secret variable is marked secret. Errors are UserError
    // at `mark`: "in expression 'result.rc = 0': [string]:1: ...".
    // A whole-string "{{ expr }}" is accepted and evaluated as expr.
    Value eval(const std::string& expr, const Value& vars, const Mark& mark = {});
    // Evaluates a condition with Python's truth (python_truthy). A condition with
    // {{ }} inside ("{{ x }} == 'y'") is the expression it reads as: (x) == 'y'.
    bool eval_bool(const std::string& expr, const Value& vars, const Mark& mark = {});

    // Renders a whole template (a .j2 file's text) to text, with Ansible's settings:
    // trim_blocks, the source's trailing newlines kept. Errors name the template.
    // *secret (when given) is set when a secret value went into the text.
    std::string render_template(const std::string& text, const Value& vars, const Mark& mark = {},
                                bool* secret = nullptr);

    // Renders every string inside v (recursively through lists and maps) that holds
    // "{{ ... }}". A string that is exactly one "{{ expr }}" keeps the expression's type;
    // otherwise the pieces are joined with Value::to_string(). Rendered values keep
    // v's marks, and are secret when a secret went into them. "{% %}" and "{# #}"
    // are not supported: UserError.
    Value render(const Value& v, const Value& vars);
    std::string render_string(const std::string& s, const Value& vars, const Mark& mark = {});
    // True when s contains "{{" and so needs rendering.
    static bool is_templated(const std::string& s);

    // Adds a directory searched by `require` (after the built-in ones). Only .lua
    // files are loaded: `require 'site.util'` finds <dir>/site/util.lua or
    // <dir>/site/util/init.lua. The repository's lua/ directory, the installed
    // share/upkeep/lua next to the binary and $UPKEEP_LUA_PATH (colon-separated)
    // are searched by default.
    void add_search_path(const std::string& dir);

    // Limits for one evaluation: VM instructions and bytes of Lua memory. A runaway
    // expression then fails with a UserError instead of hanging the run.
    void set_instruction_limit(uint64_t instructions);
    void set_memory_limit(size_t bytes);

private:
    // Renders one string; the result carries the string's mark.
    Value render_one(const Value& s, const Value& vars);
    // What run() compiles: an expression (when:, assert), the expression of a playbook
    // value's "{{ x }}" (string literals keep backslashes, as Ansible), a playbook
    // value with text around its tags, or a .j2 file.
    enum class Source { Expression, ValueExpression, ValueTemplate, FileTemplate };
    // Compiles (once, cached) and runs an expression or a whole template.
    Value run(const std::string& text, Source kind, const Value& vars, const Mark& mark, const std::string& shown);
    Value template_value(const std::string& text, Source kind, const Value& vars, const Mark& mark);
    // Runs a Lua snippet during set-up; throws std::runtime_error on failure.
    void run_setup(const char* code, const char* name);

    std::unique_ptr<lua::Runtime> m_rt;
    lua_State* m_L = nullptr;
    std::unordered_map<std::string, int> m_chunks;  // expression -> registry ref of its function
};

// Python's truth value: None, false, 0, "" and empty containers are false; any
// other string ("false", "no") is true, as in Jinja's `{% if %}`.
bool python_truthy(const Value& v);

// The calling thread's LuaEnv, created on first use.
LuaEnv& thread_lua();

}  // namespace upkeep
