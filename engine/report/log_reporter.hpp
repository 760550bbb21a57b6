// Sends the run's events (plays, tasks, each host's result with its module's
// decision and timing, warnings, the recap) to the run log (run_log.hpp). Added
// next to the console reporter when the log is enabled.
#pragma once

#include <map>
#include <mutex>

#include "engine/report/reporter.hpp"

namespace upkeep {

class LogReporter : public Reporter {
public:
    void playbook_start(const std::string& path, bool check) override;
    void play_start(const Play& play, const std::string& name, const std::vector<std::string>& hosts) override;
    void task_start(const Task& task, const std::string& name, bool handler) override;
    void host_result(const Task& task, const std::string& task_name, const HostResult& r) override;
    void warning(const std::string& msg) override;
    void recap(const std::vector<HostStats>& stats, bool check) override;

private:
    std::mutex m_mutex;
    long long m_task_start_ns = 0;  // hosts of a task run in parallel from its start
};

}  // namespace upkeep
