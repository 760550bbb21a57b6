// --shard I/N: a deterministic partition of the selected hosts, so a CI matrix of
// N jobs splits a fleet without coordination. A host's shard depends only on its
// name and N (Jump Consistent Hash, Lamping & Veach 2014, over FNV-1a of the name):
// adding or removing hosts never moves the others, and going from N to N+1 jobs
// moves only about 1/(N+1) of them.
#pragma once

#include <cstdint>
#include <string>

namespace upkeep {

struct Shard {
    uint32_t index = 0;  // 1-based; 0 = no sharding
    uint32_t count = 0;
    bool active() const { return count > 0; }
};

// "2/4" -> {2, 4}; throws UserError for anything else (1 <= I <= N).
Shard parse_shard(const std::string& text);

// The 1-based shard of `host` among `count`.
uint32_t shard_of(const std::string& host, uint32_t count);

inline bool in_shard(const std::string& host, const Shard& s) { return !s.active() || shard_of(host, s.count) == s.index; }

}  // namespace upkeep
