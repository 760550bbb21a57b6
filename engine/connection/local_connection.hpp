// LocalConnection: reaches this machine directly (connection `local`), or, with
// a root directory, a directory tree that poses as a host (the *sandbox*).
//
// In the sandbox every absolute host path is mapped under the root
// (`/etc/x` -> `ROOT/etc/x`), so tests, the demo and image builds converge a tree
// exactly as they would converge a host, without root privileges. Paths resolve
// as under chroot(2): `..` stops at the root and symbolic links (absolute ones
// included) are followed inside the tree, never out of it.
#pragma once

#include <ctime>
#include <memory>
#include <string>

#include "engine/connection/connection.hpp"
#include "engine/connection/run_lock.hpp"

namespace upkeep {

class LocalConnection : public Connection {
public:
    // `root` "" acts on this machine's own paths; otherwise it names the sandbox
    // directory (made absolute; it must exist).
    explicit LocalConnection(std::string host_name, std::string root = "");

    const std::string& host_name() const override { return m_host_name; }

    // Runs `/bin/sh -c cmdline` with pipes for stdin/stdout/stderr. In the
    // sandbox the command starts in the root (unless chdir says otherwise, which
    // is mapped under the root), sees UPKEEP_ROOT=<root>, and its PATH is
    // prefixed with ROOT/usr/local/sbin:ROOT/usr/local/bin:ROOT/usr/sbin:
    // ROOT/usr/bin:ROOT/sbin:ROOT/bin so that a sandbox can ship its own tools
    // (a `service` script, a fake `systemctl`) that shadow the machine's.
    CommandResult run(const Command& cmd) override;  // run_unlogged() plus a run-log event
    CommandResult run_unlogged(const Command& cmd);
    bool env_stays_private() const override { return true; }  // execve's envp, never argv

    FileInfo stat(const std::string& path, bool follow = true) override;
    std::optional<std::string> read_file(const std::string& path) override;
    // Streams the file through the digest: a large file is never held whole.
    std::optional<std::string> file_sha256(const std::string& path) override;
    // Atomic replace (mkstemp in the same directory, write, fsync, mode/owner of
    // the old file or opts, SELinux context of the old file, rename, fsync of the
    // directory). A symbolic link at `path` is written through: its target is
    // replaced and the link stays. On failure the old file is untouched.
    WriteResult write_file(const std::string& path, const std::string& content, const WriteOptions& opts) override;
    std::string write_temp_file(const std::string& dir, const std::string& content) override;
    void make_dirs(const std::string& path, std::optional<uint32_t> mode) override;
    void remove(const std::string& path, bool recursive) override;
    void set_attributes(const std::string& path, std::optional<uint32_t> mode, const std::string& owner,
                        const std::string& group) override;
    // In the sandbox an absolute target is mapped under the root too, so the link
    // resolves inside the tree; stat() reports it unmapped again.
    void symlink(const std::string& target, const std::string& path) override;
    std::vector<std::string> list_dir(const std::string& path) override;
    std::string command_path(const std::string& path) override { return map_path(path); }
    // flock held by this process: /run/lock/upkeep-<host>.lock for the
    // machine, a file named after the root for a sandbox (nothing is added
    // inside the sandbox tree).
    void lock_run(const RunLockRequest& req) override;

    // The sandbox root ("" for the machine itself).
    const std::string& root() const { return m_root; }
    // The local path for a host path: identity without a root; otherwise the
    // path resolved under the root as chroot(2) would: symbolic links are
    // expanded with absolute targets taken from the root, ".." stops at the
    // root, so nothing a sandbox's tree contains can lead outside it. With
    // !follow_last a link in the last component is left as is (lstat, unlink).
    std::string map_path(const std::string& path, bool follow_last = true) const;
    // The host path for a local path under the root (inverse of map_path).
    std::string unmap_path(const std::string& local) const;

    // Temp files ".upkeep.*" older than this are left-overs of a killed run.
    static constexpr time_t k_stale_temp_seconds = 3600;

private:
    // Removes our stale ".upkeep.*" temp files in a local directory.
    static void remove_stale_temps(const std::string& dir);

    std::string m_host_name;
    std::string m_root;
    std::unique_ptr<LocalRunLock> m_run_lock;
};

// Resolves a user name or a numeric uid; throws TaskError for an unknown name.
uint32_t resolve_uid(const std::string& owner);
// Resolves a group name or a numeric gid; throws TaskError for an unknown name.
uint32_t resolve_gid(const std::string& group);

}  // namespace upkeep
