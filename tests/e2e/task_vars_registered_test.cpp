// Task `vars:` may refer to registered values (issue 14.9), as in Ansible.
#include <catch2/catch.hpp>

#include "tests/support/test_support.hpp"

using namespace upkeep::test;

TEST_CASE("task vars can refer to a registered variable", "[e2e][hostile]") {
    TempDir dir;
    write_file(dir / "inventory.ini", "h1 ansible_connection=sandbox upkeep_sandbox_root=root\n");
    write_file(dir / "site.yml", R"(
- hosts: all
  gather_facts: false
  tasks:
    - command: echo release-42
      register: build
      changed_when: false
    - copy:
        dest: /out.txt
        content: "{{ version }}\n"
      vars:
        version: "{{ build.stdout }}"
)");
    Run r = upkeep::test::upkeep("play " + dir / "site.yml" + " -i " + dir / "inventory.ini");
    INFO(r.out);
    CHECK(r.rc == 0);
    CHECK(read_file(dir / "root/out.txt") == "release-42\n");
}
