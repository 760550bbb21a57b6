#include "engine/report/diff_limit.hpp"

#include <cstdio>
#include <cstdlib>

#include "engine/util/sha256.hpp"

namespace upkeep {

namespace {

size_t limit_from_env() {
    for (const char* name : {"UPKEEP_MAX_DIFF_SIZE", "ANSIBLE_MAX_DIFF_SIZE"}) {
        const char* v = std::getenv(name);
        if (!v || !*v) continue;
        char* end = nullptr;
        unsigned long long n = std::strtoull(v, &end, 10);
        if (end && *end == '\0') return static_cast<size_t>(n);
    }
    return k_default_max_diff_bytes;
}

std::string size_text(size_t n) {
    char buf[32];
    if (n >= (1u << 20)) std::snprintf(buf, sizeof buf, "%.1f MiB", static_cast<double>(n) / (1 << 20));
    else if (n >= 1024) std::snprintf(buf, sizeof buf, "%.1f KiB", static_cast<double>(n) / 1024);
    else std::snprintf(buf, sizeof buf, "%zu bytes", n);
    return buf;
}

std::string side(const SharedText& t) {
    return t ? size_text(t->size()) + " (sha256 " + t.sha256().substr(0, 16) + ")" : std::string("absent");
}

}  // namespace

size_t max_diff_bytes() {
    static const size_t limit = limit_from_env();
    return limit;
}

std::string diff_skipped(const Change& c) {
    size_t limit = max_diff_bytes();
    size_t before = c.before ? c.before->size() : 0, after = c.after ? c.after->size() : 0;
    if (before <= limit && after <= limit) return "";
    return "diff skipped: larger than " + size_text(limit) + " (UPKEEP_MAX_DIFF_SIZE); before " + side(c.before) +
           ", after " + side(c.after);
}

}  // namespace upkeep
