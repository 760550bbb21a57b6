// In-process executor tests, in the manner of ninja's builder tests: the real
// loader and PlayExecutor, with
//  - a connection factory the test controls (each host a sandbox directory; some
//    hosts unreachable on purpose), which remembers the connection it made per host;
//  - a recording reporter that keeps the events (task starts, host results, recap)
//    as data, so tests assert on what the executor decided, not on console text;
//  - a `probe` module (added to the built-in modules for the run) that records
//    every check() and apply() call: which host, which connection it was handed.
#pragma once

#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "engine/connection/connection.hpp"
#include "engine/exec/run_options.hpp"
#include "engine/module/module_catalog.hpp"
#include "engine/report/reporter.hpp"
#include "tests/support/test_support.hpp"

namespace upkeep::test {

// One host_result event.
struct RecordedResult {
    std::string task;  // the display name
    std::string host;
    Status status = Status::Ok;
    bool is_item = false, would_run = false, probe_would_change = false, ignored = false;
    std::string msg, item_label;
    Value result;
};

class RecordingReporter : public Reporter {
public:
    void task_start(const Task& task, const std::string& name, bool handler) override;
    void host_result(const Task& task, const std::string& task_name, const HostResult& r) override;
    void warning(const std::string& msg) override;
    void recap(const std::vector<HostStats>& stats, bool check) override;

    std::vector<std::string> started;  // task names in start order; handlers as "handler: <name>"
    std::vector<RecordedResult> results;
    std::vector<HostStats> stats;
    std::vector<std::string> warnings;

    // The results of one task (by display name), in arrival order.
    std::vector<RecordedResult> of(const std::string& task) const;
    // The one non-item result of `task` on `host`; fails the test when there is not exactly one.
    RecordedResult one(const std::string& task, const std::string& host) const;
    const HostStats& stats_of(const std::string& host) const;
    // Every event as text, one a line (shown with a failing assertion).
    std::string dump() const;

private:
    std::mutex m_mutex;  // host results arrive from the fork pool's threads
};

// One call of the probe module.
struct ProbeCall {
    std::string key;    // the probe's `key:` argument
    std::string host;   // ctx.conn.host_name()
    bool apply = false;  // false: check()
    const Connection* conn = nullptr;        // the connection the module was handed
    const Connection* underlying = nullptr;  // conn.underlying(): the real one behind an overlay
    bool overlay = false;                    // a planned-state overlay (the dry run's swap)
};

// The probe records into this log (process-wide, reset by each ExecutorRun).
class ProbeLog {
public:
    void add(ProbeCall c);
    std::vector<ProbeCall> calls(const std::string& key, const std::string& host = "") const;
    int count(const std::string& key, const std::string& host, bool apply) const;
    void clear();

private:
    mutable std::mutex m_mutex;
    std::vector<ProbeCall> m_calls;
};
ProbeLog& probe_log();

// The built-in modules plus `probe`.
const ModuleCatalog& catalog_with_probe();

// A playbook run inside the test process.
class ExecutorRun {
public:
    // `inventory_ini` may use {root} for this run's temp directory; every host gets
    // `ansible_connection=sandbox` with its own root unless it sets one itself.
    ExecutorRun(const std::string& inventory_ini, const std::string& playbook_yaml);

    RunOptions opts;
    std::set<std::string> unreachable;  // hosts whose connect() fails

    // Runs the playbook; returns the exit code.
    int run();
    RecordingReporter events;
    // The connection the factory made for a host (null before the run connected it).
    const Connection* connection_of(const std::string& host) const;
    // A host's sandbox root, and a file in it.
    std::string host_root(const std::string& host) const { return m_dir / ("hosts/" + host); }
    std::string host_file(const std::string& host, const std::string& path) const { return host_root(host) + path; }

private:
    TempDir m_dir;
    std::string m_playbook, m_inventory;
    std::map<std::string, const Connection*> m_made;
    mutable std::mutex m_mutex;
};

}  // namespace upkeep::test
