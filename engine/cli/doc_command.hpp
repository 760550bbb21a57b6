// `upkeep doc [MODULE]`: module list and per-module argument reference.
#pragma once

#include <string>

#include "engine/module/module_catalog.hpp"

namespace upkeep {

int run_doc_command(const std::string& module, const ModuleCatalog& modules);

}  // namespace upkeep
