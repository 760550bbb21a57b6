// Which become settings a task runs with. The keywords (become, become_user,
// become_method) inherit play -> block -> task, the innermost winning; ansible_become*
// variables (inventory, play vars, -e) win over every keyword, as in Ansible, and
// the keywords win over -b/--become-user. A task whose settings differ from the
// play's runs on its own connection to the host (see TaskExecutor::task_connection).
#pragma once

#include <optional>
#include <string>

#include "engine/playbook/playbook.hpp"
#include "engine/value/value.hpp"

namespace upkeep {

struct BecomeKeywords {
    std::optional<bool> become;
    std::string user, method;  // "" = not set
};

// The play's keywords, overridden by the task's (which already carry its blocks').
BecomeKeywords become_keywords(const Play& play, const Task* task = nullptr);

// `conn_vars` with each keyword set as its ansible_become* variable where no such
// variable is set.
Value with_become_keywords(const Value& conn_vars, const BecomeKeywords& k);

}  // namespace upkeep
