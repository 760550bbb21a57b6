// PlanEnforcer (`upkeep apply plan.json`): the PlanGate of a real run that may
// only carry out what was reviewed. A host is refused before its first task when
// a path the plan touches is no longer in its reviewed before-state (someone
// changed it after the review), when it is not in the plan, or when the dry run
// failed there; a change the plan does not hold exactly (same target, summary,
// before and after bytes) fails its task. A refused host never stops the others.
#pragma once

#include <map>
#include <mutex>
#include <set>

#include "engine/exec/plan_gate.hpp"
#include "engine/plan/reviewed_plan.hpp"

namespace upkeep {

class PlanEnforcer : public PlanGate {
public:
    PlanEnforcer(ReviewedPlan plan, std::string plan_path) : m_plan(std::move(plan)), m_path(std::move(plan_path)) {}

    std::string admit_host(const std::string& host, Connection& conn) override;
    void on_plan(const std::string& host, Connection* host_conn, const Task& task, const std::string& task_name,
                 const Plan& plan) override;

    // Reviewed changes the run did not carry out ("kvm02: task 'x' (1st)") on hosts it admitted.
    std::vector<std::string> not_applied() const;

private:
    ReviewedPlan m_plan;
    std::string m_path;
    mutable std::mutex m_mutex;
    std::map<std::string, std::map<std::string, int>> m_seen;  // host -> task name -> changing plans
    std::set<std::string> m_admitted;
    std::set<std::pair<std::string, std::pair<std::string, int>>> m_applied;
};

}  // namespace upkeep
