#include "engine/report/reporter.hpp"

namespace upkeep {

const char* status_name(Status s) {
    switch (s) {
        case Status::Ok: return "ok";
        case Status::Changed: return "changed";
        case Status::Failed: return "failed";
        case Status::Skipped: return "skipped";
        case Status::Unreachable: return "unreachable";
    }
    return "?";
}

void FanoutReporter::playbook_start(const std::string& path, bool check) {
    for (auto& r : m_reporters) r->playbook_start(path, check);
}
void FanoutReporter::play_start(const Play& play, const std::string& name, const std::vector<std::string>& hosts) {
    for (auto& r : m_reporters) r->play_start(play, name, hosts);
}
void FanoutReporter::task_start(const Task& task, const std::string& name, bool handler) {
    for (auto& r : m_reporters) r->task_start(task, name, handler);
}
void FanoutReporter::host_result(const Task& task, const std::string& task_name, const HostResult& res) {
    for (auto& r : m_reporters) r->host_result(task, task_name, res);
}
void FanoutReporter::warning(const std::string& msg) {
    for (auto& r : m_reporters) r->warning(msg);
}
void FanoutReporter::recap(const std::vector<HostStats>& stats, bool check) {
    for (auto& r : m_reporters) r->recap(stats, check);
}

}  // namespace upkeep
