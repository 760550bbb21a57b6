// File operations carried out by POSIX shell + coreutils commands through any
// command runner. The SSH connection uses them under become, where SFTP would
// act as the login user instead of the become user; each operation is one
// command, so one round trip.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "engine/connection/connection.hpp"

namespace upkeep {

using CommandRunner = std::function<CommandResult(const Command&)>;

class ShellFiles {
public:
    // `where` prefixes error messages (the host name).
    ShellFiles(CommandRunner run, std::string where) : m_run(std::move(run)), m_where(std::move(where)) {}

    FileInfo stat(const std::string& path, bool follow);
    std::optional<std::string> read_file(const std::string& path);
    // Streams the content on stdin into a temp file next to the target, keeps
    // the old owner/mode, optionally backs up, fsyncs and renames over the target.
    WriteResult write_file(const std::string& path, const std::string& content, const WriteOptions& opts);
    // mktemp (random name, O_EXCL, 0600) in `dir`, filled from stdin.
    std::string write_temp_file(const std::string& dir, const std::string& content);
    void make_dirs(const std::string& path, std::optional<uint32_t> mode);
    void remove(const std::string& path, bool recursive);
    void set_attributes(const std::string& path, std::optional<uint32_t> mode, const std::string& owner,
                        const std::string& group);
    void symlink(const std::string& target, const std::string& path);
    std::vector<std::string> list_dir(const std::string& path);

    // Read-ahead for slow links: with the cache on, the first stat or read of
    // a path fetches, in the same single command, its lstat, stat and (for a
    // readable regular file up to 64 KiB) its bytes, plus the lstat and stat
    // of its parents up to the first existing directory, so a module's stat +
    // read + stat of one file and a look at its directory cost one round
    // trip. Any write through this object forgets everything but the path it
    // wrote, which the write probes again in the same command; invalidate()
    // (the connection calls it for every mutating command) forgets
    // everything; an entry also expires after 5 s.
    void enable_cache(bool on) { m_cache_on = on; m_cache.clear(); }
    void invalidate() { m_cache.clear(); }

private:
    struct Probe {
        std::chrono::steady_clock::time_point at;
        FileInfo lstat, stat;
        std::optional<std::string> content;  // set when the bytes came along
    };
    const Probe* probe(const std::string& path);
    static std::string probe_script(const std::string& path, const std::vector<std::string>& ancestors);
    std::vector<std::string> uncached_ancestors(const std::string& path) const;
    // Caches the probe's records; false (nothing cached) on output it cannot read.
    bool parse_probe(const std::string& out, const std::string& path, const std::vector<std::string>& ancestors);
    FileInfo parse_stat_line(const std::string& line, const std::string& path) const;

    CommandResult run_checked(const std::string& script, const std::string& what, const std::string& path,
                              const std::string& stdin_data = "", bool mutating = true);

    CommandRunner m_run;
    std::string m_where;
    bool m_cache_on = false;
    std::map<std::string, Probe> m_cache;
    // Directories whose stale ".upkeep.*" temp files a write already removed
    // on this connection: once per directory and run is enough.
    std::set<std::string> m_cleaned_dirs;
};

// Shell snippets shared with the SFTP path (ssh_connection.cpp): removing our
// stale ".upkeep.*" temp files in the directory named by the shell variable
// `dir_var` ("$d"), and making a unique, private, complete backup of the file
// named by `file_var` into $b (which an EXIT trap removes on failure).
std::string stale_temp_cleanup_script(const std::string& dir_var);
std::string backup_script(const std::string& file_var);

// Octal text of a mode, e.g. "0644".
std::string octal_mode(uint32_t mode);

}  // namespace upkeep
