// Issue 12.4: 1,000 hosts at -f 1000 failed every host as unreachable when the
// operator's soft limit on open files was the usual 1024 (each SSH host holds a
// socket for the run). upkeep now raises its soft limit to what the forks need,
// within the hard limit, and where the hard limit is too low it runs fewer
// hosts in parallel and says so, instead of failing hosts.
#include <catch2/catch.hpp>

#include <string>

#include "engine/util/strings.hpp"
#include "tests/support/test_support.hpp"

using namespace upkeep::test;
using upkeep::shell_quote;

namespace {

// The "Max open files" soft limit a task's command saw on host h1.
std::string soft_limit_seen(const std::string& out) {
    size_t at = out.find("Max open files");
    if (at == std::string::npos) return "";
    std::string line = out.substr(at, out.find('\n', at) - at);
    size_t digits = line.find_first_of("0123456789");
    return line.substr(digits, line.find(' ', digits) - digits);
}

std::string play_with_limits(const TempDir& dir, const std::string& nofile, const std::string& forks) {
    for (const char* h : {"h1", "h2", "h3"}) write_file(dir / (std::string("roots/") + h + "/.keep"), "");
    write_file(dir / "inventory.ini", "[web]\nh[1:3]\n[all:vars]\nansible_connection=sandbox\nupkeep_sandbox_root=" +
                                          dir / "roots/{{ inventory_hostname }}\n");
    write_file(dir / "site.yml",
               "- hosts: web\n  gather_facts: false\n  tasks:\n"
               "    - command: cat /proc/self/limits\n      register: limits\n      when: inventory_hostname == 'h1'\n"
               "    - debug: var=limits.stdout_lines\n      when: inventory_hostname == 'h1'\n");
    Run r = sh("prlimit --nofile=" + nofile + " " + shell_quote(UPKEEP_BINARY) + " play " + shell_quote(dir / "site.yml") +
               " -i " + shell_quote(dir / "inventory.ini") + " -f " + forks + " 2>&1");
    INFO(r.out);
    REQUIRE(r.rc == 0);
    return r.out;
}

}  // namespace

TEST_CASE("open files: -f 1000 raises the soft limit of 1024 to what the forks need", "[e2e][fd_limit]") {
    TempDir dir;
    std::string out = play_with_limits(dir, "1024:20000", "1000");
    // 64 reserved + 4 per fork; the command inherited the raised limit.
    CHECK(soft_limit_seen(out) == "4064");
    CHECK(out.find("[WARNING]: -f") == std::string::npos);
}

TEST_CASE("open files: a hard limit too low for the forks runs fewer hosts at once and says so", "[e2e][fd_limit]") {
    TempDir dir;
    std::string out = play_with_limits(dir, "100:200", "1000");
    CHECK(soft_limit_seen(out) == "200");
    CHECK(out.find("[WARNING]: -f 1000 needs about 4064 open files, the limit is 200 (ulimit -Hn): running 34 hosts "
                   "in parallel") != std::string::npos);
}

TEST_CASE("open files: a limit that is already enough is left alone", "[e2e][fd_limit]") {
    TempDir dir;
    std::string out = play_with_limits(dir, "8192:20000", "10");
    CHECK(soft_limit_seen(out) == "8192");
}
