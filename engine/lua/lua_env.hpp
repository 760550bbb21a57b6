// The Lua side of upkeep: a sandboxed Lua 5.4 state that evaluates playbook
// expressions (`when: result.rc == 0`) and renders "{{ expr }}" templates.
// Expressions are Jinja2, compiled to Lua (jinja_ast.hpp); "lua: ..." is raw Lua.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "engine/connection/connection.hpp"
#include "engine/value/mark.hpp"
#include "engine/value/value.hpp"

struct lua_State;

namespace upkeep {

namespace lua {
struct Runtime;
}

// One sandboxed Lua state. Not thread-safe: an evaluation borrows one from the
// process-wide pool for its duration (lua_lease(), engine/lua/lua_pool.hpp).
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
    // Evaluates an expression held in a Value (debug var=, assert that=) at its mark;
    // refuses with a UserError when the text is untrusted (it came from a managed host).
    Value eval_expression(const Value& expr, const Value& vars);

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
    // <dir>/site/util/init.lua. Searched by default: the installed
    // share/upkeep/lua next to the binary's directory, or the source tree's lua/
    // when running from a build tree (lua_code_path.hpp); nothing else.
    void add_search_path(const std::string& dir);
    // Adds a directory for every thread's LuaEnv (the playbook's lua/), searched
    // after the built-in ones. Every file loaded from any directory must pass
    // unsafe_code_path() (owned by root or the user, nothing world-writable).
    static void add_global_search_path(const std::string& dir);

    // Limits for one evaluation: VM instructions and bytes of Lua memory. A runaway
    // expression then fails with a UserError instead of hanging the run.
    void set_instruction_limit(uint64_t instructions);
    void set_memory_limit(size_t bytes);
    // Wall time of one evaluation (default 5 s), checked by the hook and inside the
    // string pattern functions, so a C call that backtracks cannot stall the run.
    void set_time_limit(std::chrono::milliseconds limit);

    // Lua modules (modules/lua_module.hpp). The file at `path` (passed through
    // unsafe_code_path) is run once per state; it returns a table. module_info()
    // gives the table's data fields as a Value (summary, args...) and the names of
    // its function fields under "functions".
    Value module_info(const std::string& path);
    // Calls the module's function `fn`(first, host, extra) with the evaluation
    // limits; `host` is bound to `conn` for this call only (lua_host_api.hpp) and
    // read-only when `read_only` (check()). Returns the converted result, marked
    // secret when a secret went into the call. Lua errors are TaskError
    // ("path:line: message"); a broken connection is rethrown as ConnectionError.
    Value call_module(const std::string& path, const char* fn, const Value& first, const Value& extra,
                      Connection& conn, bool read_only);

private:
    // Pushes the module table of `path`, loading and freezing it on first use.
    void push_module_table(const std::string& path);
    // lua_pcall with the evaluation limits armed (instructions, memory, wall time).
    int limited_pcall(int nargs, int nresults);
    // Loads lua/filters/*.lua and lua/tests/*.lua of a playbook's lua/ directory.
    void load_user_plugins(const std::string& lua_dir);
    // Freezes the table on the stack top (read-only, shared by every host).
    void freeze_top();

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

    // Picks up directories added by add_global_search_path since the last call.
    void sync_global_paths();

    std::unique_ptr<lua::Runtime> m_rt;
    size_t m_search_count = 0;   // directories in require's search list
    size_t m_global_synced = 0;  // global directories already added
    lua_State* m_L = nullptr;
    std::unordered_map<std::string, int> m_chunks;  // expression -> registry ref of its function
    std::unordered_map<std::string, int> m_modules;  // Lua module path -> registry ref of its table
};

// Python's truth value: None, false, 0, "" and empty containers are false; any
// other string ("false", "no") is true, as in Jinja's `{% if %}`.
bool python_truthy(const Value& v);

}  // namespace upkeep
