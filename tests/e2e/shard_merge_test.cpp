// --shard I/N runs disjoint parts of the selected hosts (the partition itself:
// tests/unit/shard_test.cpp); `upkeep report merge` joins the shards'
// JSON reports into one JSON, HTML and JUnit report, diffs grouped across shards.
#include <catch2/catch.hpp>

#include <set>

#include "engine/exec/shard.hpp"
#include "tests/e2e/audit_estate.hpp"

using namespace upkeep;
using namespace upkeep::test;

TEST_CASE("shards run disjoint parts, report merge makes one JSON/HTML/JUnit report", "[audit][shard]") {
    std::vector<std::string> hosts = {"kvm01", "kvm02", "kvm03", "kvm04", "kvm05", "kvm06", "kvm07", "kvm08"};
    AuditEstate e(hosts);
    for (const auto& h : hosts) write_file(e.root(h) + "/etc/x.conf", "a=1\n");
    e.playbook("- hosts: fleet\n  tasks:\n    - name: set b\n      lineinfile: path=/etc/x.conf line=b=1\n");
    std::set<std::string> seen;
    for (int i = 1; i <= 3; ++i) {
        std::string n = std::to_string(i);
        Run r = e.play("--check --shard " + n + "/3 --report-json " + e.dir / ("s" + n + ".json"));
        INFO(r.out);
        CHECK(r.rc == 0);
        for (const auto& h : hosts) {
            if (r.out.find("changed: [" + h + "]") == std::string::npos) continue;
            CHECK(seen.insert(h).second);  // in one shard only
            CHECK(shard_of(h, 3) == static_cast<uint32_t>(i));
        }
        Run listed = e.play("--list-hosts --shard " + n + "/3");
        for (const auto& h : hosts) CHECK((listed.out.find("      " + h + "\n") != std::string::npos) == (shard_of(h, 3) == static_cast<uint32_t>(i)));
    }
    CHECK(seen.size() == hosts.size());
    Run merged = upkeep::test::upkeep("report merge " + e.dir / "s1.json " + e.dir / "s2.json " + e.dir / "s3.json --json " +
                                      e.dir / "all.json --html " + e.dir / "all.html --junit " + e.dir / "all.xml");
    INFO(merged.out);
    REQUIRE(merged.rc == 0);
    std::string json = read_file(e.dir / "all.json");
    for (const auto& h : hosts) CHECK(json.find("\"" + h + "\": {\"changed\": 1") != std::string::npos);  // stats
    CHECK(json.find("\"drift\": true") != std::string::npos);
    std::string html = read_file(e.dir / "all.html");
    CHECK(html.find("id=\"count-hosts\">8<") != std::string::npos);
    CHECK(html.find("would change same on kvm01\u2026kvm08 (8 hosts)") != std::string::npos);  // grouped across shards
    Run junit = sh(std::string("/usr/bin/python3 ") + UPKEEP_TEST_FIXTURES + "/../support/junit_check.py " + e.dir / "all.xml");
    INFO(junit.out);
    CHECK(junit.out.find("TOTAL tests=16 failures=8 errors=0 skipped=0") != std::string::npos);

    // Shards of different runs, or overlapping shards, do not merge.
    Run real = e.play("--shard 1/3 --report-json " + e.dir / "real.json");
    Run mixed = upkeep::test::upkeep("report merge " + e.dir / "s1.json " + e.dir / "real.json --json " + e.dir / "m.json");
    CHECK(mixed.rc == 1);
    CHECK(mixed.out.find("is a report of another run") != std::string::npos);
    std::string kvm01_shard = e.dir / ("s" + std::to_string(shard_of("kvm01", 3)) + ".json");
    Run twice = upkeep::test::upkeep("report merge " + kvm01_shard + " " + kvm01_shard + " --json " + e.dir / "m.json");
    CHECK(twice.rc == 1);
    CHECK(twice.out.find("shards must not overlap") != std::string::npos);
}
