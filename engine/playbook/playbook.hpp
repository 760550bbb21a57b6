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
    std::vector<std::string> tags;  // own tags plus every enclosing block's and play's
    Value vars;                     // task and enclosing block vars, merged
    std::optional<bool> check_mode, diff, become;
    bool no_log = false;
    bool run_once = false;
    std::string become_user;
    Value delegate_to;  // not supported yet: rejected at load time
};

struct Play {
    std::string name;
    Mark mark;
    std::string hosts;  // a host pattern
    Value vars;
    std::vector<std::string> vars_files;  // resolved paths
    bool gather_facts = true;
    std::optional<bool> become;
    std::string become_user;
    std::string remote_user;  // default for ansible_user
    std::string connection;   // default for ansible_connection
    Value serial;  // null, an int, "30%", or a list of those
    std::optional<double> max_fail_percentage;
    bool any_errors_fatal = false;
    std::vector<Task> pre_tasks, tasks, post_tasks, handlers;
    std::vector<std::string> tags;
    std::string playbook_dir;
};

struct Playbook {
    std::string path;
    std::vector<Play> plays;
};

// Loads a playbook file (following import_playbook, import_tasks and static
// include_tasks), checks every task's module and argument names, and throws
// UserError pointing at file:line:col on the first problem.
Playbook load_playbook(const std::string& path);

// Parses "a=1 b='two words'" (Ansible's k=v form). Words that are not k=v are
// returned in `free` (joined by spaces), used by command/shell.
// With `known_keys`, only those keys count as k=v (free-form modules).
Value parse_kv(const std::string& text, std::string* free, const Mark& mark,
               const std::vector<std::string>* known_keys = nullptr);

}  // namespace upkeep
