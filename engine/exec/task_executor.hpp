// TaskExecutor: runs one task on one host, in Ansible's order
// when -> loop -> action (check, then apply) -> register -> changed_when/failed_when
// -> notify. It is the ONLY place that knows whether this is a dry run: in
// --check it hands modules the host's planned-state overlay instead of the real
// connection.
#pragma once

#include <functional>

#include "engine/exec/connection_factory.hpp"
#include "engine/exec/host_state.hpp"
#include "engine/exec/run_options.hpp"
#include "engine/playbook/playbook.hpp"
#include "engine/report/reporter.hpp"

namespace upkeep {

class TaskExecutor {
public:
    TaskExecutor(const RunOptions& opts, Reporter& reporter, ConnectionFactory connect)
        : m_opts(opts), m_reporter(reporter), m_connect(std::move(connect)) {}

    // Runs `task` on `host`, updating the host's state (registered vars, facts,
    // notified handlers, stats, failed/unreachable) and emitting one result event
    // (plus one per loop item). Never throws for task or host failures.
    // Returns true when the task changed something on this host. `upcoming`:
    // the tasks that follow, whose paths a slow link's connection may read
    // ahead (path_hints.hpp).
    bool run(const Play& play, const Task& task, HostState& host, const std::string& task_name,
             const std::vector<const Task*>& upcoming = {});

    // Opens the host's connection if needed; false (and the host marked
    // unreachable, with an event) when it cannot be reached.
    bool ensure_connected(HostState& host, const Task& task, const std::string& task_name);
    // The connection a task runs on: the host's main one, or for become keywords that
    // differ from the play's, one of host.become_conns (opened on first use).
    Connection& become_connection(const Play& play, const Task& task, HostState& host);

    // The variables a task sees on a host (play vars < task vars < register/set_fact < extra vars).
    Value task_vars(const Task& task, const HostState& host) const;

    // delegate_to: the connection to `delegate` used on behalf of `host` (given by the
    // play executor, which knows the inventory). Throws ConnectionError.
    std::function<Connection&(const std::string& delegate, const std::string& host)> delegate_connection;

private:
    struct ItemResult;
    struct TaskConnection;
    // The connection the module gets: the host's, a delegate's, the dry run's overlay
    // or a probe's scratch overlay, with the task's environment on top.
    TaskConnection task_connection(const Play& play, const Task& task, HostState& host, const Value& vars, bool check);
    // One action: render and validate the arguments, check, apply when the plan
    // changes something, then changed_when/failed_when.
    ItemResult run_item(const Play& play, const Task& task, HostState& host, Value vars, bool check,
                        const std::string& task_name);
    // when -> run_item -> until/retries, with errors turned into a failed or
    // unreachable item (never throws).
    ItemResult run_guarded(const Play& play, const Task& task, HostState& host, const Value& vars, bool check,
                           const std::string& task_name);
    ItemResult run_until(const Play& play, const Task& task, HostState& host, const Value& vars, bool check,
                         const std::string& task_name);
    // A looped task: each item through run_guarded, one event per item; fills the
    // summary and returns the registered value ({results: [...], changed, failed}).
    Value run_loop(const Play& play, const Task& task, HostState& host, const Value& vars, bool check,
                   const std::string& task_name, HostResult& summary);
    // Register, facts, stats and notifications of the task's outcome on the host.
    void record(const Task& task, HostState& host, HostResult& summary, Value registered, const Value& vars);
    // ignore_errors, which may be a template ("{{ ansible_check_mode }}") judged against
    // the task's variables when a failure needs it; one that cannot be judged ignores nothing.
    bool ignores_errors(const Task& task, const Value& vars) const;

    const RunOptions& m_opts;
    Reporter& m_reporter;
    ConnectionFactory m_connect;  // makes a host's connection on first use
};

}  // namespace upkeep
