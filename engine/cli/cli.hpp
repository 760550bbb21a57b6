// The command line: parses arguments and runs `play`, `doc` and friends.
#pragma once

#include "engine/module/module_catalog.hpp"

namespace upkeep {

// Returns the process exit code (0 ok, 1 usage, 2 a host failed, 4 unreachable, 250 bug).
// `modules` are the modules playbooks may name (app/main.cpp passes the built-in registry).
int run_cli(int argc, char** argv, const ModuleCatalog& modules);

}  // namespace upkeep
