// LibvirtLab: a real libvirtd for integration tests, with its own config file,
// socket directory, pid file and log in a temp dir. Its /etc/libvirt is a
// directory of the lab (bind-mounted in a private mount namespace), which is the
// `etc/libvirt` of a sandbox host root: a hook that upkeep installs on that
// sandbox host is the hook this daemon runs (libvirt's hook directory is fixed
// at build time to /etc/libvirt/hooks). No QEMU binary is needed: the daemon's
// test driver (test+unix://) serves domains, the qemu driver answers qemu+unix://.
#pragma once

#include <string>

#include "tests/support/test_support.hpp"

namespace upkeep::test {

class LibvirtLab {
public:
    LibvirtLab();  // starts the daemon and waits until its API answers
    ~LibvirtLab();
    LibvirtLab(const LibvirtLab&) = delete;
    LibvirtLab& operator=(const LibvirtLab&) = delete;

    // The sandbox host root whose etc/libvirt the daemon sees as /etc/libvirt.
    std::string host_root() const { return m_dir / "host"; }
    std::string socket() const { return m_dir / "run/libvirt-sock"; }
    std::string test_uri() const { return "test+unix:///default?socket=" + socket(); }
    std::string qemu_uri() const { return "qemu+unix:///system?socket=" + socket(); }
    // A command line that restarts the daemon (stop, wait for the process to go, start).
    std::string restart_command() const { return "sh " + (m_dir / "restart.sh"); }
    std::string log() const;
    int pid() const;

private:
    void stop();
    TempDir m_dir;
};

}  // namespace upkeep::test
