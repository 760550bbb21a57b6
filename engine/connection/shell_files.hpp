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
#include "engine/connection/shell_read_ahead.hpp"

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

    // Read-ahead for slow links (shell_read_ahead.hpp): with it on, the
    // first stat or read of a path fetches, in the same single command, its
    // lstat, stat and (a readable regular file up to 64 KiB) its bytes, its
    // missing parents, and the paths the next tasks will look at (expect());
    // a change probes the path it changed and the next task's paths again in
    // its own command. invalidate() (the connection calls it for every
    // mutating command) forgets everything; an entry also expires after 5 s.
    void enable_cache(bool on) { m_read_ahead.enable(on); }
    void invalidate() { m_read_ahead.forget(); }
    void expect(std::vector<std::vector<std::string>> by_task) { m_read_ahead.expect(std::move(by_task)); }

    // True the first time a write on this connection, through the shell or
    // over SFTP, goes to `dir`: that write also removes the directory's stale
    // ".upkeep.*" temp files (stale_temp_cleanup_script); once per directory
    // and run is enough. The one record for both paths.
    bool first_write_in(const std::string& dir) { return m_swept_dirs.insert(dir).second; }

private:
    const ProbedPath* probe(const std::string& path);

    CommandResult run_checked(const std::string& script, const std::string& what, const std::string& path,
                              const std::string& stdin_data = "", bool mutating = true);

    CommandRunner m_run;
    std::string m_where;
    ShellReadAhead m_read_ahead;
    std::set<std::string> m_swept_dirs;  // see first_write_in
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
