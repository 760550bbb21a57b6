// End to end through the upkeep binary on sandbox hosts: get_url, unarchive,
// find, slurp, fetch and wait_for in one playbook: --check --diff predicts
// without writing, the real run converges, the second run changes nothing,
// and registered results feed later tasks as in Ansible.
#include <catch2/catch.hpp>

#include <regex>

#include "tests/support/http_lab.hpp"
#include "tests/support/test_support.hpp"

using namespace upkeep::test;

TEST_CASE("host data and download modules in a playbook: dry run, apply, converged", "[e2e][get_url][unarchive][find]") {
    TempDir dir, www;
    write_file(www / "app.conf", "port=8080\n");
    must("mkdir -p " + (www / "src/app") + " && echo one > " + (www / "src/app/one.txt") + " && cd " + (www / "src") +
         " && tar -czf " + (www / "app.tgz") + " app");
    HttpLab lab("127.0.77.6", www.path());
    write_file(dir / "inventory.ini", "[web]\nh1\n\n[all:vars]\nansible_connection=sandbox\nupkeep_sandbox_root=roots/{{ inventory_hostname }}\n");
    must("mkdir -p " + (dir / "roots/h1/opt") + " " + (dir / "roots/h1/etc/app"));
    write_file(dir / "site.yml", R"(
- hosts: web
  tasks:
    - get_url:
        url: )" + lab.base() + R"(/files/app.conf
        dest: /etc/app/app.conf
        mode: '0640'
    - unarchive:
        src: )" + lab.base() + R"(/files/app.tgz
        dest: /opt
        remote_src: true
    - find:
        paths: /etc/app
        patterns: '*.conf'
      register: confs
    - slurp:
        src: /etc/app/app.conf
      register: conf
      when: confs.matched > 0
    - fetch:
        src: /etc/app/app.conf
        dest: fetched
      when: confs.matched > 0
    - wait_for:
        path: /etc/app/app.conf
        search_regex: 'port=(\d+)'
        timeout: 2
      register: waited
      when: confs.matched > 0
    - copy:
        dest: /etc/app/summary
        content: "{{ confs.files | map(attribute='path') | list }} {{ conf.content | b64decode | trim }} {{ waited.match_groups[0] }}\n"
      when: confs.matched > 0
)");
    std::string cmd = "play " + (dir / "site.yml") + " -i " + (dir / "inventory.ini") + " --verify-convergence ";
    Run dry = upkeep::test::upkeep(cmd + "--check --diff");
    INFO(dry.out);
    CHECK(dry.rc == 0);
    CHECK(dry.out.find("+port=8080") != std::string::npos);  // the download's diff, before anything is written
    CHECK(dry.out.find("/opt/app/one.txt") != std::string::npos);
    // find, slurp and wait_for see the planned download, so the dry run predicts the summary too.
    CHECK(dry.out.find("+['/etc/app/app.conf'] port=8080 8080") != std::string::npos);
    CHECK_FALSE(exists(dir / "roots/h1/etc/app/app.conf"));
    CHECK_FALSE(exists(dir / "roots/h1/opt/app"));
    CHECK_FALSE(exists(dir / "fetched"));

    Run real = upkeep::test::upkeep(cmd);
    INFO(real.out);
    CHECK(real.rc == 0);
    CHECK(read_file(dir / "roots/h1/opt/app/one.txt") == "one\n");
    CHECK(read_file(dir / "fetched/h1/etc/app/app.conf") == "port=8080\n");
    CHECK(read_file(dir / "roots/h1/etc/app/summary") == "['/etc/app/app.conf'] port=8080 8080\n");
    CHECK(recap_count(real.out, "h1", "changed") == 4);  // get_url, unarchive, fetch, copy

    Run again = upkeep::test::upkeep(cmd);
    INFO(again.out);
    CHECK(again.rc == 0);
    CHECK(recap_count(again.out, "h1", "changed") == 0);
}
