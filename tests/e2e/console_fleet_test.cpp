// Console output for fleets: identical diffs grouped across hosts (on a terminal
// and off it), --color / NO_COLOR, and the live progress line only on a terminal
// (the terminal is a real pty from util-linux's `script`).
#include <catch2/catch.hpp>

#include <regex>

#include "tests/e2e/audit_estate.hpp"

using namespace upkeep;
using namespace upkeep::test;

namespace {

const std::vector<std::string> k_fleet = {"kvm01", "kvm02", "kvm03", "kvm04", "kvm05", "mgmt01"};

struct Fleet : AuditEstate {
    Fleet() : AuditEstate(k_fleet) {
        for (const auto& h : k_fleet) write_file(root(h) + "/etc/x.conf", "a=1\n");
        write_file(root("kvm04") + "/etc/x.conf", "a=2\n");  // the odd one out
        playbook(R"(
- hosts: fleet
  tasks:
    - name: set b
      lineinfile: path=/etc/x.conf line=b=1
    - name: slow step
      command: sleep 1.3
      changed_when: false
)");
    }
    std::string cmd(const std::string& flags) {
        return std::string(UPKEEP_BINARY) + " play " + dir / "site.yml" + " -i " + dir / "inventory.ini " + flags;
    }
    // Runs upkeep on a pseudo-terminal (script -q: no banner; -e: its exit status).
    Run on_terminal(const std::string& flags, const std::string& env = "") {
        return sh(env + " script -qfec '" + cmd(flags) + "' /dev/null");
    }
};

}  // namespace

TEST_CASE("console diff off a terminal: one copy of each distinct change, no color, no progress line", "[audit][console]") {
    Fleet f;
    Run r = sh("NO_COLOR= " + f.cmd("--check --diff") + " 2>&1 | cat");
    INFO(r.out);
    CHECK(r.rc == 0);
    CHECK(count_of(r.out, "=== same change on kvm01\u2026kvm03, kvm05, mgmt01 (5 hosts):") == 1);
    CHECK(count_of(r.out, "=== diff on kvm04:") == 1);
    CHECK(count_of(r.out, "+b=1") == 2);  // not six
    CHECK(count_of(r.out, " a=1\n") == 1);
    CHECK(count_of(r.out, " a=2\n") == 1);
    // The grouped diff follows the task's status lines.
    CHECK(r.out.find("changed: [kvm04]") < r.out.find("=== same change"));
    CHECK(r.out.find("\033[") == std::string::npos);
    CHECK(r.out.find('\r') == std::string::npos);
    CHECK(r.out.find("hosts done") == std::string::npos);
}

TEST_CASE("console color: always colors a pipe, never and NO_COLOR keep a terminal plain", "[audit][console]") {
    Fleet f;
    Run always = sh(f.cmd("--check --diff --color=always") + " | cat");
    CHECK(always.out.find("\033[0;32m+b=1\033[0m") != std::string::npos);
    Run forced = sh("NO_COLOR=1 " + f.cmd("--check --color=always") + " | cat");
    CHECK(forced.out.find("\033[0;33mchanged: [kvm01]") != std::string::npos);  // the flag wins over NO_COLOR

    Run tty = f.on_terminal("--check --diff --tags never-matches");
    INFO(tty.out);
    CHECK(tty.out.find("\033[0;32m") != std::string::npos);  // auto on a terminal: colored

    Run no_color = f.on_terminal("--check --diff", "NO_COLOR=1");
    INFO(no_color.out);
    CHECK(no_color.out.find("\033[0;3") == std::string::npos);
    CHECK(no_color.out.find("\033[1m") == std::string::npos);
    CHECK(no_color.out.find("hosts done") != std::string::npos);  // NO_COLOR is about color only

    Run never = f.on_terminal("--check --color=never");
    CHECK(never.out.find("\033[0;3") == std::string::npos);

    Run bad = sh(f.cmd("--check --color=sometimes"));
    CHECK(bad.rc != 0);
}

TEST_CASE("on a terminal: a live progress line with hosts done, running, failed, task and slowest host", "[audit][console]") {
    Fleet f;
    Run r = f.on_terminal("--diff");  // a real run: the hosts really sleep
    INFO(r.out);
    CHECK(r.rc == 0);
    CHECK(r.out.find("[0/6 hosts done | 6 running | 0 failed] TASK set b") != std::string::npos);
    CHECK(r.out.find("TASK slow step | slowest ") != std::string::npos);
    // Redrawn while the hosts sleep (the ticker), not only when a result arrives.
    CHECK(std::regex_search(r.out, std::regex(R"(\[0/6 hosts done \| 6 running \| 0 failed\] TASK slow step \| slowest (kvm0\d|mgmt01) \(1s\))")));
    // Each redraw erases the line first; the recap is the last thing, without a progress line after it.
    CHECK(r.out.find("\r\033[K") != std::string::npos);
    std::string tail = r.out.substr(r.out.rfind("PLAY RECAP"));
    CHECK(tail.find("hosts done") == std::string::npos);
    // Diffs are grouped on a terminal as well.
    CHECK(count_of(r.out, "same change on kvm01\u2026kvm03, kvm05, mgmt01 (5 hosts)") == 1);
}
