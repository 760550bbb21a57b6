// --report-html: one self-contained file (no URL, no external asset, a CSP that
// forbids loading any), summary counts, the host x task matrix, diffs grouped
// across hosts, secrets masked, host bytes escaped. The same report opened in a
// real browser: tests/integration/html_report_browser_test.cpp.
#include <catch2/catch.hpp>

#include "tests/e2e/audit_estate.hpp"

using namespace upkeep::test;

TEST_CASE("HTML report: self-contained, summary, matrix, grouped diffs, secrets masked", "[audit][html]") {
    AuditEstate e({"kvm01", "kvm02", "kvm03", "kvm04"});
    for (const auto& h : {"kvm01", "kvm02", "kvm03"}) write_file(e.root(h) + "/etc/x.conf", "a=1\n");
    write_file(e.root("kvm02") + "/etc/x.conf", "a=1\nb=1\n");  // kvm02 already converged; kvm04 has none: fails
    write_file(e.dir / "vars.yml", "token: !secret Tok-4455-secret\n");
    e.playbook(R"(
- hosts: fleet
  vars_files: [vars.yml]
  tasks:
    - name: set b <script>alert(1)</script>
      lineinfile: path=/etc/x.conf line=b=1
    - name: token
      copy: dest=/etc/token content="{{ token }}"
)");
    Run r = e.play("--check --report-html " + e.dir / "r.html");
    INFO(r.out);
    CHECK(r.rc == 2);
    std::string html = read_file(e.dir / "r.html");
    CHECK(html.rfind("<!DOCTYPE html>", 0) == 0);
    CHECK(html.find("Content-Security-Policy\" content=\"default-src 'none'") != std::string::npos);
    for (const char* outside : {"http:", "https:", "src=", "href=", "@import", "url("}) {
        INFO(outside);
        CHECK(html.find(outside) == std::string::npos);
    }
    CHECK(html.find("id=\"count-hosts\">4<") != std::string::npos);
    CHECK(html.find("id=\"count-changed\">3<") != std::string::npos);  // kvm01, kvm03 (lines) and kvm02 (token)
    CHECK(html.find("id=\"count-failed\">1<") != std::string::npos);
    CHECK(html.find("id=\"count-unreachable\">0<") != std::string::npos);
    CHECK(count_of(html, "<tr data-host=") == 4);
    CHECK(html.find("would change same on kvm01, kvm03 (2 hosts)") != std::string::npos);
    CHECK(html.find("would change same on kvm01\u2026kvm03 (3 hosts)") != std::string::npos);  // the token file
    CHECK(html.find("failed on kvm04") != std::string::npos);
    CHECK(count_of(html, "<span class=\"add\">+b=1</span>") == 1);  // one copy for two hosts
    CHECK(html.find("Tok-4455-secret") == std::string::npos);
    CHECK(html.find("diff of /etc/token hidden: it contains secrets") != std::string::npos);
    // A task name is text, never markup.
    CHECK(html.find("<script>alert(1)") == std::string::npos);
    CHECK(html.find("set b &lt;script&gt;alert(1)&lt;/script&gt;") != std::string::npos);
}
