// Natives of the Jinja runtime, and the controller directories searched for
// templates, `lookup('file')` and `{% include %}` (the template search-path hook).
#pragma once

#include <lua.hpp>

#include <string>
#include <vector>

namespace upkeep {

// Directories searched, in order, for relative template and file names (this thread).
// The play executor sets the playbook's directory (and roles add theirs in front).
void set_template_search_path(std::vector<std::string> dirs);
const std::vector<std::string>& template_search_path();

namespace lua {
// Registers the `__jn` table in the state.
void open_jinja_native(lua_State* L);
}  // namespace lua

}  // namespace upkeep
