#include "engine/exec/shard.hpp"

#include "engine/util/error.hpp"

namespace upkeep {

namespace {

uint64_t fnv1a(const std::string& s) {
    uint64_t h = 1469598103934665603ULL;
    for (unsigned char c : s) {
        h ^= c;
        h *= 1099511628211ULL;
    }
    return h;
}

// Lamping & Veach, "A Fast, Minimal Memory, Consistent Hash Algorithm".
int32_t jump_consistent_hash(uint64_t key, int32_t buckets) {
    int64_t b = -1, j = 0;
    while (j < buckets) {
        b = j;
        key = key * 2862933555777941757ULL + 1;
        j = static_cast<int64_t>(static_cast<double>(b + 1) *
                                 (static_cast<double>(1LL << 31) / static_cast<double>((key >> 33) + 1)));
    }
    return static_cast<int32_t>(b);
}

}  // namespace

Shard parse_shard(const std::string& text) {
    size_t slash = text.find('/');
    auto number = [&](const std::string& s) -> long {
        if (s.empty() || s.size() > 6 || s.find_first_not_of("0123456789") != std::string::npos) return -1;
        return std::stol(s);
    };
    long i = slash == std::string::npos ? -1 : number(text.substr(0, slash));
    long n = slash == std::string::npos ? -1 : number(text.substr(slash + 1));
    if (i < 1 || n < 1 || i > n)
        throw UserError("--shard must be I/N with 1 <= I <= N (e.g. --shard 2/4), got '" + text + "'");
    return Shard{static_cast<uint32_t>(i), static_cast<uint32_t>(n)};
}

uint32_t shard_of(const std::string& host, uint32_t count) {
    return static_cast<uint32_t>(jump_consistent_hash(fnv1a(host), static_cast<int32_t>(count))) + 1;
}

}  // namespace upkeep
