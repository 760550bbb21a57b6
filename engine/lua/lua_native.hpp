// Helpers written in C++ for the Lua side (the `upkeep` global table): what Lua
// cannot do well itself (real regular expressions, base64, JSON) or what must
// see through value proxies (kind, to_string, truthy).
#pragma once

#include <lua.hpp>

namespace upkeep::lua {

// Creates the global table `upkeep` with null, kind, to_string, truthy, to_json,
// from_json, regex_replace, regex_search, b64encode and b64decode.
void open_native(lua_State* L);

// Replaces string.find, match, gmatch and gsub with versions that count their
// backtracking steps against the evaluation's budget and wall-clock deadline
// (lua_patterns.cpp): Lua's own run inside one C call the hook never interrupts.
void open_bounded_patterns(lua_State* L);

// Adds upkeep.user_filter(name) and upkeep.user_test(name): the filters and tests
// a playbook's lua/filters/*.lua and lua/tests/*.lua registered in this state
// (lua_env_modules.cpp), nil for unknown names.
void open_user_plugins(lua_State* L);

}  // namespace upkeep::lua
