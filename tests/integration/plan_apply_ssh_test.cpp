// Reviewed plans over SSH (real OpenSSH daemons on loopback, tests/support/
// sshd_lab): the dry run records the plan, someone edits one host's file after
// the review, `upkeep apply` refuses that host naming file and host and applies
// exactly the reviewed changes to the others.
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include "engine/util/strings.hpp"
#include "tests/support/sshd_lab.hpp"
#include "tests/support/test_support.hpp"

using namespace upkeep;
using namespace upkeep::test;

namespace {
// An unprivileged login with /bin/sh (root's ~/.bashrc here runs pyenv on every command).
constexpr const char* k_user = "upkeep-plan";
}  // namespace

TEST_CASE("ssh: apply refuses the host edited after the review, the others get exactly the plan", "[plan][ssh-plan]") {
    TestUser user(k_user);
    SshdLab lab(SshdLab::Options{.hosts = 3, .users = {k_user}});
    TempDir dir;
    ::chmod(dir.path().c_str(), 0755);
    std::string inv = "[fleet]\n";
    for (int i = 0; i < lab.size(); ++i) inv += "h" + std::to_string(i) + " ansible_host=" + lab.address(i) + "\n";
    inv += "\n[fleet:vars]\nansible_port=" + std::to_string(lab.port()) + "\nansible_user=" + k_user +
           "\nansible_ssh_private_key_file=" + lab.client_key() + "\n";
    write_file(dir / "inventory.ini", inv);
    TempDir data;
    ::chmod(data.path().c_str(), 0755);
    for (int i = 0; i < lab.size(); ++i) write_file(data / ("h" + std::to_string(i) + "/app.conf"), "port=8080\n");
    must("chown -R " + std::string(k_user) + " " + shell_quote(data.path()));
    write_file(dir / "site.yml", R"(
- hosts: fleet
  gather_facts: false
  tasks:
    - name: listen on 9090
      lineinfile: path={{ root }}/{{ inventory_hostname }}/app.conf regexp=^port= line=port=9090
    - name: log level
      lineinfile: path={{ root }}/{{ inventory_hostname }}/app.conf line=log=info
)");
    std::string common = " --known-hosts " + shell_quote(lab.known_hosts()) + " -T 5 -e root=" + data.path();
    std::string plan = dir / "plan.json";
    Run dry = test::upkeep("play " + dir / "site.yml" + " -i " + dir / "inventory.ini --check --save-plan " + plan + common);
    INFO(dry.out);
    REQUIRE(dry.rc == 0);
    for (int i = 0; i < lab.size(); ++i) CHECK(read_file(data / ("h" + std::to_string(i) + "/app.conf")) == "port=8080\n");

    // After the review, someone edits h1 by hand.
    write_file(data / "h1/app.conf", "port=8081\n");
    Run r = test::upkeep("apply " + plan + common);
    INFO(r.out);
    CHECK(r.rc == 2);
    CHECK(r.out.find("fatal: [h1]: FAILED! => refused: " + data / "h1/app.conf" + " on h1 is no longer as reviewed in " +
                     plan + " (its content changed)") != std::string::npos);
    CHECK(read_file(data / "h1/app.conf") == "port=8081\n");
    for (const char* h : {"h0", "h2"}) CHECK(read_file(data / (std::string(h) + "/app.conf")) == "port=9090\nlog=info\n");
    CHECK(r.out.find("reviewed change not carried out") == std::string::npos);
}
