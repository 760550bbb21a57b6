// What ShellFiles reads ahead on slow links (issue 12): across a WAN every
// command is a round trip, so one command fetches, for a path, its lstat,
// stat and (a readable regular file up to 64 KiB) its bytes, together with
// the same for its missing parents (up to the first existing directory) and
// for the paths the next tasks will look at, which the executor announces
// (expect()). A change through ShellFiles forgets everything and probes again,
// in the change's own command, the path it changed and the next task's paths.
//
// This class builds those probe scripts, reads their output and keeps what
// they found for 5 s. It runs nothing itself.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "engine/connection/connection.hpp"

namespace upkeep {

struct ProbedPath {
    std::chrono::steady_clock::time_point at;
    FileInfo lstat, stat;
    std::optional<std::string> content;  // set when the bytes came along
};

class ShellReadAhead {
public:
    // One probe command: the paths announced for later (their bytes in
    // base64, one line each), then the path asked for, whose bytes run to
    // the end of the output. Each path may bring its missing parents.
    struct Item {
        std::string path;
        std::vector<std::string> parents;
    };
    struct Request {
        std::vector<Item> expected;
        Item main;
    };

    bool on() const { return m_on; }
    void enable(bool on) {
        m_on = on;
        m_cache.clear();
    }
    void forget() { m_cache.clear(); }
    // A fresh entry for `path`, else nullptr.
    const ProbedPath* cached(const std::string& path) const;
    // Paths the coming tasks will look at, the next task's first.
    void expect(std::vector<std::vector<std::string>> by_task);

    // The request for `path`: its missing parents when `with_parents`, and the
    // uncached paths of the first `groups` announced tasks.
    Request request(const std::string& path, bool with_parents, size_t groups) const;
    static std::string script(const Request& r);
    // Caches what the output says; false (nothing cached) when it cannot be read.
    bool take(const Request& r, const std::string& out, const std::string& where);

    static constexpr size_t k_all_groups = static_cast<size_t>(-1);

private:
    std::vector<std::string> uncached_parents(const std::string& path, const std::set<std::string>& scheduled) const;

    bool m_on = false;
    std::map<std::string, ProbedPath> m_cache;
    std::vector<std::vector<std::string>> m_expected;
};

// One line of `stat -c '%f %u %g %s %U %G'` as a FileInfo; throws TaskError
// (prefixed by `where`) on anything else.
FileInfo parse_shell_stat_line(const std::string& line, const std::string& path, const std::string& where);

}  // namespace upkeep
