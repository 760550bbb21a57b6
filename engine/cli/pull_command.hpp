// `upkeep pull --url REPO [--checkout REF] [--directory DIR] [--only-if-changed]
// PLAYBOOK`: GitOps pull mode. Fetches a Git repository with the git command
// (argv, no shell; credentials come from git's own helpers or SSH keys, never the
// command line), checks out REF and runs PLAYBOOK from it against this host, with
// the reports and exit codes of `upkeep play`. A failed fetch leaves the last
// good checkout as it is and fails (exit 1); --only-if-changed does nothing when
// REF still points at the commit last applied successfully.
#pragma once

#include <functional>
#include <string>

namespace upkeep {

struct PullArgs {
    std::string url;
    std::string checkout = "HEAD";  // a branch, tag or commit of the remote
    std::string directory = "/var/lib/upkeep/pull";
    bool only_if_changed = false;
    std::string playbook;  // relative to the checkout
};

// Runs the pull; `run_play(playbook_path)` runs the playbook and returns its exit
// status. The commit is recorded as applied only when that status is 0 or 8.
int run_pull_command(const PullArgs& args, const std::function<int(const std::string& playbook)>& run_play);

}  // namespace upkeep
