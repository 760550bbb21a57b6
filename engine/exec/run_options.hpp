// What the command line asked of a run.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "engine/exec/shard.hpp"
#include "engine/value/value.hpp"

namespace upkeep {

class PlanGate;

struct RunOptions {
    bool check = false;  // --check: dry run against the planned-state overlay
    bool diff = false;   // --diff
    // --detailed-exitcode: exit 8 (k_exit_changes) when the run found or made
    // changes and nothing failed (a drift check in CI).
    bool detailed_exitcode = false;
    int forks = 20;
    std::string limit;                 // --limit pattern
    Shard shard;                       // --shard I/N: this job's part of the selected hosts
    std::vector<std::string> tags;     // --tags
    std::vector<std::string> skip_tags;  // --skip-tags
    std::string start_at_task;           // --start-at-task: skip tasks until this name
    Value extra_vars = Value(Map{});     // -e, highest precedence
    int verbosity = 0;
    // After a real apply, call check() again and fail the task if the module did
    // not converge (the module contract, engine/module/module.hpp). On in tests; cheap enough to keep on.
    bool verify_convergence = false;
    std::string inventory_dir;  // base for relative sandbox roots
    // Connection defaults from the command line (used by the SSH connection).
    std::string private_key, known_hosts, remote_user, host_key_checking = "strict";
    std::string connection;  // -c: ansible_connection where neither the inventory nor the play sets one
    std::string ssh_password, become_password;
    int timeout_s = 10;
    double lock_timeout_s = 0;  // --lock-timeout: wait this long for a host another run holds
    std::optional<bool> become;
    // --save-plan records through it, `upkeep apply` checks through it (null: neither).
    PlanGate* plan_gate = nullptr;
};

}  // namespace upkeep
