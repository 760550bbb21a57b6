// Shared by the playbook loader and the role loader (not a public interface).
#pragma once

#include <set>
#include <optional>
#include <string>
#include <vector>

#include "engine/module/module_catalog.hpp"
#include "engine/playbook/playbook.hpp"

namespace upkeep::loader {

// What the roles of one play contribute beyond their tasks: play-wide defaults
// and vars, handlers, and which roles already ran (a role runs once per play
// with the same parameters, as in Ansible).
struct PlayRoles {
    std::string playbook_dir;
    std::vector<std::string> search_path;
    Value defaults = Value(Map{});
    Value vars = Value(Map{});
    std::vector<Task> handlers;
    std::set<std::string> loaded;
};

// The loader's walk state: which file we are in, inherited tags, vars and
// conditions, the include chain to catch cycles, and the role being loaded.
struct Scope {
    std::string dir;  // directory of the current file (for relative includes)
    std::vector<std::string> tags;
    Value vars = Value(Map{});
    std::vector<Value> when;  // conditions of enclosing roles/includes, pushed into every task
    std::vector<std::string> chain;
    PlayRoles* roles = nullptr;
    std::string role_name;
    std::vector<std::string> search_dirs;
    Value role_defaults, role_vars;  // the current role's own
    List environment;  // environment: layers of enclosing play/blocks (maps or templates)
    const ModuleCatalog* modules = nullptr;  // where module names are looked up (never null while loading)
    // become keywords of the enclosing blocks (and include/role), inherited by tasks.
    std::optional<bool> become;
    std::string become_user, become_method;
};

std::vector<Task> load_task_list(const Value& list, const Scope& scope, bool handlers);
std::vector<std::string> string_list(const Value& v, const char* what);
std::vector<Value> when_list(const Value& w);

// A role reference: from `roles:` (a name or a map with role/name, vars, tags,
// when and role params) or from import_role/include_role (name, tasks_from, ...).
struct RoleRef {
    std::string name;
    Mark mark;
    Value params = Value(Map{});  // role params and vars:, visible to the role's tasks
    std::vector<std::string> tags;
    std::vector<Value> when;
    std::string tasks_from = "main", vars_from = "main", defaults_from = "main", handlers_from = "main";
    // become keywords of the roles: entry or the import_role/include_role task: they
    // apply to the role's tasks, its dependencies and its handlers (as in Ansible).
    std::optional<bool> become;
    std::string become_user, become_method;  // "" = not set
    // import_role/include_role run the role again even when it already ran in this
    // play (Ansible's once-per-play rule is for roles: entries and dependencies).
    bool from_task = false;
};

RoleRef role_ref_from_roles_entry(const Value& entry);
RoleRef role_ref_from_task(const Value& task, const std::string& key);
// Loads a role (its dependencies first) and returns its tasks; defaults, vars and
// handlers go to scope.roles. A role already loaded with the same parameters
// returns no tasks.
std::vector<Task> load_role(const RoleRef& ref, const Scope& scope);

}  // namespace upkeep::loader
