// SshdLab: real OpenSSH sshd daemons on loopback addresses (127.0.0.N:2222),
// each with its own ed25519 host key, all trusting one generated client key.
// Everything lives in a temp dir and every daemon is stopped when the lab dies.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "engine/connection/ssh_options.hpp"
#include "tests/support/test_support.hpp"

namespace upkeep::test {

class SshdLab {
public:
    struct Options {
        int hosts = 1;
        int port = 2222;
        // Each host runs in its own mount namespace with a copy-on-write view of
        // "/" (tmpfs upper dir + overlay + chroot): writes never reach the real
        // root. Off by default: plain daemons start faster.
        bool own_root = false;
        bool password_auth = false;  // also accept passwords (users need a real hash)
        std::vector<std::string> users = {"root"};  // accounts whose authorized key is the client key
    };

    explicit SshdLab(Options opts);
    SshdLab() : SshdLab(Options{}) {}
    ~SshdLab();
    SshdLab(const SshdLab&) = delete;
    SshdLab& operator=(const SshdLab&) = delete;

    int size() const { return static_cast<int>(m_hosts.size()); }
    const std::string& address(int i) const { return m_hosts.at(i).address; }
    int port() const { return m_opts.port; }
    // The known_hosts file listing every host's key as "[127.0.0.N]:2222 ...".
    const std::string& known_hosts() const { return m_known_hosts; }
    const std::string& client_key() const { return m_client_key; }
    const std::string& dir() const { return m_dir.path(); }
    std::string log(int i) const;
    std::string host_public_key(int i) const;  // "ssh-ed25519 AAAA..."
    pid_t pid(int i) const { return m_hosts.at(i).pid; }

    // Options that reach host i as `user` with the client key and the lab's
    // known_hosts, ignoring the real ~/.ssh/config.
    SshOptions options(int i, const std::string& user = "root") const;

    // Stops the daemon and every session it spawned (an abrupt drop of live
    // connections, as when a host dies), then waits for it to exit.
    // `session_signal` SIGTERM lets the sessions end as a service stop does
    // (sshd closes its channels first); the default SIGKILL just cuts them.
    void kill_host(int i, int session_signal = 9);
    // Starts a stopped host again on the same address and key.
    void start_host(int i);
    // own_root hosts only: a reboot. Every process of the host (sshd, its sessions,
    // the daemons they started) is killed, `files_at_boot` (host path -> bytes, e.g.
    // a boot id file) are written into the host's root while it is down, and sshd
    // starts again in the same copy-on-write root: installed packages and files stay,
    // processes are gone, as after a real reboot.
    void reboot_host(int i, const std::vector<std::pair<std::string, std::string>>& files_at_boot = {});

private:
    struct Host {
        std::string address;
        std::string config, host_key, log;
        pid_t pid = -1;
        std::string mnt_ns;  // own_root: the host's mount namespace ("mnt:[inode]")
    };
    void write_config(int i);
    void spawn(int i);
    // own_root: kills every process in host i's mount namespace and waits until they are gone.
    void power_off(int i);

    Options m_opts;
    TempDir m_dir;
    std::string m_client_key, m_known_hosts;
    std::vector<Host> m_hosts;
};

// Ensures a local account exists with a usable (non-locked) password field, so
// that sshd without PAM lets it log in by key. Removed by the destructor when
// this object created it.
class TestUser {
public:
    explicit TestUser(std::string name, std::string password = "");
    ~TestUser();
    const std::string& name() const { return m_name; }
    std::string home() const;

private:
    std::string m_name;
    bool m_created = false;
};

// A sudoers drop-in for one user; removed by the destructor.
class SudoersEntry {
public:
    SudoersEntry(const std::string& name, const std::string& rule);
    ~SudoersEntry();

private:
    std::string m_path;
};

}  // namespace upkeep::test
