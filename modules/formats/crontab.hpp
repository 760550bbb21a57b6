// cron's pure core: ansible.builtin.cron's edit of a crontab (a user's, as
// `crontab -l` prints it, or a file under /etc/cron.d), with Ansible's
// "#Ansible: <name>" marker lines so crontabs written by Ansible stay managed.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace upkeep {

struct CronRequest {
    std::string name;
    std::optional<std::string> job;   // the command (env: the variable's value)
    bool present = true;
    std::optional<std::string> user;  // required with a cron file (its 6th field)
    bool cron_file = false;           // true: a /etc/cron.d-style file (has a user field)
    std::string minute = "*", hour = "*", day = "*", month = "*", weekday = "*";
    std::optional<std::string> special_time;  // reboot, daily... (written as @daily)
    bool disabled = false;                    // the job line is commented out with '#'
    bool env = false;                         // manage NAME="job" instead of a job
    std::optional<std::string> insertafter, insertbefore;  // env only: next to another variable
};

struct CronOutcome {
    bool changed = false;
    std::string content;       // the rendered crontab (what Ansible would write)
    bool remove_file = false;  // a cron file left without lines is deleted
    std::vector<std::string> jobs, envs, warnings;
};

// The crontab as Ansible sees it: for a user's crontab (`crontab -l` output) the
// header lines some crons print among the first three lines are dropped.
std::string crontab_existing(const std::string& raw, bool user_crontab);

// Applies the request to `existing` (crontab_existing's text). Throws TaskError
// with Ansible's message for requests Ansible refuses.
CronOutcome cron_edit(const std::string& existing, const CronRequest& req);

}  // namespace upkeep
