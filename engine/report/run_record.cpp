#include "engine/report/run_record.hpp"

#include <ctime>

#include "engine/report/secret_registry.hpp"

namespace upkeep {

int status_weight(Status s) {
    switch (s) {
        case Status::Unreachable: return 4;
        case Status::Failed: return 3;
        case Status::Changed: return 2;
        case Status::Ok: return 1;
        case Status::Skipped: return 0;
    }
    return 0;
}

void RecordingReporter::playbook_start(const std::string& path, bool check) {
    std::lock_guard<std::mutex> lock(m_mutex);
    m_record.playbook = path;
    m_record.check = check;
    std::time_t now = std::time(nullptr);
    char buf[64];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
    m_record.started = buf;
    m_run_started = Clock::now();
}

void RecordingReporter::play_start(const Play&, const std::string& name, const std::vector<std::string>& hosts) {
    std::lock_guard<std::mutex> lock(m_mutex);
    m_record.plays.push_back({secrets().mask(name), hosts, {}});
}

void RecordingReporter::task_start(const Task&, const std::string& name, bool handler) {
    std::lock_guard<std::mutex> lock(m_mutex);
    if (m_record.plays.empty()) m_record.plays.push_back({"", {}, {}});
    TaskRecord t;
    t.name = secrets().mask(name);
    t.handler = handler;
    m_record.plays.back().tasks.push_back(std::move(t));
    m_task_started = Clock::now();
}

void RecordingReporter::host_result(const Task&, const std::string&, const HostResult& r) {
    std::vector<DiffLine> diff = r.changes.empty() ? std::vector<DiffLine>{} : diff_lines(r);
    std::string msg = r.no_log ? "hidden (no_log)" : secrets().mask(r.msg);
    std::lock_guard<std::mutex> lock(m_mutex);
    if (m_record.plays.empty() || m_record.plays.back().tasks.empty()) return;
    TaskRecord& t = m_record.plays.back().tasks.back();
    auto [it, fresh] = t.hosts.try_emplace(r.host);
    if (fresh) t.host_order.push_back(r.host);
    HostOutcome& o = it->second;
    bool first = fresh;
    if (r.is_item) {
        o.items++;
        if (!diff.empty()) diff.insert(diff.begin(), {DiffLine::Note, "(item=" + secrets().mask(r.item_label) + ")"});
    }
    if (first || status_weight(r.status) > status_weight(o.status)) {
        o.status = r.status;
        o.ignored = r.ignored;
        if (!msg.empty() || first) o.msg = msg;
    }
    o.would_run = o.would_run || r.would_run;
    o.diff.insert(o.diff.end(), diff.begin(), diff.end());
    o.seconds = std::chrono::duration<double>(Clock::now() - m_task_started).count();
}

void RecordingReporter::warning(const std::string& msg) {
    std::lock_guard<std::mutex> lock(m_mutex);
    m_record.warnings.push_back(secrets().mask(msg));
}

void RecordingReporter::recap(const std::vector<HostStats>& stats, bool check) {
    RunRecord record;
    {
        std::lock_guard<std::mutex> lock(m_mutex);
        m_record.stats = stats;
        m_record.check = check;
        m_record.seconds = std::chrono::duration<double>(Clock::now() - m_run_started).count();
        record = m_record;
    }
    finish(record);
}

}  // namespace upkeep
