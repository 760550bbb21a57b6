// Connection variables given in a play's `vars:` or with -e (issue 7.13) take
// effect with Ansible's precedence (inventory < play vars < -e), against a
// real sshd: the inventory below cannot reach the host on its own.
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include "tests/support/sshd_lab.hpp"
#include "tests/support/test_support.hpp"

using namespace upkeep;
using namespace upkeep::test;

TEST_CASE("ssh e2e: ansible_user in play vars and ansible_port with -e override the inventory",
          "[ssh-e2e][hostile]") {
    SshdLab lab;
    TempDir d;
    ::chmod(d.path().c_str(), 0755);
    std::string inv = d / "inventory.ini";
    // Wrong port and a user the host does not let in: only the play's and the
    // command line's variables make the connection work.
    write_file(inv, "h0 ansible_host=" + lab.address(0) + " ansible_port=2999 ansible_user=nobody " +
                        "ansible_ssh_private_key_file=" + lab.client_key() + "\n");
    write_file(d / "site.yml", "- hosts: all\n  gather_facts: false\n  vars:\n    ansible_user: root\n  tasks:\n"
                               "    - command: touch " + d / "made" + "\n");
    std::string args = "play " + shell_quote(d / "site.yml") + " -i " + shell_quote(inv) + " --known-hosts " +
                       shell_quote(lab.known_hosts());
    Run without = upkeep::test::upkeep(args);
    INFO(without.out);
    CHECK(without.rc == 4);  // port 2999: nothing listens

    Run with = upkeep::test::upkeep(args + " -e ansible_port=2222");
    INFO(with.out);
    CHECK(with.rc == 0);
    struct stat st {};
    REQUIRE(::stat((d / "made").c_str(), &st) == 0);
    CHECK(st.st_uid == 0);  // as root, the play's ansible_user, not the inventory's "nobody"

    // -e beats play vars too: a user the host refuses makes the host unreachable.
    Run refused = upkeep::test::upkeep(args + " -e ansible_port=2222 -e ansible_user=nobody");
    INFO(refused.out);
    CHECK(refused.rc == 4);
    CHECK_THAT(refused.out, Catch::Contains("nobody@"));
}
