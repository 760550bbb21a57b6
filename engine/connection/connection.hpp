// Connection: how the engine reaches a host. Connections only move bytes and run
// commands; they never decide anything (pyinfra's connectors, ninja's runners).
// Implementations: local (this machine), sandbox (a directory tree posing as a
// host), ssh (libssh + SFTP), and planned (the dry-run overlay, see planned_connection.hpp).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/util/shared_text.hpp"

namespace upkeep {

// Members have default member initialisers so that Command{.cmdline = "..."} leaves the
// rest out without a -Wmissing-field-initializers warning.
struct Command {
    std::string cmdline{};                     // run by /bin/sh -c on the target
    std::string stdin_data{};                  // fed on stdin: secrets travel here, never in argv
    std::string chdir{};                       // working directory; "" keeps the default
    std::map<std::string, std::string> env{};  // extra environment
    // A query only reads state, so it runs even in a dry run. A mutating command
    // is recorded as "would run" by the planned-state overlay instead of running.
    bool mutating = true;
};

struct CommandResult {
    int rc = 0;
    std::string out;
    std::string err;
    bool executed = true;  // false: a dry run recorded it instead of running it
};

struct FileInfo {
    enum class Kind { Missing, File, Dir, Link, Other };
    Kind kind = Kind::Missing;
    uint32_t mode = 0;  // permission bits, 07777
    uint32_t uid = 0, gid = 0;
    std::string owner, group;  // names when resolvable, else the numbers as text
    uint64_t size = 0;
    std::string link_target;  // for links (stat without follow)
    std::string special;      // Kind::Other: "FIFO", "socket", "character device" or "block device"

    bool exists() const { return kind != Kind::Missing; }
    bool is_dir() const { return kind == Kind::Dir; }
    bool is_file() const { return kind == Kind::File; }
    bool is_link() const { return kind == Kind::Link; }
    // "a FIFO" style text for messages about a non-regular file.
    std::string kind_text() const;
};

// Names the type behind POSIX st_mode bits (S_IFMT) for FileInfo::special.
std::string special_kind_name(uint32_t ifmt);

struct WriteOptions {
    std::optional<uint32_t> mode;  // unset: keep the old file's mode, or 0644 for a new file
    std::string owner;             // "": keep the old owner (or the connection user's)
    std::string group;
    // Keep the old file as "<path>.<pid>.<timestamp>~" (Ansible's naming); a
    // second backup of the same file in the same second gets ".<n>~" instead of
    // overwriting the first (every backup is created with O_EXCL).
    bool backup = false;
    // true: a symbolic link at the path is written through (its target gets the
    // bytes, the link stays). false: the link itself is replaced by the file
    // (copy's follow: false, as Ansible).
    bool follow = true;
};

// Longest file read_file() accepts: a host must not make the controller read
// without end (a growing file, a device). Larger files are refused with an error.
constexpr uint64_t k_max_read_bytes = 1ull << 30;

struct WriteResult {
    std::string backup_path;  // "" when no backup was made
};

struct RunLockRequest;  // run_lock.hpp

class Connection {
public:
    virtual ~Connection() = default;

    // The inventory name of the host this connection reaches.
    virtual const std::string& host_name() const = 0;
    // Opens the connection; throws ConnectionError when the host is unreachable.
    virtual void connect() {}
    virtual void close() {}

    // Runs a shell command line; never throws for a non-zero exit, only for a
    // broken connection (ConnectionError).
    virtual CommandResult run(const Command& cmd) = 0;

    // stat (lstat when !follow); kind Missing when the path does not exist.
    virtual FileInfo stat(const std::string& path, bool follow = true) = 0;
    // The file's bytes, or nullopt when it does not exist. Throws TaskError on
    // other errors (permission denied, a directory).
    virtual std::optional<std::string> read_file(const std::string& path) = 0;
    // Atomic replace: temp file in the same directory, fsync, rename; keeps the
    // old file's owner and mode unless opts say otherwise.
    virtual WriteResult write_file(const std::string& path, const std::string& content,
                                   const WriteOptions& opts) = 0;
    // The same as read_file/write_file with the bytes shared instead of copied: a
    // connection that keeps what it is given (the dry-run overlay) holds the plan's
    // own buffer and hands it back on the next read, so a large file is not held
    // once per hand-over (issue 7.15). The defaults fall back to the copying calls.
    virtual SharedText read_shared(const std::string& path) { return SharedText(read_file(path)); }
    virtual WriteResult write_shared(const std::string& path, const SharedText& content, const WriteOptions& opts) {
        return write_file(path, *content, opts);
    }
    // The SHA-256 (hex) of a regular file's bytes, nullopt when it does not exist.
    // Lets a module learn that a large file already holds the wanted bytes without
    // moving them to the controller: a connection computes it where the file is
    // (a local stream, `sha256sum` on an SSH host). The default reads the file.
    virtual std::optional<std::string> file_sha256(const std::string& path);
    // A private scratch copy of `content` for a `validate:` command: a new file
    // with a random ".upkeep.*" name in `dir`, created O_EXCL|O_NOFOLLOW with
    // mode 0600. Returns its host path; remove it with remove_temp_file(). The
    // dry-run overlay passes both through to the host, so `--check` validates
    // the very bytes the real run would (and leaves nothing behind).
    virtual std::string write_temp_file(const std::string& dir, const std::string& content) = 0;
    virtual void remove_temp_file(const std::string& path) { remove(path, false); }
    // mkdir -p; `mode` applies to the directories it creates.
    virtual void make_dirs(const std::string& path, std::optional<uint32_t> mode) = 0;
    // Removes a file, link or (with recursive) a directory tree; absent is fine.
    virtual void remove(const std::string& path, bool recursive) = 0;
    // chmod/chown; empty owner/group and unset mode are left alone.
    virtual void set_attributes(const std::string& path, std::optional<uint32_t> mode, const std::string& owner,
                                const std::string& group) = 0;
    // Creates or replaces a symbolic link at `path` pointing to `target`.
    virtual void symlink(const std::string& target, const std::string& path) = 0;
    // Names in a directory (no "." or ".."); empty when it does not exist.
    virtual std::vector<std::string> list_dir(const std::string& path) = 0;
    // How a command run by run() names the host path `path`. The same path on
    // a real host; a sandbox maps it under its root, so `validate: cmd %s`
    // checks the sandbox's temp file and not the machine's.
    virtual std::string command_path(const std::string& path) { return path; }
    // Asks leave for an effect that bypasses this connection (a database reached
    // from the controller, a remote API). Real connections grant it; the dry-run
    // overlay records `what` as "would run" and refuses, so such a module's
    // apply() stays the same code in both runs, as with mutating commands.
    virtual bool allow_external_effect(const std::string& /*what*/) { return true; }
    // Takes this host's run lock (see run_lock.hpp) for as long as the
    // connection lives; throws HostBusyError when another run holds it.
    virtual void lock_run(const RunLockRequest& /*req*/) {}
    // Read-ahead for slow links: whether the connection can use the paths the
    // coming tasks will look at (announcing them costs the executor a
    // rendering of those tasks' arguments), and the announcement itself,
    // the next task's paths first. Only a hint: a path announced but never
    // looked at costs a stat on the host, one looked at but not announced a
    // round trip, nothing else.
    virtual bool wants_path_hints() { return false; }
    virtual void expect_paths(std::vector<std::vector<std::string>> /*by_task*/) {}
    // The connection that really reaches the host: itself, or for an overlay (the
    // dry run's planned state) the wrapped one. Lets a module that talks to the
    // host by another route (libvirt's API) learn the address and credentials.
    virtual Connection& underlying() { return *this; }
    // Service state the dry-run overlay planned for `name` (a service stopped or
    // started by an earlier task of this run): nullopt on real connections and for
    // services no task touched, so the host's answer stands.
    virtual std::optional<bool> planned_service_running(const std::string& /*name*/) { return std::nullopt; }
    // Records that a service action left `name` running or stopped. Real
    // connections ignore it (the host itself knows); the overlay keeps it so the
    // next task's check sees the planned state, as with files.
    virtual void note_service_state(const std::string& /*name*/, bool /*running*/) {}
    // A file that a planned step may leave behind but that the dry run cannot
    // foresee (a package upgrade's .dpkg-dist/.rpmnew next to an operator-edited
    // config file: it appears only when the new package's file differs). Real
    // connections ignore the note (the host itself shows what appeared); the
    // overlay keeps it, so a later task can plan "depends on the upgrade" honestly
    // instead of "nothing to do". pending_file() gives the reason, or nullopt.
    virtual void note_pending_file(const std::string& /*path*/, const std::string& /*reason*/) {}
    virtual std::optional<std::string> pending_file(const std::string& /*path*/) { return std::nullopt; }
    // Warnings the connection gathered since the last call (a changed host key
    // let through by StrictHostKeyChecking=no...), for the reporter to show.
    virtual std::vector<std::string> take_warnings() { return {}; }
    // Whether Command::env reaches the command without ever being in any process's
    // argv (a local execve's envp). A remote connection that sends `env K=V ...`
    // does not; EnvConnection then feeds a task's `environment:` on stdin instead.
    virtual bool env_stays_private() const { return false; }
};

using ConnectionPtr = std::unique_ptr<Connection>;

}  // namespace upkeep
