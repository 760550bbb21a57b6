// SshConnection: reaches a host over SSH with libssh, keeping one session per
// host for the whole run.
#pragma once

#include <libssh/libssh.h>
#include <libssh/sftp.h>

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "engine/connection/become.hpp"
#include "engine/connection/connection.hpp"
#include "engine/connection/id_table.hpp"
#include "engine/connection/run_lock.hpp"
#include "engine/connection/shell_channel.hpp"
#include "engine/connection/shell_files.hpp"
#include "engine/connection/ssh_options.hpp"

namespace upkeep {

// Design:
// - One libssh session is opened in connect() (or lazily by the first call)
//   and reused by every call: each command is an exec channel on it (a few ms)
//   and all file operations share one SFTP session opened on first use. If the
//   session dropped between calls, the next call reconnects once; a drop in the
//   middle of a command is a ConnectionError (the command may have run).
// - Without become, or when become_user is the login user, file operations use
//   SFTP as the login user. Under become to another user, SFTP would act with
//   the wrong identity, so every file operation is one shell command run
//   through sudo/su (ShellFiles): the same code path for reads and writes, and
//   a write streams its bytes on stdin into a temp file next to the target
//   (never a world-readable staging copy), then renames it over the target.
// - write_file over SFTP: temp file ".upkeep.XXXXXXXX" (O_EXCL, 0600) in the
//   target's directory, fsync@openssh.com when offered, owner/mode copied from
//   the old file, then the rename. libssh 0.10's sftp_rename sends the plain
//   SFTPv3 RENAME, which OpenSSH refuses over an existing file (it does not use
//   posix-rename@openssh.com), so replacing an existing file is one `mv -f`
//   command (rename(2), atomic) that also takes the backup copy. A failed write
//   removes its temp file; if the connection died, the temp file is removed
//   after the next successful reconnect.
// - Secrets (passwords, stdin_data) only ever travel on a channel's stdin.
//   Under become, the password is written only in answer to sudo's/su's
//   prompt, and the command's stdin only after the payload printed its marker
//   (see become.hpp), so input never reaches sudo as a password attempt.
class SshConnection : public Connection {
public:
    explicit SshConnection(SshOptions opts);
    ~SshConnection() override;
    SshConnection(const SshConnection&) = delete;
    SshConnection& operator=(const SshConnection&) = delete;

    const std::string& host_name() const override { return m_opts.host_name; }
    void connect() override;
    void close() override;

    CommandResult run(const Command& cmd) override;  // run_unlogged() plus a run-log event
    CommandResult run_unlogged(const Command& cmd);
    FileInfo stat(const std::string& path, bool follow = true) override;
    std::optional<std::string> read_file(const std::string& path) override;
    // `sha256sum` on the host (one command): a large file that already holds the
    // wanted bytes is not moved to the controller. Falls back to reading it.
    std::optional<std::string> file_sha256(const std::string& path) override;
    WriteResult write_file(const std::string& path, const std::string& content, const WriteOptions& opts) override;
    std::string write_temp_file(const std::string& dir, const std::string& content) override;
    void remove_temp_file(const std::string& path) override;
    void make_dirs(const std::string& path, std::optional<uint32_t> mode) override;
    void remove(const std::string& path, bool recursive) override;
    void set_attributes(const std::string& path, std::optional<uint32_t> mode, const std::string& owner,
                        const std::string& group) override;
    void symlink(const std::string& target, const std::string& path) override;
    std::vector<std::string> list_dir(const std::string& path) override;

    // A process on the host takes the lock and holds it while one channel of
    // this session stays open; a reconnect takes it again (and fails if
    // another run got it in between).
    void lock_run(const RunLockRequest& req) override;
    bool wants_path_hints() override;
    void expect_paths(std::vector<std::vector<std::string>> by_task) override;
    std::vector<std::string> take_warnings() override { return std::exchange(m_warnings, {}); }

    const SshOptions& options() const { return m_opts; }
    // How many SSH sessions this connection has opened (1 + reconnects).
    int sessions_opened() const { return m_sessions_opened; }
    // The exact command line of the last exec request (lets tests check that
    // no secret reaches argv).
    const std::string& last_exec_cmdline() const { return m_last_exec; }
    // "addr:port" (or "user@addr:port") as used in error messages.
    std::string endpoint() const;

private:
    struct SessionLost {};  // the session died under an operation; retry after reconnect

    void open_session();          // logs the outcome (run_log.hpp), then:
    void open_session_logged();   // connects, verifies the host key, authenticates
    void set_session_options(ssh_session s, long timeout);
    // TCP (and banner) within the connect timeout, then libssh's key exchange.
    void connect_transport(ssh_session s, long timeout);
    void verify_and_authenticate(ssh_session s);
    void drop_session();
    bool session_alive() const;
    void ensure_connected();
    template <class F>
    auto with_session(const char* what, F&& f) -> decltype(f());

    void authenticate();
    void take_run_lock();
    // A lock answer other than "held" (`out`/`err` of the lock command):
    // throws HostBusyError or ConnectionError, or warns under upkeep_run_lock=false.
    void lock_not_held(const std::string& out, const std::string& err, bool timed_out);
    // Runs one command on a new channel. Under become, answers the password
    // prompt and holds stdin back until the payload's marker arrived.
    CommandResult exec(const std::string& cmdline, const std::string& stdin_data,
                       const BecomeCommand* become = nullptr);
    // Runs a script as the login user (or under become) on the long-lived
    // shell (shell_channel.hpp), starting it on first use; falls back to one
    // exec channel per command where the host cannot run it.
    CommandResult shell_exec(const std::string& script, const std::string& stdin_data, bool become);
    bool files_via_shell();

    sftp_session sftp();
    [[noreturn]] void sftp_fail(const std::string& what, const std::string& path);
    // sftp_fail for a failed write of `need` more bytes into `dir`: names a full
    // disk ("No space left on device"), which the SFTP status code cannot.
    [[noreturn]] void sftp_fail_write(const std::string& what, const std::string& path, const std::string& dir, uint64_t need);
    // Removes our stale ".upkeep.*" temp files in `dir` (once per connection).
    void remove_stale_temps(const std::string& dir);
    FileInfo sftp_stat(const std::string& path, bool follow);
    void load_id_names();
    std::string user_name(uint32_t uid);
    std::string group_name(uint32_t gid);
    uint32_t resolve_user(const std::string& name);
    uint32_t resolve_group(const std::string& name);
    WriteResult sftp_write_file(const std::string& path, const std::string& content, const WriteOptions& opts);
    // The steps of sftp_write_file: where the bytes go (through a link or
    // not) and what is there now; the temp file filled and fsynced; its owner
    // and mode; the rename over the target (with the backup, by one command).
    struct SftpTarget {
        std::string real;
        FileInfo old;
        bool replace_link = false;
    };
    SftpTarget sftp_write_target(const std::string& path, bool follow);
    void sftp_upload(const std::string& tmp, const std::string& path, const std::string& content);
    void sftp_set_temp_attributes(const std::string& tmp, const std::string& path, const FileInfo& old,
                                  const WriteOptions& opts);
    WriteResult sftp_replace(const std::string& tmp, const SftpTarget& t, const std::string& path, bool backup);
    void cleanup_pending_temps();

    SshOptions m_opts;
    ssh_session m_session = nullptr;
    sftp_session m_sftp = nullptr;
    bool m_has_fsync = false;
    int m_sessions_opened = 0;
    std::string m_last_exec;
    bool m_host_key_changed = false;  // let through by StrictHostKeyChecking=no: no passwords
    std::vector<std::string> m_warnings;
    std::optional<RunLockRequest> m_lock_request;
    ssh_channel m_lock_channel = nullptr;  // its remote process holds the run lock (else the login shell does)
    bool m_lock_skipped = false;           // upkeep_run_lock=false and the host gave none
    bool m_ids_loaded = false;
    std::shared_ptr<const IdTable> m_passwd, m_group;  // shared between hosts with the same file
    std::map<std::string, uint32_t> m_nss_users, m_nss_groups;  // names only `id`/`getent` knew
    std::set<std::string> m_pending_temps;  // temp files a broken write may have left
    std::unique_ptr<ShellFiles> m_shell_files;
    std::unique_ptr<ShellChannel> m_login_shell, m_become_shell;
    bool m_login_shell_off = false, m_become_shell_off = false;  // the host cannot run it: exec per command
    int m_files_via_shell = -1;  // -1 undecided (upkeep_ssh_files=auto), 0 SFTP, 1 shell
};

}  // namespace upkeep
