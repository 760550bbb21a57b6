// Secret masking covers every representation a secret takes in output: raw,
// JSON/YAML-escaped, shell-quoted, and each line of a multi-line secret; a no_log
// task shows nothing of its arguments; a diff that holds a secret is hidden.
#include <catch2/catch.hpp>

#include "engine/report/secret_registry.hpp"
#include "engine/util/strings.hpp"
#include "tests/support/test_support.hpp"

using namespace upkeep;
using namespace upkeep::test;

TEST_CASE("secret masking: every representation of a secret is masked", "[secrets]") {
    SecretRegistry reg;
    const std::string secret = "pa\"ss\\wo'rd\nsecond-line";
    reg.add(secret);
    for (const std::string& shown : {secret, json_quote(secret), shell_quote(secret), std::string("pa\"ss\\wo'rd"),
                                     std::string("second-line")}) {
        INFO(shown);
        std::string out = reg.mask("before " + shown + " after");
        CHECK(out.find("second-line") == std::string::npos);
        CHECK(out.find("wo'rd") == std::string::npos);
        CHECK(out.find("wo\\'rd") == std::string::npos);
        CHECK(out.find(k_masked) != std::string::npos);
    }
    CHECK(reg.appears_in("x " + json_quote(secret)));
    CHECK_FALSE(reg.appears_in("nothing here"));
}

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
