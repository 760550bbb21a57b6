// PlanGate: how a reviewed plan (engine/plan/) takes part in a run without the
// executor knowing plan files. `play --check --save-plan` records through it;
// `upkeep apply` admits or refuses each host and each change through it.
#pragma once

#include <string>

#include "engine/connection/connection.hpp"
#include "engine/module/module.hpp"

namespace upkeep {

struct Task;

class PlanGate {
public:
    virtual ~PlanGate() = default;
    // Once per host, connected and holding the run lock, before its first task:
    // "" to go on, else why the host is refused (it then fails, the others go on).
    virtual std::string admit_host(const std::string& host, Connection& conn) = 0;
    // Every module plan with changes that a real run carries out (in --check: would
    // carry out), before apply(). `host_conn` is the host's real connection, null
    // for a delegated task. Throws TaskError to refuse the change (the task fails).
    virtual void on_plan(const std::string& host, Connection* host_conn, const Task& task, const std::string& task_name,
                         const Plan& plan) = 0;
};

}  // namespace upkeep
