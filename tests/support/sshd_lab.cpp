#include "tests/support/sshd_lab.hpp"

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <map>
#include <set>
#include <stdexcept>
#include <thread>

#include "engine/util/strings.hpp"

namespace upkeep::test {

namespace {

// Whether nothing listens on addr:port (a bind probe; the daemon may still
// lose a race, which spawn() notices).
bool port_free(const std::string& addr, int port) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return false;
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(static_cast<uint16_t>(port));
    inet_pton(AF_INET, addr.c_str(), &sa.sin_addr);
    bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0;
    ::close(fd);
    return ok;
}

bool can_connect(const std::string& addr, int port) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return false;
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(static_cast<uint16_t>(port));
    inet_pton(AF_INET, addr.c_str(), &sa.sin_addr);
    bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0;
    ::close(fd);
    return ok;
}

// Every process below `root` (sshd's per-connection children call setsid(),
// so a process group would miss them).
std::vector<pid_t> descendants(pid_t root) {
    std::multimap<pid_t, pid_t> children;
    if (DIR* d = opendir("/proc")) {
        while (dirent* e = readdir(d)) {
            pid_t pid = static_cast<pid_t>(std::atoi(e->d_name));
            if (pid <= 0) continue;
            std::ifstream in(std::string("/proc/") + e->d_name + "/stat");
            std::string line;
            if (!std::getline(in, line)) continue;
            size_t close = line.rfind(')');
            if (close == std::string::npos) continue;
            char state;
            int ppid = 0;
            if (std::sscanf(line.c_str() + close + 1, " %c %d", &state, &ppid) == 2) children.emplace(ppid, pid);
        }
        closedir(d);
    }
    std::vector<pid_t> out, todo{root};
    while (!todo.empty()) {
        pid_t p = todo.back();
        todo.pop_back();
        auto [b, e] = children.equal_range(p);
        for (auto it = b; it != e; ++it) {
            out.push_back(it->second);
            todo.push_back(it->second);
        }
    }
    return out;
}


}  // namespace

SshdLab::SshdLab(Options opts) : m_opts(std::move(opts)) {
    ::mkdir("/run/sshd", 0755);
    // sshd reads authorized keys as the target user: the lab dir must be traversable.
    ::chmod(m_dir.path().c_str(), 0755);
    m_client_key = m_dir / "client_key";
    must("ssh-keygen -q -t ed25519 -N '' -C upkeep-lab-client -f " + shell_quote(m_client_key));
    must("mkdir -p " + shell_quote(m_dir / "authorized_keys"));
    for (const auto& u : m_opts.users) must("cp " + shell_quote(m_client_key + ".pub") + " " + shell_quote(m_dir / ("authorized_keys/" + u)));
    must("chmod -R a+rX " + shell_quote(m_dir / "authorized_keys"));

    // Spread labs of parallel test runs over the 127.0.0.0/8 range.
    int next = 10 + static_cast<int>(::getpid() % 200);
    std::string kh;
    for (int i = 0; i < m_opts.hosts; ++i) {
        Host h;
        for (int tries = 0; tries < 245; ++tries, next = next >= 254 ? 2 : next + 1) {
            std::string a = "127.0.0." + std::to_string(next);
            if (port_free(a, m_opts.port)) {
                h.address = a;
                next = next >= 254 ? 2 : next + 1;
                break;
            }
        }
        if (h.address.empty()) throw std::runtime_error("no free 127.0.0.N:" + std::to_string(m_opts.port));
        h.host_key = m_dir / ("host" + std::to_string(i) + "_ed25519");
        h.config = m_dir / ("sshd" + std::to_string(i) + ".conf");
        h.log = m_dir / ("sshd" + std::to_string(i) + ".log");
        must("ssh-keygen -q -t ed25519 -N '' -C lab-host" + std::to_string(i) + " -f " + shell_quote(h.host_key));
        m_hosts.push_back(h);
        write_config(i);
        kh += "[" + h.address + "]:" + std::to_string(m_opts.port) + " " + host_public_key(i) + "\n";
    }
    m_known_hosts = m_dir / "known_hosts";
    write_file(m_known_hosts, kh);
    try {
        if (m_opts.own_root) {
            // Each host's copy-on-write layer lives on a tmpfs mounted here, outside the
            // host's namespace, so it outlives a reboot (reboot_host) of the host.
            for (int i = 0; i < size(); ++i) {
                std::string cow = m_dir / ("cow" + std::to_string(i));
                must("mkdir -p " + shell_quote(cow) + " && mount -t tmpfs tmpfs " + shell_quote(cow) + " && mkdir -p " +
                     shell_quote(cow + "/upper") + " " + shell_quote(cow + "/work") + " " + shell_quote(cow + "/root"));
            }
        }
        for (int i = 0; i < size(); ++i) spawn(i);
    } catch (...) {
        for (int i = 0; i < size(); ++i) m_opts.own_root ? power_off(i) : kill_host(i);
        if (m_opts.own_root) sh("umount -l " + shell_quote(m_dir.path()) + "/cow* 2>/dev/null");
        throw;
    }
}

SshdLab::~SshdLab() {
    for (int i = 0; i < size(); ++i) m_opts.own_root ? power_off(i) : kill_host(i);
    if (m_opts.own_root)
        for (int i = 0; i < size(); ++i) sh("umount -l " + shell_quote(m_dir / ("cow" + std::to_string(i))));
}

void SshdLab::write_config(int i) {
    const Host& h = m_hosts[i];
    std::string c;
    c += "Port " + std::to_string(m_opts.port) + "\n";
    c += "ListenAddress " + h.address + "\n";
    c += "HostKey " + h.host_key + "\n";
    c += "PidFile " + (m_dir / ("sshd" + std::to_string(i) + ".pid")) + "\n";
    c += "AuthorizedKeysFile " + (m_dir / "authorized_keys/%u") + "\n";
    c += std::string("PermitRootLogin ") + (m_opts.password_auth ? "yes" : "prohibit-password") + "\n";
    c += std::string("PasswordAuthentication ") + (m_opts.password_auth ? "yes" : "no") + "\n";
    c += "KbdInteractiveAuthentication no\n";
    c += "UsePAM no\nStrictModes no\n";
    c += "Subsystem sftp internal-sftp\n";
    c += "MaxStartups 200:30:400\nMaxSessions 100\n";
    c += "LogLevel VERBOSE\n";
    write_file(h.config, c);
}

void SshdLab::spawn(int i) {
    Host& h = m_hosts[i];
    std::vector<std::string> argv;
    if (m_opts.own_root) {
        std::string cow = m_dir / ("cow" + std::to_string(i));
        must("mkdir -p " + shell_quote(cow));
        // Inside a private mount namespace: a tmpfs holds the overlay's upper
        // layer, the real / is the lower one, and the lab dir is shared so the
        // test sees the logs. The chrooted sshd is the process we hold.
        std::string root = cow + "/root";
        // After a reboot the old namespace's overlay may take a moment to be released.
        std::string script =
            "set -e; C=" + shell_quote(cow) + "; ok=; for t in $(seq 100); do "
            "if mount -t overlay overlay -o lowerdir=/,upperdir=\"$C/upper\",workdir=\"$C/work\" \"$C/root\" 2>/dev/null; "
            "then ok=1; break; fi; sleep 0.05; done; [ -n \"$ok\" ]; "
            "for m in /proc /dev /dev/pts /sys; do mount --bind $m \"$C/root$m\"; done; "
            "mkdir -p \"$C/root" + m_dir.path() + "\" \"$C/root/run/sshd\"; mount --bind " + shell_quote(m_dir.path()) + " \"$C/root" + m_dir.path() + "\"; "
            "hostname lab-host" + std::to_string(i) + "; "
            // This image's root ~/.bashrc runs `pyenv rehash` at every login; a login
            // cut short leaves its lock behind and every later root login of that host
            // waits 60 s. The lab host's own copy (in its upper layer) is empty.
            "if [ -f \"$C/root/root/.bashrc\" ]; then : > \"$C/root/root/.bashrc\"; fi; "
            "exec chroot \"$C/root\" /usr/sbin/sshd -D -f " + shell_quote(h.config) + " -E " + shell_quote(h.log);
        argv = {"/usr/bin/unshare", "--mount", "--uts", "--propagation", "private", "/bin/sh", "-c", script};
    } else {
        argv = {"/usr/sbin/sshd", "-D", "-f", h.config, "-E", h.log};
    }
    pid_t pid = ::fork();
    if (pid < 0) throw std::runtime_error("fork failed");
    if (pid == 0) {
        std::vector<char*> args;
        for (auto& a : argv) args.push_back(a.data());
        args.push_back(nullptr);
        ::execv(args[0], args.data());
        ::_exit(127);
    }
    h.pid = pid;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!can_connect(h.address, m_opts.port)) {
        int st = 0;
        if (::waitpid(pid, &st, WNOHANG) == pid) {
            h.pid = -1;
            std::string logtext = exists(h.log) ? read_file(h.log) : "";
            throw std::runtime_error("sshd for " + h.address + " exited: " + logtext);
        }
        if (std::chrono::steady_clock::now() > deadline) {
            kill_host(i);
            throw std::runtime_error("sshd for " + h.address + " did not start listening");
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    if (m_opts.own_root) {
        char buf[128] = {};
        ssize_t n = ::readlink(("/proc/" + std::to_string(pid) + "/ns/mnt").c_str(), buf, sizeof buf - 1);
        h.mnt_ns = n > 0 ? std::string(buf, n) : "";
    }
}

void SshdLab::power_off(int i) {
    Host& h = m_hosts.at(i);
    kill_host(i);
    if (h.mnt_ns.empty()) return;
    auto in_host = [&] {
        std::vector<pid_t> found;
        if (DIR* d = opendir("/proc")) {
            while (dirent* e = readdir(d)) {
                pid_t pid = static_cast<pid_t>(std::atoi(e->d_name));
                if (pid <= 0) continue;
                char buf[128] = {};
                ssize_t n = ::readlink(("/proc/" + std::to_string(pid) + "/ns/mnt").c_str(), buf, sizeof buf - 1);
                if (n > 0 && std::string(buf, n) == h.mnt_ns) found.push_back(pid);
            }
            closedir(d);
        }
        return found;
    };
    // Processes of this host only: they share its private mount namespace.
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    for (auto pids = in_host(); !pids.empty() && std::chrono::steady_clock::now() < deadline; pids = in_host()) {
        for (pid_t p : pids) ::kill(p, SIGKILL);
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    h.mnt_ns.clear();
}

void SshdLab::reboot_host(int i, const std::vector<std::pair<std::string, std::string>>& files_at_boot) {
    if (!m_opts.own_root) throw std::runtime_error("reboot_host needs own_root hosts");
    power_off(i);
    std::string upper = m_dir / ("cow" + std::to_string(i) + "/upper");
    for (const auto& [path, content] : files_at_boot) {
        must("mkdir -p " + shell_quote(upper + path.substr(0, path.rfind('/'))));
        write_file(upper + path, content);
    }
    spawn(i);
}

void SshdLab::kill_host(int i, int session_signal) {
    Host& h = m_hosts.at(i);
    if (h.pid <= 0) return;
    // Stop the listener first so no new session appears while we collect them.
    ::kill(h.pid, SIGSTOP);
    if (session_signal != SIGKILL) {
        for (pid_t p : descendants(h.pid)) ::kill(p, session_signal);
        // They stay zombies under the stopped listener: give them time to close.
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
    }
    for (pid_t p : descendants(h.pid)) ::kill(p, SIGKILL);
    ::kill(h.pid, SIGKILL);
    ::kill(h.pid, SIGCONT);
    int st = 0;
    ::waitpid(h.pid, &st, 0);
    h.pid = -1;
}

void SshdLab::start_host(int i) {
    if (m_hosts.at(i).pid > 0) return;
    spawn(i);
}

std::string SshdLab::log(int i) const {
    const std::string& p = m_hosts.at(i).log;
    return exists(p) ? read_file(p) : "";
}

std::string SshdLab::host_public_key(int i) const {
    std::string pub = trim(read_file(m_hosts.at(i).host_key + ".pub"));
    auto parts = split(pub, ' ');
    return parts.size() >= 2 ? parts[0] + " " + parts[1] : pub;
}

SshOptions SshdLab::options(int i, const std::string& user) const {
    SshOptions o;
    o.host_name = "host" + std::to_string(i);
    o.address = address(i);
    o.port = m_opts.port;
    o.user = user;
    o.identity_files = {m_client_key};
    o.known_hosts_file = m_known_hosts;
    o.ssh_config_file = "none";
    o.connect_timeout_s = 5;
    // These tests exercise SFTP; upkeep_ssh_files=auto could take a stall of
    // a loaded machine for a slow link and pick the shell (tested on its own
    // behind a delay proxy in ssh_shell_channel_test).
    o.files_via = "sftp";
    return o;
}

TestUser::TestUser(std::string name, std::string password) : m_name(std::move(name)) {
    if (sh("id -u " + shell_quote(m_name) + " >/dev/null 2>&1").rc != 0) {
        must("useradd -m -s /bin/sh " + shell_quote(m_name));
        m_created = true;
    }
    // sshd without PAM refuses accounts whose password field is locked ("!").
    must("usermod -p '*' " + shell_quote(m_name));
    if (!password.empty()) {
        Run r = sh("printf '%s:%s\\n' " + shell_quote(m_name) + " " + shell_quote(password) + " | chpasswd");
        if (r.rc != 0) throw std::runtime_error("chpasswd failed: " + r.out);
    }
}

TestUser::~TestUser() {
    if (m_created) sh("userdel -r " + shell_quote(m_name) + " >/dev/null 2>&1");
}

std::string TestUser::home() const { return trim(sh("getent passwd " + shell_quote(m_name) + " | cut -d: -f6").out); }

SudoersEntry::SudoersEntry(const std::string& name, const std::string& rule) : m_path("/etc/sudoers.d/" + name) {
    write_file(m_path, rule + "\n");
    ::chmod(m_path.c_str(), 0440);
    Run r = sh("visudo -cf " + shell_quote(m_path));
    if (r.rc != 0) {
        ::unlink(m_path.c_str());
        throw std::runtime_error("bad sudoers rule: " + r.out);
    }
}

SudoersEntry::~SudoersEntry() { ::unlink(m_path.c_str()); }

}  // namespace upkeep::test
