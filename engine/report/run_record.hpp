// RunRecord: the whole run as data (plays, tasks, one outcome per host and task,
// loop items folded in, secrets already masked), collected from the executor's
// events by RecordingReporter. The JUnit and HTML reports are renderings of it,
// written once at the end; they never see a connection.
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "engine/report/diff_groups.hpp"
#include "engine/report/reporter.hpp"

namespace upkeep {

// Which status a host shows for a task whose items (or, in `report merge`, whose
// shards' entries) ended differently: the heavier one, unreachable first.
int status_weight(Status s);

struct HostOutcome {
    Status status = Status::Skipped;
    bool ignored = false;    // failed, but ignore_errors
    bool would_run = false;  // dry run: a command that a real run would execute
    int items = 0;           // loop items seen (0 without a loop)
    std::string msg;         // masked; "hidden (no_log)" for no_log tasks
    std::vector<DiffLine> diff;  // masked, as --diff shows it (item headers as Note lines)
    double seconds = 0;      // from the task's start to this host's last result
};

struct TaskRecord {
    std::string name;
    bool handler = false;
    std::vector<std::string> host_order;  // hosts in the order they reported
    std::map<std::string, HostOutcome> hosts;
};

struct PlayRecord {
    std::string name;
    std::vector<std::string> hosts;
    std::vector<TaskRecord> tasks;
};

struct RunRecord {
    std::string playbook;
    bool check = false;
    std::string started;  // UTC, ISO 8601
    double seconds = 0;
    std::vector<PlayRecord> plays;
    std::vector<HostStats> stats;
    std::vector<std::string> warnings;
};

// For a dry run: does this outcome mean the host has drifted from the playbook?
inline bool is_drift(const HostOutcome& o) { return o.status == Status::Changed; }

class RecordingReporter : public Reporter {
public:
    void playbook_start(const std::string& path, bool check) override;
    void play_start(const Play& play, const std::string& name, const std::vector<std::string>& hosts) override;
    void task_start(const Task& task, const std::string& name, bool handler) override;
    void host_result(const Task& task, const std::string& task_name, const HostResult& r) override;
    void warning(const std::string& msg) override;
    void recap(const std::vector<HostStats>& stats, bool check) override;

protected:
    // Called once, from recap(), with the complete record.
    virtual void finish(const RunRecord& record) = 0;

private:
    using Clock = std::chrono::steady_clock;
    std::mutex m_mutex;
    RunRecord m_record;
    Clock::time_point m_run_started, m_task_started;
};

}  // namespace upkeep
