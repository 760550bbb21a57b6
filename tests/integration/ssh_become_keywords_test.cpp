// Task- and block-level become over SSH with a real sudo: one play switches
// between the login user, root and another user task by task, on one host, and
// -e ansible_become_user beats the keywords (Ansible's precedence).
#include <catch2/catch.hpp>
#include <sys/stat.h>

#include "tests/support/sshd_lab.hpp"
#include "tests/support/test_support.hpp"

using namespace upkeep;
using namespace upkeep::test;

namespace {

// One SSH host whose login user may sudo with a password, and a playbook directory
// (0755, so that user can read it) with the inventory and known_hosts to reach it.
struct SudoLab {
    SudoLab(const char* user, const std::string& password)
        : account(user, password),
          sudoers(user, std::string("Defaults:") + user + " lecture=never\n" + user + " ALL=(ALL) ALL"),
          lab(SshdLab::Options{.hosts = 1, .users = {user}}) {
        ::chmod(dir.path().c_str(), 0755);
        write_file(dir / "inventory.ini", "h ansible_host=" + lab.address(0) + "\n\n[all:vars]\nansible_port=" +
                                              std::to_string(lab.port()) + "\nansible_user=" + user +
                                              "\nansible_ssh_private_key_file=" + lab.client_key() +
                                              "\nansible_become_password=" + password + "\n");
        write_file(dir / "known_hosts", read_file(lab.known_hosts()));
    }
    // `upkeep play` of the directory's site.yml, with out= the directory.
    std::string play_command() const {
        return "play " + dir / "site.yml" + " -i " + dir / "inventory.ini --known-hosts " + dir / "known_hosts" +
               " -e out=" + dir.path();
    }

    TestUser account;
    SudoersEntry sudoers;
    SshdLab lab;
    TempDir dir;
};

}  // namespace

TEST_CASE("ssh e2e: become per block and task (sudo), inherited, overridden by -e", "[ssh-e2e][become]") {
    const std::string password = "Sud0-bk-pa55";
    SudoLab sudo("upkeep-bk", password);
    TempDir& dir = sudo.dir;
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
    std::string base = sudo.play_command();
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

// become on a play's roles: entry, as Ansible applies it: the role's tasks, its
// meta dependencies and its handlers run as the entry's user; a task in the role
// that says otherwise wins; the next role runs as the play says (the login user).
TEST_CASE("ssh e2e: become on a roles entry reaches tasks, dependencies and handlers (sudo)", "[ssh-e2e][become][roles]") {
    const std::string password = "Sud0-rl-pa55";
    SudoLab sudo("upkeep-rl", password);
    TempDir& dir = sudo.dir;
    write_file(dir / "roles/app/meta/main.yml", "dependencies:\n  - base\n");
    write_file(dir / "roles/base/tasks/main.yml", "- name: base\n  command: id -un\n  register: base\n  changed_when: false\n"
                                                  "  check_mode: false\n");
    write_file(dir / "roles/app/tasks/main.yml", R"(
- name: app
  command: id -un
  register: app
  changed_when: false
  check_mode: false
- name: app as login user
  command: id -un
  become: false
  register: app_off
  changed_when: false
  check_mode: false
- name: root-owned file
  copy:
    dest: "{{ out }}/root.txt"
    content: "by {{ app.stdout }}\n"
    mode: "0644"
  notify: record who
)");
    write_file(dir / "roles/app/handlers/main.yml", "- name: record who\n  shell: id -un > {{ out }}/handler.txt\n");
    write_file(dir / "roles/plain/tasks/main.yml", "- name: plain\n  command: id -un\n  register: plain\n"
                                                   "  changed_when: false\n  check_mode: false\n");
    write_file(dir / "site.yml", R"(
- hosts: all
  gather_facts: false
  roles:
    - {role: app, become: true}
    - plain
  tasks:
    - debug:
        msg: "ids {{ base.stdout }} {{ app.stdout }} {{ app_off.stdout }} {{ plain.stdout }}"
)");
    std::string base = sudo.play_command();
    // The dry run plans the root-owned file with the role's user (no sudo refusal).
    Run dry = upkeep::test::upkeep(base + " --check");
    INFO(dry.out);
    CHECK(dry.rc == 0);
    CHECK(dry.out.find("ids root root upkeep-rl upkeep-rl") != std::string::npos);
    CHECK_FALSE(exists(dir / "root.txt"));

    Run first = upkeep::test::upkeep(base);
    INFO(first.out);
    REQUIRE(first.rc == 0);
    CHECK(first.out.find("ids root root upkeep-rl upkeep-rl") != std::string::npos);
    struct stat st{};
    REQUIRE(::stat((dir / "root.txt").c_str(), &st) == 0);
    CHECK(st.st_uid == 0);
    CHECK(read_file(dir / "root.txt") == "by root\n");
    REQUIRE(exists(dir / "handler.txt"));
    CHECK(read_file(dir / "handler.txt") == "root\n");
    REQUIRE(::stat((dir / "handler.txt").c_str(), &st) == 0);
    CHECK(st.st_uid == 0);
    CHECK(first.out.find(password) == std::string::npos);

    Run second = upkeep::test::upkeep(base);
    INFO(second.out);
    CHECK(second.rc == 0);
    CHECK(second.out.find("changed=0") != std::string::npos);
}
