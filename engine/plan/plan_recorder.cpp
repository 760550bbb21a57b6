#include "engine/plan/plan_recorder.hpp"

#include "engine/playbook/playbook.hpp"
#include "engine/report/diff_groups.hpp"
#include "engine/report/report_file.hpp"
#include "engine/report/secret_registry.hpp"
#include "engine/util/error.hpp"

namespace upkeep {

PlanRecorder::PlanRecorder(std::string path, ReviewedPlan header) : m_path(std::move(path)), m_plan(std::move(header)) {
    check_report_path_writable(m_path, "plan");
}

std::string PlanRecorder::admit_host(const std::string& host, Connection&) {
    std::lock_guard<std::mutex> lock(m_mutex);
    m_plan.hosts.try_emplace(host);
    return "";
}

void PlanRecorder::on_plan(const std::string& host, Connection* host_conn, const Task& task, const std::string& task_name,
                           const Plan& plan) {
    PlannedTask t;
    t.task = task_name;
    for (const auto& c : plan.changes) {
        PlannedChange pc{plan_text(c.target, task.no_log), plan_text(c.summary, task.no_log), bytes_hash(c.before),
                         bytes_hash(c.after), ""};
        HostResult one;  // the diff exactly as --diff shows it, secrets hidden
        one.no_log = task.no_log;
        one.changes = {c};
        pc.diff = join_diff_lines(diff_lines(one));
        t.changes.push_back(std::move(pc));
    }
    // The before-state of every path first touched here, read from the host itself.
    std::map<std::string, PathState> states;
    // Commands (unpredictable) name a command line, not a path; a no_log task names nothing.
    if (host_conn && !plan.unpredictable && !task.no_log) {
        for (const auto& c : plan.changes) {
            if (c.target.empty() || c.target[0] != '/' || c.target.find('\n') != std::string::npos)
                continue;  // not a path: a service, a package, a row
            {
                std::lock_guard<std::mutex> lock(m_mutex);
                if (m_plan.hosts[host].paths.count(c.target)) continue;
            }
            states[c.target] = read_path_state(*host_conn, c.target);
        }
    }
    std::lock_guard<std::mutex> lock(m_mutex);
    HostPlan& hp = m_plan.hosts[host];
    t.n = ++m_seen[host][task_name];
    hp.tasks.push_back(std::move(t));
    for (auto& [p, st] : states) hp.paths.try_emplace(p, std::move(st));
}

void PlanRecorder::play_start(const Play&, const std::string&, const std::vector<std::string>& hosts) {
    std::lock_guard<std::mutex> lock(m_mutex);
    for (const auto& h : hosts) m_plan.hosts.try_emplace(h);
}

void PlanRecorder::host_result(const Task&, const std::string& task_name, const HostResult& r) {
    if (r.status != Status::Unreachable && !(r.status == Status::Failed && !r.ignored)) return;
    std::lock_guard<std::mutex> lock(m_mutex);
    HostPlan& hp = m_plan.hosts[r.host];
    if (hp.status != "ok") return;
    hp.status = status_name(r.status);
    hp.msg = task_name + ": " + (r.no_log ? std::string("hidden (no_log)") : secrets().mask(r.msg));
}

void PlanRecorder::recap(const std::vector<HostStats>&, bool) {
    std::lock_guard<std::mutex> lock(m_mutex);
    try {
        write_report_file(m_path, json_text_valid_utf8(secrets().mask(m_plan.to_value().to_json())) + "\n", "plan");
    } catch (const UserError& e) {
        m_write_error = e.what();
    }
}

}  // namespace upkeep
