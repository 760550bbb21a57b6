// `upkeep doc [MODULE] [-p PLAYBOOK]`: module list and per-module argument reference.
#pragma once

#include <string>
#include <vector>

#include "engine/module/module_catalog.hpp"

namespace upkeep {

// `playbook` (a playbook file or its directory, may be empty): its Lua modules
// (lua/modules/, library/, and those of its roles/*) are listed and documented too.
int run_doc_command(const std::string& module, const ModuleCatalog& modules, const std::string& playbook = "");

// The directories a playbook's tasks search for modules of their own: the
// playbook's directory, then each role directory under its roles/.
std::vector<std::string> playbook_module_dirs(const std::string& playbook);

}  // namespace upkeep
