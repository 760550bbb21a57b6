// PlanRecorder (`upkeep play --check --save-plan FILE`): records, through the
// executor's PlanGate, every change the dry run plans per host and task, and the
// before-state of each path those changes touch (read from the host itself, not
// from the dry-run overlay); as a Reporter it notes hosts the dry run could not
// plan (failed, unreachable) and writes the plan atomically at the end.
#pragma once

#include <map>
#include <mutex>

#include "engine/exec/plan_gate.hpp"
#include "engine/plan/reviewed_plan.hpp"
#include "engine/report/reporter.hpp"

namespace upkeep {

class PlanRecorder : public PlanGate, public Reporter {
public:
    // `header` carries the playbook, inventories and selection; checked writable now.
    PlanRecorder(std::string path, ReviewedPlan header);
    const std::string& write_error() const { return m_write_error; }

    std::string admit_host(const std::string& host, Connection& conn) override;
    void on_plan(const std::string& host, Connection* host_conn, const Task& task, const std::string& task_name,
                 const Plan& plan) override;

    void play_start(const Play& play, const std::string& name, const std::vector<std::string>& hosts) override;
    void host_result(const Task& task, const std::string& task_name, const HostResult& r) override;
    void recap(const std::vector<HostStats>& stats, bool check) override;

private:
    std::string m_path;
    std::string m_write_error;
    std::mutex m_mutex;
    ReviewedPlan m_plan;
    std::map<std::string, std::map<std::string, int>> m_seen;  // host -> task name -> changing plans
};

}  // namespace upkeep
