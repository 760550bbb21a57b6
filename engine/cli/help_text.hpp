// The man page and the bash completion, generated from the same sources as
// `upkeep --help` and `upkeep doc`: the command line definition (CLI11) and the
// module registry's specs. Built at compile time into build/upkeep.1 and
// build/upkeep.bash-completion and installed; `upkeep man` / `upkeep completion`
// print them too, so they never drift from the binary.
#pragma once

#include <string>

#include "engine/module/module_catalog.hpp"

namespace CLI {
class App;
}

namespace upkeep {

// upkeep(1) in roff (man -l upkeep.1).
std::string man_page(const CLI::App& app, const ModuleCatalog& modules);
// A bash completion script: subcommands, options, module names after `doc`/`help`.
std::string bash_completion(const CLI::App& app, const ModuleCatalog& modules);

}  // namespace upkeep
