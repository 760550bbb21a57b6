#include "engine/connection/shell_read_ahead.hpp"

#include <sstream>

#include "engine/util/digest.hpp"
#include "engine/util/error.hpp"
#include "engine/util/host_path.hpp"
#include "engine/util/strings.hpp"

namespace upkeep {

namespace {

// A probe is trusted this long: within one task and from one task to the next.
constexpr auto k_ttl = std::chrono::seconds(5);
// Bytes read ahead per file, and paths per command (the announced ones).
constexpr size_t k_max_content = 65536;
constexpr size_t k_max_expected = 24;
constexpr size_t k_max_cached = 256;

constexpr const char* k_stat_fmt = " -c '%f %u %g %s %U %G' -- \"$p\"";

std::string q(const std::string& s) { return shell_quote(s); }

// Prints, for the path in $p: its lstat line (and link target), then its stat
// line, "missing" for either that does not exist; one stat(1) for anything
// but a symbolic link (whose lstat and stat are the same): on a loaded host
// every fork is part of the round trip. Leaves the size in $4 (99999999 when
// missing). Exits non-zero when stat fails on a path that exists.
std::string stat_record_script() {
    return std::string("s=missing; if [ -e \"$p\" ] || [ -L \"$p\" ]; then s=$(stat") + k_stat_fmt + ") || exit 1; " +
           "echo \"$s\"; if [ -L \"$p\" ]; then readlink -- \"$p\" || echo; s=missing; " +
           "if [ -e \"$p\" ]; then s=$(stat -L" + k_stat_fmt + ") || exit 1; fi; fi; else echo missing; fi; " +
           "echo \"$s\"; if [ \"$s\" = missing ]; then set -- x x x 99999999; else set -- $s; fi; ";
}

std::string readable_small_file_test() {
    return "[ -f \"$p\" ] && [ -r \"$p\" ] && [ \"$4\" -le " + std::to_string(k_max_content) + " ]";
}

// The directory holding `path`, "" for "/" and for a name without a slash.
std::string parent_of(const std::string& path) {
    if (path == "/" || path.find('/') == std::string::npos) return "";
    return parent_path(path);
}

// Reads the probe output line by line; the main path's bytes are the rest.
struct ProbeReader {
    const std::string& out;
    const std::string& where;
    size_t pos = 0;

    bool line(std::string& l) {
        size_t nl = out.find('\n', pos);
        if (nl == std::string::npos) return false;
        l = out.substr(pos, nl - pos);
        pos = nl + 1;
        return true;
    }
    bool record(const std::string& path, ProbedPath& pr) {
        std::string a, b;
        if (!line(a)) return false;
        if (a != "missing") {
            pr.lstat = parse_shell_stat_line(a, path, where);
            if (pr.lstat.is_link() && !line(pr.lstat.link_target)) return false;
        }
        if (!line(b)) return false;
        if (b != "missing") pr.stat = parse_shell_stat_line(b, path, where);
        return true;
    }
    bool parents(const std::vector<std::string>& paths, std::map<std::string, ProbedPath>& found) {
        for (const auto& p : paths) {
            ProbedPath pr;
            std::string walk;
            if (!record(p, pr) || !line(walk)) return false;
            found[p] = std::move(pr);
            if (walk == "dir") break;
            if (walk != "up") return false;
        }
        return true;
    }
};

}  // namespace

FileInfo parse_shell_stat_line(const std::string& line, const std::string& path, const std::string& where) {
    FileInfo info;
    std::istringstream in(line);
    std::string hex;
    uint64_t size = 0;
    in >> hex >> info.uid >> info.gid >> size >> info.owner >> info.group;
    if (!in) throw TaskError(where + ": cannot stat " + path + ": unexpected output '" + trim(line) + "'");
    uint32_t raw = static_cast<uint32_t>(std::stoul(hex, nullptr, 16));
    info.mode = raw & 07777;
    info.size = size;
    switch (raw & 0170000) {
        case 0100000: info.kind = FileInfo::Kind::File; break;
        case 0040000: info.kind = FileInfo::Kind::Dir; break;
        case 0120000: info.kind = FileInfo::Kind::Link; break;
        default:
            info.kind = FileInfo::Kind::Other;
            info.special = special_kind_name(raw & 0170000);
    }
    if (info.owner == "UNKNOWN") info.owner = std::to_string(info.uid);
    if (info.group == "UNKNOWN") info.group = std::to_string(info.gid);
    return info;
}

const ProbedPath* ShellReadAhead::cached(const std::string& path) const {
    auto it = m_cache.find(path);
    if (it == m_cache.end() || std::chrono::steady_clock::now() - it->second.at >= k_ttl) return nullptr;
    return &it->second;
}

void ShellReadAhead::expect(std::vector<std::vector<std::string>> by_task) { m_expected = std::move(by_task); }

std::vector<std::string> ShellReadAhead::uncached_parents(const std::string& path,
                                                          const std::set<std::string>& scheduled) const {
    // Modules that create or replace a path look at its parent (does the
    // directory exist? which ones must mkdir create?).
    std::vector<std::string> out;
    for (std::string a = parent_of(path); !a.empty(); a = parent_of(a)) {
        if (cached(a) || scheduled.count(a)) break;
        out.push_back(a);
        if (a == "/" || out.size() >= 16) break;
    }
    return out;
}

ShellReadAhead::Request ShellReadAhead::request(const std::string& path, bool with_parents, size_t groups) const {
    Request r;
    std::set<std::string> scheduled{path};
    if (with_parents) r.main.parents = uncached_parents(path, scheduled);
    r.main.path = path;
    scheduled.insert(r.main.parents.begin(), r.main.parents.end());
    for (size_t g = 0; g < m_expected.size() && g < groups; ++g) {
        for (const auto& p : m_expected[g]) {
            if (r.expected.size() >= k_max_expected) return r;
            if (p.empty() || scheduled.count(p) || cached(p)) continue;
            Item item{p, uncached_parents(p, scheduled)};
            scheduled.insert(p);
            scheduled.insert(item.parents.begin(), item.parents.end());
            r.expected.push_back(std::move(item));
        }
    }
    return r;
}

std::string ShellReadAhead::script(const Request& r) {
    // Parents first (one record each, then "dir" where the walk stops, at the
    // first one that is a directory, or "up"); the main path last, because
    // its bytes run to the end of the output.
    auto parents = [](const Item& item) {
        if (item.parents.empty()) return std::string();
        std::string s = "for p in";
        for (const auto& a : item.parents) s += " " + q(a);
        return s + "; do " + stat_record_script() + "if [ -d \"$p\" ]; then echo dir; break; fi; echo up; done; ";
    };
    std::string s;
    for (const auto& e : r.expected)
        s += parents(e) + "p=" + q(e.path) + "; " + stat_record_script() + "if " + readable_small_file_test() +
             "; then echo content; head -c " + std::to_string(k_max_content + 1) + " -- \"$p\" | base64 -w0; echo; " +
             "else echo none; fi; ";
    s += parents(r.main) + "p=" + q(r.main.path) + "; " + stat_record_script() + "if " + readable_small_file_test() +
         "; then echo content; exec head -c " + std::to_string(k_max_content + 1) + " -- \"$p\"; fi; echo none";
    return s;
}

bool ShellReadAhead::take(const Request& r, const std::string& out, const std::string& where) {
    auto now = std::chrono::steady_clock::now();
    ProbeReader in{out, where};
    std::map<std::string, ProbedPath> found;
    try {
        for (const auto& e : r.expected) {
            ProbedPath pr;
            std::string tail;
            if (!in.parents(e.parents, found) || !in.record(e.path, pr) || !in.line(tail)) return false;
            if (tail == "content") {
                std::string b64;
                if (!in.line(b64)) return false;
                // Bytes that do not match the size stat saw (the file changed
                // in between) are not kept: a read then asks the host.
                std::optional<std::string> bytes = base64_decode(b64);
                if (bytes && bytes->size() == pr.stat.size) pr.content = std::move(*bytes);
            } else if (tail != "none") {
                return false;
            }
            found[e.path] = std::move(pr);
        }
        ProbedPath pr;
        std::string tail;
        if (!in.parents(r.main.parents, found) || !in.record(r.main.path, pr) || !in.line(tail)) return false;
        if (tail == "content") {
            std::string bytes = out.substr(in.pos);
            if (bytes.size() <= k_max_content) pr.content = std::move(bytes);
        } else if (tail != "none") {
            return false;
        }
        found[r.main.path] = std::move(pr);
    } catch (const TaskError&) {
        return false;
    }
    if (m_cache.size() + found.size() > k_max_cached) m_cache.clear();
    for (auto& [p, f] : found) {
        f.at = now;
        m_cache[p] = std::move(f);
    }
    return true;
}

}  // namespace upkeep
