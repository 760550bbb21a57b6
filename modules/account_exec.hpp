// Running the account commands planned by account_plan (user, group modules):
// on a sandbox host with `--prefix ROOT`, so the sandbox's own /etc files change
// and never this machine's.
#pragma once

#include "engine/module/module.hpp"
#include "modules/formats/account_plan.hpp"

namespace upkeep {

// The host's /etc/passwd, /etc/shadow (empty when unreadable) and /etc/group.
AccountDb read_account_db(Connection& conn);

// Runs every planned command (and `chpasswd -e` with the hash on stdin for
// `user_for_password`). Throws TaskError with the tool's message on failure.
void run_account_commands(Connection& conn, const AccountCommands& cmds, const std::string& user_for_password);

}  // namespace upkeep
