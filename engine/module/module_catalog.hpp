// How the engine finds modules by name. The engine never includes modules/: the
// program (app/main.cpp) hands it the built-in registry (modules/registry.hpp), and
// tests may hand it a catalog with extra modules (a probe that records its calls).
#pragma once

#include <string>
#include <vector>

#include "engine/value/mark.hpp"

namespace upkeep {

class Module;

class ModuleCatalog {
public:
    virtual ~ModuleCatalog() = default;
    // The module named `name` (FQCN prefixes included, as the catalog accepts them), or nullptr.
    virtual const Module* find(const std::string& name) const = 0;
    // Every module name, sorted (for "did you mean", `upkeep doc`, the man page).
    virtual std::vector<std::string> names() const = 0;

    // As a task of a playbook sees them: `search_dirs` are the task's role and playbook
    // directories, which may hold modules of their own. `where` is the task's key, for
    // errors in such a module. By default the same as find() and names().
    virtual const Module* find_in(const std::string& name, const std::vector<std::string>& search_dirs,
                                  const Mark& where) const {
        (void)search_dirs;
        (void)where;
        return find(name);
    }
    virtual std::vector<std::string> names_in(const std::vector<std::string>& search_dirs) const {
        (void)search_dirs;
        return names();
    }
};

}  // namespace upkeep
