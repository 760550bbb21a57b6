// `upkeep doc [MODULE]`: module list and per-module argument reference.
#pragma once

#include <string>

namespace upkeep {

int run_doc_command(const std::string& module);

}  // namespace upkeep
