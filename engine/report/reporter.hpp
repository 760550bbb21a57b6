// Run events and the Reporter interface. The executor emits events; reporters
// (console, JSON) turn them into output. Library code never prints.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "engine/module/module.hpp"
#include "engine/value/value.hpp"

namespace upkeep {

struct Play;
struct Task;

enum class Status { Ok, Changed, Failed, Skipped, Unreachable };
const char* status_name(Status s);

struct HostResult {
    std::string host;
    Status status = Status::Ok;
    bool ignored = false;    // failed, but ignore_errors
    bool would_run = false;  // dry run: an unpredictable action that a real run would execute
    bool is_item = false;    // one item of a loop
    // check_mode: true (a probe) that found work: reported ok, registered changed.
    bool probe_would_change = false;
    // Dry run: a planned change that depends on what an earlier step leaves (Plan::depends_on).
    std::string depends_on;
    std::string item_label;
    bool no_log = false;
    bool show_diff = false;
    std::string msg;
    std::vector<Change> changes;  // exact before/after for --diff
    Value result;                 // the registered result (secrets flagged)
};

struct HostStats {
    std::string host;
    int ok = 0, changed = 0, unreachable = 0, failed = 0, skipped = 0, rescued = 0, ignored = 0;
};

class Reporter {
public:
    virtual ~Reporter() = default;
    virtual void playbook_start(const std::string& path, bool check) {}
    virtual void play_start(const Play& play, const std::string& name, const std::vector<std::string>& hosts) {}
    virtual void task_start(const Task& task, const std::string& name, bool handler) {}
    virtual void host_result(const Task& task, const std::string& task_name, const HostResult& r) {}
    virtual void warning(const std::string& msg) {}
    virtual void recap(const std::vector<HostStats>& stats, bool check) {}
};

// Sends every event to several reporters.
class FanoutReporter : public Reporter {
public:
    void add(std::unique_ptr<Reporter> r) { m_reporters.push_back(std::move(r)); }
    void playbook_start(const std::string& path, bool check) override;
    void play_start(const Play& play, const std::string& name, const std::vector<std::string>& hosts) override;
    void task_start(const Task& task, const std::string& name, bool handler) override;
    void host_result(const Task& task, const std::string& task_name, const HostResult& r) override;
    void warning(const std::string& msg) override;
    void recap(const std::vector<HostStats>& stats, bool check) override;

private:
    std::vector<std::unique_ptr<Reporter>> m_reporters;
};

}  // namespace upkeep
