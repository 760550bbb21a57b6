// JsonReporter: a machine-readable record of the run (--report-json FILE), one
// entry per host and task with status, message and the exact diff of each
// change. In a dry run this is the drift report an auditor asks for. Secrets
// are masked as in the console.
#pragma once

#include <mutex>
#include <string>

#include "engine/report/reporter.hpp"

namespace upkeep {

class JsonReporter : public Reporter {
public:
    // Throws UserError when the report could not be written there (checked first,
    // so a run whose audit record would be lost does not start).
    explicit JsonReporter(std::string path);
    void playbook_start(const std::string& path, bool check) override;
    void play_start(const Play& play, const std::string& name, const std::vector<std::string>& hosts) override;
    void task_start(const Task& task, const std::string& name, bool handler) override;
    void host_result(const Task& task, const std::string& task_name, const HostResult& r) override;
    void warning(const std::string& msg) override;
    void recap(const std::vector<HostStats>& stats, bool check) override;

    // Why the report could not be written at the end of the run ("" when it was):
    // the caller turns this into a failed run.
    const std::string& write_error() const { return m_write_error; }

private:
    std::string m_path;
    std::string m_write_error;
    std::mutex m_mutex;
    Value m_doc = Value(Map{});
    List m_plays;
    List m_tasks;  // of the current play
    Value m_task;  // the current task
    List m_warnings;
    void close_task();
    void close_play();
    Value m_play;
};

}  // namespace upkeep
