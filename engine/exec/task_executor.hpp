// TaskExecutor: runs one task on one host, in Ansible's order
// when -> loop -> action (check, then apply) -> register -> changed_when/failed_when
// -> notify. It is the ONLY place that knows whether this is a dry run: in
// --check it hands modules the host's planned-state overlay instead of the real
// connection.
#pragma once

#include <functional>

#include "engine/exec/host_state.hpp"
#include "engine/exec/run_options.hpp"
#include "engine/playbook/playbook.hpp"
#include "engine/report/reporter.hpp"

namespace upkeep {

class TaskExecutor {
public:
    TaskExecutor(const RunOptions& opts, Reporter& reporter) : m_opts(opts), m_reporter(reporter) {}

    // Runs `task` on `host`, updating the host's state (registered vars, facts,
    // notified handlers, stats, failed/unreachable) and emitting one result event
    // (plus one per loop item). Never throws for task or host failures.
    // Returns true when the task changed something on this host.
    bool run(const Play& play, const Task& task, HostState& host, const std::string& task_name);

    // Opens the host's connection if needed; false (and the host marked
    // unreachable, with an event) when it cannot be reached.
    bool ensure_connected(HostState& host, const Task& task, const std::string& task_name);

    // The variables a task sees on a host (play vars < task vars < register/set_fact < extra vars).
    Value task_vars(const Task& task, const HostState& host) const;

    // delegate_to: the connection to `delegate` used on behalf of `host` (given by the
    // play executor, which knows the inventory). Throws ConnectionError.
    std::function<Connection&(const std::string& delegate, const std::string& host)> delegate_connection;

private:
    struct ItemResult;
    ItemResult run_item(const Play& play, const Task& task, HostState& host, Value vars, bool check,
                        const std::string& task_name);

    const RunOptions& m_opts;
    Reporter& m_reporter;
};

}  // namespace upkeep
