// The per-host run lock: two runs against the same host at once would
// interleave their edits (each reads, plans and writes on its own), so every
// run takes an exclusive lock on each host for as long as it works on it, and
// a second run fails that host with the holder's identity (or waits with
// --lock-timeout).
//
// The lock is flock(2) on a file of the host: held by the controller process
// itself for local and sandbox hosts, and over SSH by a process on the host
// that lives exactly as long as one channel of the run's session (`cat` on the
// channel's stdin). A lock can therefore never outlive its run: when the
// controller dies, its descriptors close, or sshd closes the channel of the
// dead connection and the holding process ends.
#pragma once

#include <string>

#include "engine/util/error.hpp"

namespace upkeep {

struct RunLockRequest {
    std::string holder;    // who we are, written into the lock file for a second run to report
    double timeout_s = 0;  // how long to wait for a busy lock; 0 fails at once
};

// The host is locked by another run; the message names the holder.
class HostBusyError : public ConnectionError {
public:
    using ConnectionError::ConnectionError;
};

// "controller NAME pid N user U since 2026-11-27T15:04:05Z".
std::string run_lock_holder();

// The lock file's name for an inventory host: "upkeep-<name>.lock", with any
// character outside [A-Za-z0-9._-] replaced (several inventory hosts may be
// the same machine, e.g. test labs on loopback, so the name is part of the key).
std::string run_lock_file_name(const std::string& host_name);

// The message of a busy lock: "<host>: locked by another upkeep run (...)".
std::string run_lock_busy_message(const std::string& host, const std::string& path, const std::string& holder_info,
                                  double waited_s);

// Holds a flock on a local file until destroyed (local and sandbox hosts).
class LocalRunLock {
public:
    // Takes the lock on `path` (created 0644 if missing, never through a
    // symlink) or throws HostBusyError / ConnectionError.
    LocalRunLock(const std::string& host, const std::string& path, const RunLockRequest& req);
    ~LocalRunLock();
    LocalRunLock(const LocalRunLock&) = delete;
    LocalRunLock& operator=(const LocalRunLock&) = delete;

private:
    int m_fd = -1;
};

// The directory for a local host's lock: /run/lock, else /var/lock, else /tmp.
std::string local_run_lock_dir();

// The /bin/sh script that takes the lock on a remote host and then holds it
// while its stdin stays open. It prints one line: "UPKEEP-LOCK-HELD <path>",
// "UPKEEP-LOCK-BUSY <path> [<holder info>]" or "UPKEEP-LOCK-ERROR <why>".
// With hold=false it ends once it holds the lock (descriptor 9) instead of
// holding it with `cat`: the prelude of the long-lived remote shell
// (shell_channel.hpp), which then holds it for as long as it lives.
std::string remote_run_lock_script(const std::string& host_name, const RunLockRequest& req, bool hold = true);

}  // namespace upkeep
