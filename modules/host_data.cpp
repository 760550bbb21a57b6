#include "modules/host_data.hpp"


#include <cstdlib>

#include "engine/util/digest.hpp"
#include "engine/util/error.hpp"
#include "engine/util/strings.hpp"

namespace upkeep {

std::string digest_hex(const std::string& algo, std::string_view data) {
    std::optional<std::string> hex = digest_hex_of(algo, data);
    if (!hex) throw TaskError("unknown checksum algorithm " + algo);
    return *hex;
}

namespace {

// Matches pattern[pi..] against name[ni..]; `*` by backtracking over the last star only
// (enough for globs: no nested constructs).
bool match_set(std::string_view p, size_t& pi, char c, bool& ok) {
    // p[pi] == '['. Python: an unclosed '[' is a literal '['.
    size_t j = pi + 1;
    bool negate = j < p.size() && p[j] == '!';
    if (negate) ++j;
    if (j < p.size() && p[j] == ']') ++j;
    while (j < p.size() && p[j] != ']') ++j;
    if (j >= p.size()) return false;  // not a set
    size_t k = pi + 1 + (negate ? 1 : 0);
    bool in = false;
    for (bool first = true; k < j; first = false) {
        char lo = p[k];
        if (!first && lo == ']') break;
        if (k + 2 < j && p[k + 1] == '-') {
            if (c >= lo && c <= p[k + 2]) in = true;
            k += 3;
        } else {
            if (c == lo) in = true;
            ++k;
        }
    }
    ok = in != negate;
    pi = j + 1;
    return true;
}

}  // namespace

bool py_fnmatch(std::string_view name, std::string_view p) {
    size_t ni = 0, pi = 0, star_p = std::string_view::npos, star_n = 0;
    while (ni < name.size()) {
        if (pi < p.size() && p[pi] == '*') {
            star_p = ++pi;
            star_n = ni;
            continue;
        }
        if (pi < p.size()) {
            size_t next = pi;
            bool ok = false;
            if (p[pi] == '[' && match_set(p, next, name[ni], ok)) {
                if (ok) {
                    pi = next;
                    ++ni;
                    continue;
                }
            } else if (p[pi] == '?' || p[pi] == name[ni]) {
                ++pi;
                ++ni;
                continue;
            }
        }
        if (star_p == std::string_view::npos) return false;
        pi = star_p;
        ni = ++star_n;
    }
    while (pi < p.size() && p[pi] == '*') ++pi;
    return pi == p.size();
}

double host_now(Connection& conn) {
    Command c;
    c.cmdline = "date +%s.%N";
    c.mutating = false;
    CommandResult r = conn.run(c);
    if (r.rc != 0) throw TaskError("cannot read the host's clock: " + trim(r.err));
    return std::strtod(r.out.c_str(), nullptr);
}

}  // namespace upkeep
