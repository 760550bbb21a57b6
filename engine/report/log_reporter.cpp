#include "engine/report/log_reporter.hpp"

#include "engine/playbook/playbook.hpp"
#include "engine/report/run_log.hpp"
#include "engine/util/strings.hpp"

namespace upkeep {

namespace {

using runlog::Level;

// A result message is a host's text: shortened, so one chatty command does not
// bury the log (the console and --report-json keep it whole).
std::string shortened(const std::string& s) { return s.size() > 500 ? s.substr(0, 500) + "..." : s; }

}  // namespace

void LogReporter::playbook_start(const std::string& path, bool check) {
    runlog::event(Level::Info, "", "playbook_start", {{"path", path}, {"mode", check ? "check" : "apply"}});
}

void LogReporter::play_start(const Play& play, const std::string& name, const std::vector<std::string>& hosts) {
    runlog::event(Level::Info, "", "play_start", {{"play", name}, {"pattern", play.hosts}, {"hosts", join(hosts, ",")}});
}

void LogReporter::task_start(const Task& task, const std::string& name, bool handler) {
    {
        std::lock_guard<std::mutex> lock(m_mutex);
        m_task_start_ns = runlog::now_ns();
    }
    runlog::event(Level::Debug, "", handler ? "handler_start" : "task_start",
                  {{"task", name}, {"module", task.module_name}, {"at", task.mark.to_string()}});
}

void LogReporter::host_result(const Task& task, const std::string& task_name, const HostResult& r) {
    long long start;
    {
        std::lock_guard<std::mutex> lock(m_mutex);
        start = m_task_start_ns;
    }
    Level lvl = r.status == Status::Failed && !r.ignored ? Level::Error
                : r.status == Status::Unreachable       ? Level::Error
                                                        : Level::Info;
    std::string status = status_name(r.status);
    if (r.ignored) status += "(ignored)";
    if (r.would_run) status += "(would run)";
    if (r.probe_would_change) status += "(probe: would change)";
    // The module's decision: what it changes (targets and summaries, never the bytes).
    std::string changes;
    for (const auto& c : r.changes) changes += (changes.empty() ? "" : "; ") + c.target + ": " + c.summary;
    runlog::event(lvl, r.host, "result",
                  {{"task", task_name}, {"module", task.module_name}, {"item", r.is_item ? r.item_label : ""},
                   {"status", status}, {"changes", r.no_log ? (changes.empty() ? "" : "(no_log)") : changes},
                   {"msg", r.no_log ? "" : shortened(r.msg)}, {"ms", start ? runlog::ms_since(start) : ""}});
}

void LogReporter::warning(const std::string& msg) { runlog::event(Level::Warn, "", "warning", {{"msg", msg}}); }

void LogReporter::recap(const std::vector<HostStats>& stats, bool check) {
    for (const auto& s : stats)
        runlog::event(Level::Info, s.host, "recap",
                      {{"mode", check ? "check" : "apply"}, {"ok", std::to_string(s.ok)}, {"changed", std::to_string(s.changed)},
                       {"unreachable", std::to_string(s.unreachable)}, {"failed", std::to_string(s.failed)},
                       {"skipped", std::to_string(s.skipped)}});
}

}  // namespace upkeep
