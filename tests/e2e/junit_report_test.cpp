// --report-junit: one test case per host x task, read back by junitparser (the
// JUnit reader of Debian's python3-junitparser, as CI tools read it) and checked
// well-formed by xmllint: drift in --check is a failure carrying the diff, a
// failed task a failure, an unreachable host an error, a skipped task skipped.
#include <catch2/catch.hpp>

#include "tests/e2e/audit_estate.hpp"

using namespace upkeep::test;

namespace {

std::string junit_cases(const std::string& xml_path) {
    Run r = sh(std::string("/usr/bin/python3 ") + UPKEEP_TEST_FIXTURES + "/../support/junit_check.py " + xml_path);
    INFO(r.out);
    REQUIRE(r.rc == 0);
    Run lint = sh("xmllint --noout " + xml_path);
    INFO(lint.out);
    CHECK(lint.rc == 0);
    return r.out;
}

struct JunitEstate : AuditEstate {
    JunitEstate()
        : AuditEstate({"kvm01", "kvm02", "kvm03"},
                      "kvm09 ansible_connection=ssh ansible_host=127.0.0.1 ansible_port=1\n") {
        for (const auto& h : {"kvm01", "kvm02"}) write_file(root(h) + "/etc/x.conf", "a=1\n");
        // kvm03 has no x.conf: the lineinfile task fails there. Host bytes that XML cannot carry:
        write_file(root("kvm01") + "/etc/raw", std::string("ctl\x01\x1b[2J bad\xff utf8 </failure> & \"q\"\n"));
        write_file(dir / "vars.yml", "token: !secret Tok-9f8e7d-secret\n");
        playbook(R"(
- hosts: fleet
  vars_files: [vars.yml]
  tasks:
    - name: set b
      lineinfile: path=/etc/x.conf line=b=1
    - name: token file
      copy: dest=/etc/token content="{{ token }}"
    - name: only on kvm02
      copy: dest=/etc/only content=x
      when: inventory_hostname == 'kvm02'
    - name: raw bytes
      copy: dest=/etc/raw content="clean\n"
      when: inventory_hostname == 'kvm01'
)");
    }
};

}  // namespace

TEST_CASE("JUnit report of a dry run: drift fails with the diff, failed/unreachable/skipped as CI expects", "[audit][junit]") {
    JunitEstate e;
    Run r = e.play("--check -T 3 --report-junit " + e.dir / "junit.xml");
    INFO(r.out);
    CHECK(r.rc == 2);
    std::string cases = junit_cases(e.dir / "junit.xml");
    INFO(cases);
    CHECK(cases.find("fleet|kvm01|set b|failure|drift|drift: would change: line added|--- before: /etc/x.conf\n") !=
          std::string::npos);
    CHECK(cases.find("fleet|kvm03|set b|failure|failed|/etc/x.conf does not exist") != std::string::npos);
    CHECK(cases.find("fleet|kvm09|Gathering Facts|error|unreachable|") != std::string::npos);
    CHECK(cases.find("fleet|kvm01|only on kvm02|skipped||conditional result was False") != std::string::npos);
    CHECK(cases.find("fleet|kvm02|only on kvm02|failure|drift|") != std::string::npos);
    CHECK(cases.find("fleet|kvm01|Gathering Facts|passed|") != std::string::npos);
    // kvm01..02: facts + 4 tasks; kvm03: facts + the failed task; kvm09: unreachable at facts
    CHECK(cases.find("TOTAL tests=13 failures=7 errors=1 skipped=2") != std::string::npos);
    CHECK(cases.find("errors=1 skipped=2") != std::string::npos);
    std::string xml = read_file(e.dir / "junit.xml");
    CHECK(xml.find("Tok-9f8e7d-secret") == std::string::npos);
    CHECK(xml.find("diff of /etc/token hidden: it contains secrets") != std::string::npos);
    // Host bytes: control characters and invalid UTF-8 as \xNN, markup escaped.
    CHECK(xml.find("ctl\\x01\\x1b[2J bad\\xff utf8 &lt;/failure&gt; &amp; &quot;q&quot;") != std::string::npos);
    // Cases in natural host order: the same run writes the same file.
    CHECK(xml.find("classname=\"kvm01\" name=\"set b\"") < xml.find("classname=\"kvm02\" name=\"set b\""));
}

TEST_CASE("JUnit report of a real run: changes pass (with the diff as output), a converged rerun is all green",
          "[audit][junit]") {
    AuditEstate e({"h1", "h2"});
    e.playbook("- hosts: fleet\n  tasks:\n    - name: conf\n      copy: dest=/app.conf content=\"x=1\\n\"\n");
    Run first = e.play("--report-junit " + e.dir / "j1.xml");
    INFO(first.out);
    CHECK(first.rc == 0);
    std::string c1 = junit_cases(e.dir / "j1.xml");
    CHECK(c1.find("fleet|h1|conf|passed|") != std::string::npos);
    CHECK(c1.find("TOTAL tests=4 failures=0 errors=0 skipped=0") != std::string::npos);
    CHECK(read_file(e.dir / "j1.xml").find("<system-out>changed\n--- before: /app.conf (absent)") != std::string::npos);
    Run again = e.play("--check --report-junit " + e.dir / "j2.xml");
    CHECK(junit_cases(e.dir / "j2.xml").find("TOTAL tests=4 failures=0 errors=0 skipped=0") != std::string::npos);
}

TEST_CASE("JUnit report: checked before the run and written atomically", "[audit][junit]") {
    AuditEstate e({"h1"});
    e.playbook("- hosts: fleet\n  tasks:\n    - copy: dest=/app.conf content=x\n");
    Run r = e.play("--report-junit " + e.dir / "no/such/dir/j.xml");
    CHECK(r.rc == 1);
    CHECK(r.out.find("cannot write the JUnit report " + e.dir / "no/such/dir/j.xml") != std::string::npos);
    CHECK_FALSE(exists(e.root("h1") + "/app.conf"));  // nothing ran
    // A symlink at the path is replaced, never followed; no temp file is left.
    write_file(e.dir / "victim", "keep\n");
    must("ln -s " + e.dir / "victim" + " " + e.dir / "j.xml");
    CHECK(e.play("--report-junit " + e.dir / "j.xml").rc == 0);
    CHECK(read_file(e.dir / "victim") == "keep\n");
    CHECK(sh("test -L " + e.dir / "j.xml").rc != 0);
    CHECK(sh("ls -a " + e.dir.path() + " | grep -c upkeep").out == "0\n");
}
