// Task- and block-level become over SSH with a real sudo: one play switches
// between the login user, root and another user task by task, on one host, and
// -e ansible_become_user beats the keywords (Ansible's precedence).
#include <catch2/catch.hpp>
#include <sys/stat.h>

#include "tests/support/sshd_lab.hpp"
#include "tests/support/test_support.hpp"

using namespace upkeep;
using namespace upkeep::test;

TEST_CASE("ssh e2e: become per block and task (sudo), inherited, overridden by -e", "[ssh-e2e][become]") {
    const std::string password = "Sud0-bk-pa55";
    const char* user = "upkeep-bk";
    TestUser account(user, password);
    SudoersEntry sudoers("upkeep-bk", std::string("Defaults:") + user + " lecture=never\n" + user + " ALL=(ALL) ALL");
    SshdLab lab(SshdLab::Options{.hosts = 1, .users = {user}});
    TempDir dir;
    ::chmod(dir.path().c_str(), 0755);
    write_file(dir / "inventory.ini", "h ansible_host=" + lab.address(0) + "\n\n[all:vars]\nansible_port=" +
                                          std::to_string(lab.port()) + "\nansible_user=" + user +
                                          "\nansible_ssh_private_key_file=" + lab.client_key() +
                                          "\nansible_become_password=" + password + "\n");
    write_file(dir / "known_hosts", read_file(lab.known_hosts()));
    write_file(dir / "site.yml", R"(
- hosts: all
  gather_facts: false
  tasks:
    - name: plain
      command: id -un
      register: plain
      changed_when: false
      check_mode: false
    - block:
        - name: in block
          command: id -un
          register: in_block
          changed_when: false
          check_mode: false
        - name: own user
          command: id -un
          become_user: nobody
          register: own_user
          changed_when: false
          check_mode: false
        - name: turned off
          command: id -un
          become: false
          register: turned_off
          changed_when: false
          check_mode: false
        - name: root-owned file
          copy:
            dest: "{{ out }}/root.txt"
            content: "by {{ in_block.stdout }}\n"
            mode: "0644"
      become: true
    - name: after
      command: id -un
      register: after
      changed_when: false
      check_mode: false
    - debug:
        msg: "ids {{ plain.stdout }} {{ in_block.stdout }} {{ own_user.stdout }} {{ turned_off.stdout }} {{ after.stdout }}"
)");
    std::string base = "play " + dir / "site.yml" + " -i " + dir / "inventory.ini --known-hosts " + dir / "known_hosts" +
                       " -e out=" + dir.path();
    Run first = upkeep::test::upkeep(base);
    INFO(first.out);
    REQUIRE(first.rc == 0);
    CHECK(first.out.find("ids upkeep-bk root nobody upkeep-bk upkeep-bk") != std::string::npos);
    struct stat st{};
    REQUIRE(::stat((dir / "root.txt").c_str(), &st) == 0);
    CHECK(st.st_uid == 0);
    CHECK(first.out.find(password) == std::string::npos);

    // A dry run runs the probes (check_mode: false) as the same users.
    Run dry = upkeep::test::upkeep(base + " --check");
    INFO(dry.out);
    CHECK(dry.rc == 0);
    CHECK(dry.out.find("ids upkeep-bk root nobody upkeep-bk upkeep-bk") != std::string::npos);

    // -e ansible_become_user beats every become_user keyword; become stays per task.
    ::unlink((dir / "root.txt").c_str());
    ::chmod(dir.path().c_str(), 0777);
    Run e = upkeep::test::upkeep(base + " -e ansible_become_user=nobody");
    INFO(e.out);
    REQUIRE(e.rc == 0);
    CHECK(e.out.find("ids upkeep-bk nobody nobody upkeep-bk upkeep-bk") != std::string::npos);
    REQUIRE(::stat((dir / "root.txt").c_str(), &st) == 0);
    CHECK(st.st_uid != 0);
}
