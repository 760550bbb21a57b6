// describe_hosts / natural_less (engine/report/host_ranges.hpp): how the console names
// a group of hosts that share a change. The console itself: tests/e2e/console_fleet_test.cpp.
#include <catch2/catch.hpp>

#include <cstdio>

#include "engine/report/host_ranges.hpp"

using namespace upkeep;

TEST_CASE("host lists fold numbered runs: kvm01…kvm03", "[audit][console]") {
    CHECK(describe_hosts({"kvm03", "kvm01", "mgmt01", "kvm02", "kvm05"}) == "kvm01\u2026kvm03, kvm05, mgmt01");
    CHECK(describe_hosts({"kvm9", "kvm10", "kvm11"}) == "kvm9, kvm10, kvm11");  // widths differ: not one run
    CHECK(describe_hosts({"web1", "web2"}) == "web1, web2");
    std::vector<std::string> many;
    for (int i = 1; i <= 200; ++i) {
        char b[16];
        std::snprintf(b, sizeof b, "kvm%02d", i);
        many.push_back(b);
    }
    CHECK(describe_hosts(many) == "kvm01\u2026kvm99, kvm100\u2026kvm200");
    CHECK(natural_less("kvm2", "kvm10"));
    CHECK_FALSE(natural_less("kvm10", "kvm2"));
}
