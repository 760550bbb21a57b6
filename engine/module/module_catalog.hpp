// How the engine finds modules by name. The engine never includes modules/: the
// program (app/main.cpp) hands it the built-in registry (modules/registry.hpp), and
// tests may hand it a catalog with extra modules (a probe that records its calls).
#pragma once

#include <string>
#include <vector>

#include "engine/value/mark.hpp"

namespace upkeep {

class Module;

// A module defined by a file of its own (a Lua module): where it is, and what it
// declares (for `upkeep doc`).
struct ModuleFile {
    std::string name, path;
    const Module* module = nullptr;  // nullptr when the file cannot be loaded
    std::string error;               // then: why
    bool shadowed = false;           // another module of that name wins for a task
};

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
    // The module files a task with these search dirs can see (the playbook's and
    // roles' Lua modules first, then the installed ones), in lookup order. None by
    // default (a catalog of compiled-in modules only).
    virtual std::vector<ModuleFile> module_files(const std::vector<std::string>& search_dirs) const {
        (void)search_dirs;
        return {};
    }
};

}  // namespace upkeep
