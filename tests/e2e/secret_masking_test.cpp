// A run of the binary: a no_log task shows nothing of its arguments, a diff that
// holds a secret is hidden, in the console output and in the JSON report.
#include <catch2/catch.hpp>

#include "tests/support/test_support.hpp"

using namespace upkeep;
using namespace upkeep::test;

TEST_CASE("secret masking: a no_log task shows nothing of its args, a diff with a secret is hidden", "[secrets][e2e]") {
    TempDir d;
    write_file(d / "inventory.ini", "h1 ansible_connection=sandbox upkeep_sandbox_root=" + d / "root" + "\n");
    write_file(d / "root/etc/app.conf", "user=app\n");
    write_file(d / "site.yml", R"(
- hosts: all
  gather_facts: false
  vars:
    db_password: !secret "Sup3r\"Secret"
  tasks:
    - shell: echo configured > /dev/null; echo token-abc-123 > /dev/null
      no_log: true
    - lineinfile:
        path: /etc/app.conf
        line: "password={{ db_password }}"
)");
    Run r = upkeep::test::upkeep("play " + d / "site.yml" + " -i " + d / "inventory.ini" + " --diff -vv --report-json " +
                                 d / "report.json");
    INFO(r.out);
    CHECK(r.rc == 0);
    std::string report = read_file(d / "report.json");
    INFO(report);
    for (const std::string& text : {r.out, report}) {
        CHECK(text.find("token-abc-123") == std::string::npos);
        CHECK(text.find("Sup3r") == std::string::npos);
    }
    CHECK(read_file(d / "root/etc/app.conf") == "user=app\npassword=Sup3r\"Secret\n");
}
