// The module registry: one explicit row per module, keyed by name.
#pragma once

#include <string>
#include <vector>

#include "engine/module/module.hpp"

namespace upkeep {

// The module named `name` (Ansible's FQCN prefixes ansible.builtin., ansible.legacy.
// community.general., ansible.posix. and community.mysql. are accepted), else the
// Lua module of that name shipped in upkeep's lua/modules/ (lua_module.hpp), or nullptr.
const Module* find_module(const std::string& name);
// All module names (C++ and shipped Lua modules), sorted.
std::vector<std::string> module_names();

}  // namespace upkeep
