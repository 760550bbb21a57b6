// Modules written in Lua: lua/modules/NAME.lua (or library/NAME.lua) next to the
// playbook or a role, and the ones shipped in upkeep's own lua/modules/. A Lua
// module has the same contract as a C++ one (module.hpp): it declares its
// arguments, check(args, host) is read-only and returns the plan with exact
// before/after, apply(plan, host, args) carries out exactly that plan. It reaches
// the host only through the `host` object (engine/lua/lua_host_api.hpp), so it
// works over SSH and in --check as a C++ module does.
#pragma once

#include <string>
#include <vector>

#include "engine/module/module.hpp"
#include "engine/value/mark.hpp"

namespace upkeep {

// Where Lua modules are looked up for a task whose files come from `task_dirs`
// (a role's directory, then the playbook's): <dir>/lua/modules and <dir>/library
// for each, then the built-in lua/modules (lua_code_path.hpp).
std::vector<std::string> lua_module_dirs(const std::vector<std::string>& task_dirs);

// The Lua module `name` from the first of `dirs` holding NAME.lua, or nullptr.
// Loaded once per file for the whole run. Throws UserError (at `mark`) when the
// file may not be loaded (unsafe_code_path) or does not define a valid module.
const Module* find_lua_module(const std::string& name, const std::vector<std::string>& dirs, const Mark& mark = {});

// Names of the Lua modules in `dirs` (for "did you mean" and `upkeep doc`), sorted.
std::vector<std::string> lua_module_names(const std::vector<std::string>& dirs);

// A module spec from a Lua module's data (LuaEnv::module_info): summary, doc,
// args (a list of {name=, type=, required=, default=, choices=, aliases=,
// secret=, doc=}), mutually_exclusive, required_one_of. Throws UserError naming
// `path` on anything unknown or malformed.
ModuleSpec lua_module_spec(const std::string& name, const Value& info, const std::string& path);

// The Plan a Lua check() returned ({changes = {{target=, summary=, before=,
// after=, secret=}}, msg=, data=, result=, unpredictable=}), and back.
Plan plan_from_lua(const Value& v, const std::string& path);
Value plan_to_lua(const Plan& plan);

}  // namespace upkeep
