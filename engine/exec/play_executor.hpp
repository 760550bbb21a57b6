// PlayExecutor: runs a playbook's plays over the inventory — host selection,
// serial batches, facts, pre_tasks/tasks/post_tasks with block/rescue/always,
// handlers, and the failure policy (any_errors_fatal, max_fail_percentage).
// Tasks advance in lockstep across a batch (Ansible's linear strategy); each
// task runs on the batch's hosts in parallel on the fork pool.
#pragma once

#include <map>
#include <memory>
#include <mutex>

#include "engine/exec/host_state.hpp"
#include "engine/exec/run_options.hpp"
#include "engine/exec/task_executor.hpp"
#include "engine/exec/worker_pool.hpp"
#include "engine/playbook/inventory.hpp"
#include "engine/playbook/playbook.hpp"
#include "engine/report/reporter.hpp"

namespace upkeep {

class PlayExecutor {
public:
    // `connect` makes each host's connection (make_connection unless a test hands its own).
    PlayExecutor(const Inventory& inventory, const RunOptions& opts, Reporter& reporter,
                 ConnectionFactory connect = make_connection);
    ~PlayExecutor();

    // Runs every play; returns the exit code (exit_codes.hpp: 0 ok, 2 a host failed, 4 a host
    // unreachable, 8 changes with --detailed-exitcode).
    int run(const Playbook& pb);

private:
    void run_play(const Play& play);
    void run_batch(const Play& play, std::vector<HostState*>& batch);
    // Runs a task list on the hosts; blocks recurse. Returns false when the play must stop.
    bool run_tasks(const Play& play, const std::vector<Task>& tasks, std::vector<HostState*>& hosts, bool handlers);
    bool run_block(const Play& play, const Task& block, std::vector<HostState*>& hosts, bool handlers);
    bool run_task(const Play& play, const Task& task, std::vector<HostState*>& hosts, bool handler,
                  const std::vector<const Task*>& upcoming = {});
    void run_include(const Play& play, const Task& inc, std::vector<HostState*>& hosts, bool handlers);
    Connection& delegate_connection(const std::string& delegate, const std::string& host);
    bool run_meta(const Play& play, const Task& task, std::vector<HostState*>& hosts);
    void flush_handlers(const Play& play, std::vector<HostState*>& hosts);
    void gather_facts(const Play& play, std::vector<HostState*>& hosts);
    void prepare_play_vars(const Play& play, std::vector<HostState*>& hosts);
    bool tags_selected(const Task& task) const;
    std::string task_display_name(const Task& task, const std::vector<HostState*>& hosts) const;
    // Applies any_errors_fatal / max_fail_percentage after a task; false to stop the play.
    bool failure_policy_allows(const Play& play, const std::vector<HostState*>& hosts) const;
    HostState& state(const std::string& host);

    const Inventory& m_inventory;
    const RunOptions& m_opts;
    Reporter& m_reporter;
    ConnectionFactory m_connect;
    TaskExecutor m_tasks;
    WorkerPool m_pool;
    std::map<std::string, std::unique_ptr<HostState>> m_hosts;
    std::vector<std::string> m_host_order;
    bool m_stop_play = false;
    size_t m_batch_size = 0;
    bool m_started = true;  // false until --start-at-task's task is reached
    std::mutex m_delegate_mutex;
    std::map<std::string, ConnectionPtr> m_delegates;
};

}  // namespace upkeep
