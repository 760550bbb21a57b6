#include "tests/support/libvirt_lab.hpp"

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <stdexcept>
#include <thread>

namespace upkeep::test {

LibvirtLab::LibvirtLab() {
    const std::string d = m_dir.path();
    must("mkdir -p " + d + "/host/etc/libvirt " + d + "/run " + d + "/state " + d + "/cache");
    write_file(d + "/libvirtd.conf",
               "unix_sock_dir = \"" + d + "/run\"\n"
               "unix_sock_group = \"root\"\n"
               "auth_unix_rw = \"none\"\n"
               "auth_unix_ro = \"none\"\n"
               "log_outputs = \"3:file:" + d + "/libvirtd.log\"\n");
    // A private mount namespace per daemon start: /etc/libvirt is the lab's, the
    // machine's stays untouched. libvirtd -d daemonizes and writes the pid file.
    write_file(d + "/start.sh",
               "mkdir -p /var/lib/libvirt /var/cache/libvirt\n"
               "unshare --mount --propagation private sh -c 'mount --bind " + d + "/host/etc/libvirt /etc/libvirt && "
               "mount -t tmpfs tmpfs /run && mount --bind " + d + "/state /var/lib/libvirt && "
               "mount --bind " + d + "/cache /var/cache/libvirt && "
               "exec /usr/sbin/libvirtd -d --config " + d + "/libvirtd.conf --pid-file " + d + "/libvirtd.pid'\n"
               "for i in $(seq 300); do [ -S " + d + "/run/libvirt-sock ] && exit 0; sleep 0.05; done\n"
               "echo 'libvirtd did not create its socket' >&2; exit 1\n");
    write_file(d + "/restart.sh",
               "pid=$(cat " + d + "/libvirtd.pid) && kill \"$pid\"\n"
               "while kill -0 \"$pid\" 2>/dev/null; do sleep 0.05; done\n"
               "exec sh " + d + "/start.sh\n");
    Run r = sh("sh " + d + "/start.sh");
    for (int i = 0; r.rc == 0 && i < 300; ++i) {
        if (sh("virsh -q -c '" + qemu_uri() + "' uri >/dev/null 2>&1").rc == 0) return;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    std::string why = r.out + log();
    stop();  // a constructor that throws gets no destructor
    throw std::runtime_error("libvirtd did not answer: " + why);
}

LibvirtLab::~LibvirtLab() { stop(); }

void LibvirtLab::stop() {
    int p = pid();
    if (p <= 0) return;
    ::kill(p, SIGTERM);
    for (int i = 0; i < 200 && ::kill(p, 0) == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(25));
}

int LibvirtLab::pid() const {
    if (!exists(m_dir / "libvirtd.pid")) return -1;
    return std::atoi(read_file(m_dir / "libvirtd.pid").c_str());
}

std::string LibvirtLab::log() const { return exists(m_dir / "libvirtd.log") ? read_file(m_dir / "libvirtd.log") : ""; }

}  // namespace upkeep::test
