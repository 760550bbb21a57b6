#include "engine/plan/plan_enforcer.hpp"

#include <algorithm>

#include "engine/playbook/playbook.hpp"
#include "engine/util/error.hpp"

namespace upkeep {

std::string PlanEnforcer::admit_host(const std::string& host, Connection& conn) {
    auto it = m_plan.hosts.find(host);
    if (it == m_plan.hosts.end()) return "refused: " + host + " is not in the reviewed plan " + m_path;
    const HostPlan& hp = it->second;
    if (hp.status != "ok")
        return "refused: the reviewed dry run ended " + hp.status + " on " + host + " (" + hp.msg +
               "), so " + m_path + " holds no complete plan for it";
    for (const auto& [path, planned] : hp.paths) {
        std::string diff = describe_difference(planned, read_path_state(conn, path));
        if (!diff.empty())
            return "refused: " + path + " on " + host + " is no longer as reviewed in " + m_path + " (" + diff +
                   "): make and review a new plan";
    }
    std::lock_guard<std::mutex> lock(m_mutex);
    m_admitted.insert(host);
    return "";
}

void PlanEnforcer::on_plan(const std::string& host, Connection*, const Task& task, const std::string& task_name,
                           const Plan& plan) {
    int n;
    {
        std::lock_guard<std::mutex> lock(m_mutex);
        n = ++m_seen[host][task_name];
    }
    const HostPlan& hp = m_plan.hosts.at(host);  // admitted hosts only reach here
    auto t = std::find_if(hp.tasks.begin(), hp.tasks.end(),
                          [&](const PlannedTask& x) { return x.task == task_name && x.n == n; });
    const Change& first = plan.changes.front();
    if (t == hp.tasks.end())
        throw TaskError("refused: " + first.target + " on " + host + ": this change (" + first.summary +
                        ") is not in the reviewed plan " + m_path);
    for (size_t i = 0; i < plan.changes.size(); ++i) {
        const Change& c = plan.changes[i];
        if (i >= t->changes.size())
            throw TaskError("refused: " + c.target + " on " + host + ": this change (" + c.summary +
                            ") is not in the reviewed plan " + m_path);
        const PlannedChange& r = t->changes[i];
        if (r.target != plan_text(c.target, task.no_log) || r.summary != plan_text(c.summary, task.no_log) ||
            r.before != bytes_hash(c.before) ||
            r.after != bytes_hash(c.after))
            throw TaskError("refused: " + c.target + " on " + host + " would change differently from the reviewed plan " +
                            m_path + " (reviewed: " + r.summary + " of " + r.target + "; now: " + c.summary + ")");
    }
    if (t->changes.size() > plan.changes.size())
        throw TaskError("refused: " + t->changes.back().target + " on " + host +
                        ": the reviewed change is no longer planned (" + m_path + ")");
    std::lock_guard<std::mutex> lock(m_mutex);
    m_applied.insert({host, {task_name, n}});
}

std::vector<std::string> PlanEnforcer::not_applied() const {
    std::lock_guard<std::mutex> lock(m_mutex);
    std::vector<std::string> out;
    for (const auto& [host, hp] : m_plan.hosts) {
        if (!m_admitted.count(host)) continue;
        for (const auto& t : hp.tasks)
            if (!m_applied.count({host, {t.task, t.n}}))
                out.push_back(host + ": task '" + t.task + "'" + (t.n > 1 ? " (#" + std::to_string(t.n) + ")" : ""));
    }
    return out;
}

}  // namespace upkeep
