// shard_of (engine/exec/shard.hpp): --shard I/N's partition of the selected hosts.
// `report merge` of the shards' reports runs the binary: tests/e2e/shard_merge_test.cpp.
#include <catch2/catch.hpp>

#include <map>

#include "engine/exec/shard.hpp"
#include "engine/util/error.hpp"

using namespace upkeep;

TEST_CASE("shard_of: a partition, balanced, stable under added hosts, few moves when N grows", "[audit][shard]") {
    std::vector<std::string> hosts;
    for (int i = 1; i <= 400; ++i) hosts.push_back("kvm" + std::to_string(i));
    std::map<std::string, uint32_t> at4;
    std::map<uint32_t, int> sizes;
    for (const auto& h : hosts) {
        uint32_t s = shard_of(h, 4);
        REQUIRE(s >= 1);
        REQUIRE(s <= 4);
        at4[h] = s;
        sizes[s]++;
    }
    for (uint32_t s = 1; s <= 4; ++s) CHECK(sizes[s] > 70);  // about 100 each
    // A host's shard depends on its name and N only: more hosts move nobody.
    for (int i = 401; i <= 500; ++i) shard_of("kvm" + std::to_string(i), 4);
    for (const auto& h : hosts) CHECK(shard_of(h, 4) == at4[h]);
    int moved = 0;
    for (const auto& h : hosts) moved += shard_of(h, 5) != at4[h];
    CHECK(moved < 400 * 30 / 100);  // about 1/5 move, never a reshuffle
    CHECK(parse_shard("2/4").index == 2);
    CHECK_THROWS_AS(parse_shard("0/4"), UserError);
    CHECK_THROWS_AS(parse_shard("5/4"), UserError);
    CHECK_THROWS_AS(parse_shard("a/b"), UserError);
    CHECK_THROWS_AS(parse_shard("3"), UserError);
}
