// --detailed-exitcode: 0 converged, 8 changes pending (--check) or made, and a
// failure (2) or an unreachable host (4) always wins over 8.
#include <catch2/catch.hpp>

#include "tests/e2e/audit_estate.hpp"

using namespace upkeep::test;

namespace {
const char* k_playbook = R"(
- hosts: fleet
  tasks:
    - name: managed config
      copy:
        dest: /app.conf
        content: "port=8080\n"
)";
}

TEST_CASE("detailed exit code: 8 for drift in --check and for changes made, 0 once converged", "[audit][exitcode]") {
    AuditEstate e({"h1", "h2"});
    e.playbook(k_playbook);
    Run plain = e.play("--check");
    INFO(plain.out);
    CHECK(plain.rc == 0);  // without the flag, drift is not an error (as before)

    Run drift = e.play("--check --detailed-exitcode");
    INFO(drift.out);
    CHECK(drift.rc == 8);
    CHECK_FALSE(exists(e.root("h1") + "/app.conf"));

    Run apply = e.play("--detailed-exitcode");
    INFO(apply.out);
    CHECK(apply.rc == 8);  // changes made
    CHECK(read_file(e.root("h1") + "/app.conf") == "port=8080\n");

    CHECK(e.play("--check --detailed-exitcode").rc == 0);
    CHECK(e.play("--detailed-exitcode").rc == 0);
}

TEST_CASE("detailed exit code: a failed task (2) takes precedence over changes", "[audit][exitcode]") {
    AuditEstate e({"h1", "h2"});
    write_file(e.root("h1") + "/motd", "hi\n");
    e.playbook(R"(
- hosts: fleet
  tasks:
    - copy: dest=/app.conf content=x
    - lineinfile: path=/motd line=managed
)");
    Run r = e.play("--check --detailed-exitcode");
    INFO(r.out);
    CHECK(r.rc == 2);  // h2 has no /motd: failed, although both hosts drifted
}

TEST_CASE("detailed exit code: an unreachable host (4) takes precedence over changes", "[audit][exitcode]") {
    // h2 is an SSH host on a loopback port nothing listens on.
    AuditEstate e({"h1"}, "h2 ansible_connection=ssh ansible_host=127.0.0.1 ansible_port=1\n");
    e.playbook(k_playbook);
    Run r = e.play("--check --detailed-exitcode -T 3");
    INFO(r.out);
    CHECK(r.out.find("UNREACHABLE") != std::string::npos);
    CHECK(r.rc == 4);
}

TEST_CASE("detailed exit code: a lost report fails the run with 1, not 8", "[audit][exitcode]") {
    AuditEstate e({"h1"});
    e.playbook(k_playbook);
    // The report's directory accepts the pre-run check, then disappears during the run.
    must("mkdir -p " + e.dir / "out");
    write_file(e.dir / "site.yml", std::string(k_playbook) + R"(    - name: the report's directory goes away
      delegate_to: localhost
      command: rmdir )" + e.dir / "out" + "\n");
    Run r = e.play("--detailed-exitcode --report-json " + e.dir / "out/report.json");
    INFO(r.out);
    CHECK(r.out.find("cannot write the JSON report") != std::string::npos);
    CHECK(r.rc == 1);
}
