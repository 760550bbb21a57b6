// A reviewed plan (`upkeep play --check --save-plan plan.json`, then
// `upkeep apply plan.json`): per host, every change the dry run planned, task by
// task (target, summary, SHA-256 of the exact before and after bytes, the masked
// diff for the reviewer) and the before-state of every path those changes touch.
// The file holds hashes, never file contents: secrets stay out of it.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "engine/plan/path_state.hpp"
#include "engine/util/shared_text.hpp"
#include "engine/value/value.hpp"

namespace upkeep {

struct PlannedChange {
    std::string target, summary;
    std::string before, after;  // "sha256:<hex>", "" when the module gave no bytes
    std::string diff;           // for the reviewer, secrets masked (not compared)
};

struct PlannedTask {
    std::string task;  // the task's name as displayed
    int n = 1;         // the n-th changing plan of that task name on the host
    std::vector<PlannedChange> changes;
};

struct HostPlan {
    std::string status = "ok";  // the dry run's outcome: ok, failed, unreachable
    std::string msg;
    std::map<std::string, PathState> paths;  // before-state of every path touched
    std::vector<PlannedTask> tasks;
};

struct ReviewedPlan {
    std::string created;  // UTC
    std::string playbook;  // absolute
    std::string playbook_sha256;
    std::vector<std::string> inventories;  // absolute
    std::string limit, shard;
    std::vector<std::string> tags, skip_tags;
    std::map<std::string, HostPlan> hosts;

    Value to_value() const;
    // Throws UserError naming the file when it is not a plan.
    static ReviewedPlan load(const std::string& path);
};

// "sha256:<hex>" of the bytes, "" without bytes.
std::string bytes_hash(const SharedText& bytes);

// A change's target or summary as the plan keeps it: as is, or for a no_log task
// only a hash ("hidden (no_log) sha256:..."), still comparable at apply time.
std::string plan_text(const std::string& text, bool no_log);

}  // namespace upkeep
