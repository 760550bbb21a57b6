// The playbook model: plays, tasks and blocks, as loaded and validated from YAML.
// Everything that can hold "{{ }}" stays a Value and is rendered per host at run time.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/value/value.hpp"

namespace upkeep {

class Module;
class ModuleCatalog;

struct Task {
    std::string name;  // as written, may be templated
    Mark mark;         // where the task starts
    // An action task has a module; a block has block/rescue/always instead.
    const Module* module = nullptr;
    std::string module_name;
    Value args;  // raw arguments (map); free-form text is in "cmd"
    bool is_block = false;
    std::vector<Task> block, rescue, always;

    std::vector<Value> when;  // each a Lua expression (string) or a literal bool; all must hold
    Value loop;               // null: no loop
    bool first_found = false;  // with_first_found: the loop is the first existing file of the list
    std::string loop_var = "item";
    Value loop_label;  // loop_control.label
    std::string register_as;
    std::vector<std::string> notify;
    std::vector<std::string> listen;  // handlers only
    Value changed_when, failed_when;  // null: module decides
    Value until;                      // retry the action until this holds (null: no retry)
    int retries = 3;
    double delay = 5.0;  // seconds between attempts
    bool ignore_errors = false;
    Value ignore_errors_expr;  // a templated ignore_errors ("{{ ansible_check_mode }}"), judged at run time
    std::vector<std::string> tags;  // own tags plus every enclosing block's and play's
    Value vars;                     // task and enclosing block vars, merged
    std::optional<bool> check_mode, diff;
    bool no_log = false;
    bool run_once = false;
    // become / become_user / become_method of the task or its enclosing blocks
    // (unset / "": the play's); ansible_become* variables still win (Ansible).
    std::optional<bool> become;
    std::string become_user, become_method;
    Value delegate_to;  // null: run on the host itself; else a host name (may be templated)
    // environment: of the play, enclosing blocks and the task, outermost first; each a
    // map or a template rendering to one, merged at run time.
    List environment;
    // Roles: the role this task came from ("" for play tasks), shown as "role : name".
    std::string role_name;
    // Controller directories searched for relative src:/include_vars files, most
    // specific first: the role's directory (its files/, templates/, vars/ are looked
    // up under it), then the playbook's directory.
    std::vector<std::string> search_dirs;
    // This task's role's own defaults and vars: they win over other roles' play-wide
    // ones for this task (the play-wide ones keep Ansible's private_role_vars=false).
    Value role_defaults, role_vars;
    // An include_tasks. Dynamic (templated file name or a loop): expanded per host at
    // run time. Static (a literal file name, include_static): its tasks are loaded
    // with the playbook into `block`, and its `when` is judged once per host on the
    // include itself, as Ansible does (skipped, or "included", each counted once).
    bool is_include = false;
    bool include_static = false;
    Value include_file;     // the file name as written (may be templated)
    std::string include_dir;  // directory relative names are resolved against
    Value include_vars;     // vars: on the include
};

// vars_prompt, answered without a terminal: from -e, else the default, else an error.
struct VarsPrompt {
    std::string name;
    Mark mark;
    Value default_value;  // null: none
    bool secret = true;   // private: (the default) -> the value is masked
};

struct Play {
    std::string name;
    Mark mark;
    std::string hosts;  // a host pattern
    Value vars;
    std::vector<std::string> vars_files;  // resolved paths
    bool gather_facts = true;
    std::optional<bool> become;
    std::string become_user, become_method;
    std::string remote_user;  // default for ansible_user
    std::string connection;   // default for ansible_connection
    Value serial;  // null, an int, "30%", or a list of those
    std::optional<double> max_fail_percentage;
    bool any_errors_fatal = false;
    std::vector<Task> pre_tasks, tasks, post_tasks, handlers;
    std::vector<std::string> tags;
    std::string playbook_dir;
    // Roles of the play (roles:, import_role, include_role): defaults sit below the
    // inventory, vars above the play's vars (Ansible's precedence); both play-wide.
    Value role_defaults = Value(Map{});
    Value role_vars = Value(Map{});
    std::vector<VarsPrompt> vars_prompt;
    // The modules the play was loaded with: a dynamic include_tasks loads its file
    // at run time with the same catalog.
    const ModuleCatalog* modules = nullptr;
};

struct Playbook {
    std::string path;
    std::vector<Play> plays;
};

// Loads a playbook file (following import_playbook, import_tasks and static
// include_tasks), checks every task's module and argument names, and throws
// UserError pointing at file:line:col on the first problem. Module names are
// looked up in `modules` (the program hands in the built-in registry).
Playbook load_playbook(const std::string& path, const ModuleCatalog& modules);

// Loads a task file for a dynamic include_tasks at run time (same checks as at load time).
std::vector<Task> load_included_tasks(const std::string& path, const Task& include, const ModuleCatalog& modules);

// The directories roles are looked up in, in order: <playbook dir>/roles, the
// roles_path of an ansible.cfg next to the playbook (ANSIBLE_ROLES_PATH overrides
// it), then the playbook directory itself.
std::vector<std::string> role_search_path(const std::string& playbook_dir);

// The meta: actions the play executor carries out (the one list: the loader checks
// names against it, the executor acts on them).
const std::vector<std::string>& meta_actions();

// Parses "a=1 b='two words'" (Ansible's k=v form). Words that are not k=v are
// returned in `free` (joined by spaces), used by command/shell.
// With `known_keys`, only those keys count as k=v (free-form modules).
Value parse_kv(const std::string& text, std::string* free, const Mark& mark,
               const std::vector<std::string>* known_keys = nullptr);

}  // namespace upkeep
