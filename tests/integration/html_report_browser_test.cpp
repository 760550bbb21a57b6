// The HTML report in a real browser: headless Chromium (Debian `chromium`)
// opens the report of a sandbox run; tests/support/browser_check.py drives it over
// the DevTools protocol on a pipe and reads the DOM: summary counts, the rows and
// entries a person sees before and after a real mouse click on the "failed"
// filter, a host chosen, text typed into the search box; no request leaves the
// file, no console error. The screenshot is kept (build/tests/html_report.png).
#include <catch2/catch.hpp>

#include "tests/e2e/audit_estate.hpp"

using namespace upkeep::test;

TEST_CASE("HTML report in headless Chromium: counts, a filter click, host filter, search, screenshot",
          "[audit][html][browser]") {
    std::vector<std::string> hosts;
    for (int i = 1; i <= 12; ++i) hosts.push_back((i < 10 ? "kvm0" : "kvm") + std::to_string(i));
    AuditEstate e(hosts, "mgmt01\n");
    for (const auto& h : hosts) write_file(e.root(h) + "/etc/agent.properties", "host=old\n");
    write_file(e.root("kvm07") + "/etc/agent.properties", "host=other\n");
    // mgmt01 has no agent.properties: its task fails.
    e.playbook(R"(
- hosts: fleet
  tasks:
    - name: point the agent at the new server
      lineinfile: path=/etc/agent.properties regexp='^host=' line=host=mgmt.example
    - name: hook
      copy: dest=/etc/hook content="#!/bin/sh\n" mode=0755
)");
    Run run = e.play("--check --report-html " + e.dir / "report.html");
    INFO(run.out);
    CHECK(run.rc == 2);
    std::string shot = "html_report.png";
    Run b = sh("PICK_HOST=kvm07 SEARCH=mgmt01 timeout 90 /usr/bin/python3 " + std::string(UPKEEP_TEST_FIXTURES) +
               "/../support/browser_check.py " + e.dir / "report.html " + shot);
    INFO(b.out);
    REQUIRE(b.rc == 0);
    CHECK(b.out.find("initial.hosts=13\n") != std::string::npos);
    CHECK(b.out.find("initial.changed=12\n") != std::string::npos);
    CHECK(b.out.find("initial.failed=1\n") != std::string::npos);
    CHECK(b.out.find("initial.unreachable=0\n") != std::string::npos);
    CHECK(b.out.find("initial.rows=13\n") != std::string::npos);
    // Entries: one failure, the properties diff twice (kvm07 differs), the hook once for 13 hosts.
    CHECK(b.out.find("initial.entries=4\n") != std::string::npos);
    // The click on "failed" leaves the failing host and its failure.
    CHECK(b.out.find("failed_click.rows=1\n") != std::string::npos);
    CHECK(b.out.find("failed_click.entries=1\n") != std::string::npos);
    CHECK(b.out.find("failed_click.first_entry=point the agent at the new server failed on mgmt01\n") != std::string::npos);
    CHECK(b.out.find("host.rows=1\n") != std::string::npos);
    CHECK(b.out.find("host.entries=2\n") != std::string::npos);  // kvm07's own diff, and the shared hook
    CHECK(b.out.find("search.rows=1\n") != std::string::npos);
    CHECK(b.out.find("external_requests=0\n") != std::string::npos);
    CHECK(b.out.find("console_errors=0\n") != std::string::npos);
    std::string png = read_file(shot);
    CHECK(png.substr(0, 8) == "\x89PNG\r\n\x1a\n");
    CHECK(png.size() > 10000);
    // The grouped diff a person reads: once for the eleven hosts that share it.
    std::string html = read_file(e.dir / "report.html");
    CHECK(html.find("would change same on kvm01\u2026kvm06, kvm08\u2026kvm12 (11 hosts)") != std::string::npos);
}
