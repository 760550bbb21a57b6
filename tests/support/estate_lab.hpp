// The lab every estate test stands on (seed_estate_test, seed_rename_estate_test,
// ovirt_estate_test): sshd hosts in copy-on-write roots (sshd_lab, own_root), one
// reused login per host for the test's many small reads and checks, fresh logins
// for set-up jobs run at the same time (package installs), the hosts posing as
// CentOS (dnf) or Debian/Ubuntu (apt) from local repositories, `upkeep play
// playbooks/site.yml` on an inventory, and the readers of a run's recap and
// --report-json.
#pragma once

#include <catch2/catch.hpp>

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "engine/connection/ssh_connection.hpp"
#include "tests/support/sshd_lab.hpp"
#include "tests/support/test_support.hpp"

namespace upkeep::test {

class EstateLab {
public:
    // `services`: SysV services stopped on every host when the lab goes (their
    // daemons are real processes in the shared PID namespace).
    EstateLab(int hosts, std::vector<std::string> services);
    ~EstateLab();
    EstateLab(const EstateLab&) = delete;
    EstateLab& operator=(const EstateLab&) = delete;

    SshdLab& sshd() { return m_lab; }
    const std::string& address(int host) const { return m_lab.address(host); }
    const TempDir& dir() const { return m_dir; }

    // Commands and files on a host through its one reused login.
    std::string run(int host, const std::string& line);  // REQUIREs rc 0, returns stdout
    CommandResult try_run(int host, const std::string& line);
    void put(int host, const std::string& path, const std::string& content);
    std::string get(int host, const std::string& path);  // "<missing>" when absent
    // On a login of its own: safe from other threads (set-up jobs run at once).
    CommandResult run_fresh(int host, const std::string& line);
    // After a host's sshd and sessions died (a reboot): the next call logs in again.
    void forget_login(int host);

    std::string rpm_version(int host, const std::string& pkg);  // %{VERSION}
    std::string deb_version(int host, const std::string& pkg);  // "VERSION ii"

    // A CentOS 7 host: its os-release, dnf's $releasever and, when `repo_url` is
    // given, cloudstack.repo ([apache-cloudstack]) pointing at it.
    void pose_as_centos(int host, const std::string& repo_url = "");

    // "all:\n  vars:\n" with how upkeep logs in; the test appends the rest.
    std::string inventory_head() const;
    void write_inventory(const std::string& yaml);
    // upkeep play playbooks/site.yml on that inventory.
    Run play(const std::string& flags = "");

private:
    SshConnection& conn(int host);

    TempDir m_dir;
    SshdLab m_lab;
    std::vector<std::string> m_services;
    std::mutex m_conns_mutex;
    std::map<int, std::unique_ptr<SshConnection>> m_conns;
};

// Set-up command lines: a host's package installs from the test's repositories only
// (root's login kept quiet; the Debian root's own package database and repo files
// out of the way).
std::string dnf_install_line(const std::string& packages);
std::string apt_install_line(const std::string& apt_line, const std::string& packages);

// A SysV init script for a daemon that is a real process: `exe` (a copy of sleep
// under the daemon's name) started detached, its pid in /var/run/NAME.pid;
// `on_start` runs before the daemon starts (e.g. writes a log line).
std::string init_script(const std::string& name, const std::string& exe, const std::string& on_start = "");

// A run's recap field for a host (-1 when absent).
int recap(const std::string& out, const std::string& host, const std::string& field);
// Every (host, task) a run's --report-json marks changed, as "host | task".
std::set<std::string> changed_pairs(const std::string& report_path);
// The (host, task) pairs a dry run's --report-json plans as depending on an earlier
// step (Plan::depends_on), with that step: "host | task" -> "the install of ...".
std::map<std::string, std::string> depends_on_pairs(const std::string& report_path);
// The pairs in `a` and not in `b`, one a line (the failure message of a set comparison).
std::string missing_from(const std::set<std::string>& a, const std::set<std::string>& b);

// Converged: a dry run and then a real run of site.yml report 0 changes on each of
// `hosts` (and succeed).
void check_converged(EstateLab& estate, const std::vector<std::string>& hosts);

// Runs independent set-up jobs (one host's package installs each) at the same time
// and returns their results in order. The jobs must not use Catch2's assertions (not
// thread-safe) nor share a login: check the results with require_all().
std::vector<CommandResult> concurrently(const std::vector<std::function<CommandResult()>>& jobs);
void require_all(const std::vector<CommandResult>& results);

}  // namespace upkeep::test
