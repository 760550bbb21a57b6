// Read-ahead on a slow link (issue 12), end to end: the upkeep binary against a
// real sshd, file operations through the host's shell (upkeep_ssh_files=shell,
// what a link over 20 ms round trip picks by itself), the run log counting the
// commands that reached the host: each is a round trip across a WAN.
#include <catch2/catch.hpp>

#include <string>

#include "engine/util/strings.hpp"
#include "tests/support/sshd_lab.hpp"
#include "tests/support/test_support.hpp"

using namespace upkeep;
using namespace upkeep::test;

namespace {

// The bench's kind of playbook: each task looks at one path.
constexpr const char* k_playbook = R"(- hosts: all
  gather_facts: false
  vars:
    d: "{{ root }}/{{ inventory_hostname }}"
  tasks:
    - file: path={{ d }}/etc state=directory mode=0755
    - copy:
        dest: "{{ d }}/etc/app.conf"
        content: "port=8080\nhost=localhost\n"
        force: false
    - lineinfile: path={{ d }}/etc/app.conf regexp=^port= line=port=9090
    - lineinfile: path={{ d }}/etc/app.conf line=log=info
    - replace: path={{ d }}/etc/app.conf regexp='^host=.*$' replace='host=db'
    - file: path={{ d }}/etc/app.conf mode=0640
    - copy:
        dest: "{{ lookup('pipe', 'echo rendered >> ' ~ counter ~ '; echo ' ~ d ~ '/etc/token') }}"
        content: "token\n"
        mode: "0600"
    - file: path={{ d }}/log state=directory
    - command: touch {{ d }}/log/initialised
      args:
        creates: "{{ d }}/log/initialised"
)";

}  // namespace

TEST_CASE("ssh read-ahead: a no-change run reads what its tasks look at in two round trips", "[ssh][integration][read-ahead]") {
    TestUser user("upkeep-test", "");
    SshdLab lab(SshdLab::Options{.users = {"upkeep-test"}});
    TempDir dir;
    sh("chmod 755 " + shell_quote(dir.path()));
    std::string root = user.home() + "/read-ahead";
    sh("rm -rf " + shell_quote(root) + " && mkdir -p " + shell_quote(root) + " && chown upkeep-test " + shell_quote(root));
    write_file(dir / "inventory.ini", "h0 ansible_host=" + lab.address(0) + " ansible_port=" + std::to_string(lab.port()) +
                                          " ansible_user=upkeep-test ansible_ssh_private_key_file=" + lab.client_key() +
                                          " upkeep_ssh_files=shell root=" + root + " counter=" + dir / "counter" + "\n");
    write_file(dir / "site.yml", k_playbook);
    auto play = [&](const std::string& flags, const std::string& log) {
        Run r = sh("UPKEEP_LOG=debug " + shell_quote(UPKEEP_BINARY) + " play " + shell_quote(dir / "site.yml") + " -i " +
                   shell_quote(dir / "inventory.ini") + " --known-hosts " + shell_quote(lab.known_hosts()) +
                   " --log-file " + shell_quote(dir / log) + " " + flags + " 2>&1");
        INFO(r.out);
        REQUIRE(r.rc == 0);
        return std::make_pair(recap_count(r.out, "h0", "changed"), count_of(read_file(dir / log), "event=command"));
    };
    auto [changed1, commands1] = play("", "run1.log");
    CHECK(changed1 == 9);
    // Each change is one command (the mkdir of the new directory and its
    // parent two), carrying the next task's probe; a probe of its own only
    // for the first task. Without the read-ahead of parents, next tasks and
    // changed paths every task also paid a probe and each new path's parent
    // one more (over 20 commands).
    INFO("first run: " << commands1 << " commands");
    CHECK(commands1 <= 12);
    std::string d = root + "/h0";
    CHECK(read_file(d + "/etc/app.conf") == "port=9090\nhost=db\nlog=info\n");
    CHECK(read_file(d + "/etc/token") == "token\n");
    CHECK(exists(d + "/log/initialised"));

    auto [changed2, commands2] = play("", "run2.log");
    CHECK(changed2 == 0);
    INFO("no-change run: " << commands2 << " commands");
    // One probe fetches the next eight tasks' paths, one more the ninth's.
    CHECK(commands2 <= 2);
    auto [changed3, commands3] = play("--check --diff", "run3.log");
    CHECK(changed3 == 0);
    CHECK(commands3 <= 2);
    // The lookup in the token task's path ran once per run, in the task: a
    // path with a lookup is never rendered early for the read-ahead.
    CHECK(read_file(dir / "counter") == "rendered\nrendered\nrendered\n");
    sh("rm -rf " + shell_quote(root));
}
