#include "engine/connection/run_lock.hpp"

#include <fcntl.h>
#include <pwd.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <thread>

#include "engine/util/strings.hpp"

namespace upkeep {

namespace {

std::string now_utc() {
    std::time_t t = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

// The holder line of a lock file: only its first line, printable characters.
std::string clean_info(const std::string& raw) {
    std::string line = raw.substr(0, raw.find('\n'));
    std::string out;
    for (char c : line.substr(0, 400))
        out += (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) ? '?' : c;
    return trim(out);
}

bool pid_alive(const std::string& info) {
    size_t at = info.find("hostpid ");
    if (at == std::string::npos) return false;
    std::string pid = info.substr(at + 8);
    pid = pid.substr(0, pid.find(' '));
    if (pid.empty() || pid.find_first_not_of("0123456789") != std::string::npos) return false;
    struct stat st {};
    return ::stat(("/proc/" + pid).c_str(), &st) == 0;
}

}  // namespace

std::string run_lock_holder() {
    char host[256] = {0};
    ::gethostname(host, sizeof host - 1);
    std::string user = std::to_string(::geteuid());
    if (const passwd* pw = ::getpwuid(::geteuid())) user = pw->pw_name;
    return "controller " + std::string(host) + " pid " + std::to_string(::getpid()) + " user " + user + " since " +
           now_utc();
}

std::string run_lock_file_name(const std::string& host_name) {
    std::string n;
    for (char c : host_name.substr(0, 100))
        n += std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_' ? c : '_';
    return "upkeep-" + n + ".lock";
}

std::string run_lock_busy_message(const std::string& host, const std::string& path, const std::string& holder_info,
                                  double waited_s) {
    std::string who = holder_info.empty() ? "holder unknown" : holder_info;
    std::string msg = host + ": locked by another upkeep run (" + who + "; lock file " + path + ")";
    if (waited_s > 0) msg += ", still busy after waiting " + std::to_string(static_cast<long>(waited_s)) + " s";
    return msg + "; wait for it to finish, or give --lock-timeout SECONDS to wait";
}

std::string local_run_lock_dir() {
    for (const char* d : {"/run/lock", "/var/lock"})
        if (::access(d, W_OK | X_OK) == 0) return d;
    const char* tmp = std::getenv("TMPDIR");
    return tmp && *tmp ? tmp : "/tmp";
}

LocalRunLock::LocalRunLock(const std::string& host, const std::string& path, const RunLockRequest& req) {
    m_fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (m_fd < 0 && errno == EACCES) m_fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (m_fd < 0) throw ConnectionError(host + ": cannot open the run lock " + path + ": " + std::strerror(errno));
    auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(req.timeout_s);
    while (::flock(m_fd, LOCK_EX | LOCK_NB) != 0) {
        if (errno != EWOULDBLOCK && errno != EINTR) {
            int e = errno;
            ::close(m_fd);
            throw ConnectionError(host + ": cannot lock " + path + ": " + std::strerror(e));
        }
        if (std::chrono::steady_clock::now() >= deadline) {
            char buf[512];
            ssize_t n = ::pread(m_fd, buf, sizeof buf, 0);
            std::string info = clean_info(n > 0 ? std::string(buf, static_cast<size_t>(n)) : "");
            ::close(m_fd);
            throw HostBusyError(run_lock_busy_message(host, path, pid_alive(info) ? info : "", req.timeout_s));
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    // Best effort: a lock file of another user cannot take our name.
    std::string info = req.holder + " hostpid " + std::to_string(::getpid()) + "\n";
    if (::ftruncate(m_fd, 0) == 0 && ::pwrite(m_fd, info.data(), info.size(), 0) < 0) {
    }
}

LocalRunLock::~LocalRunLock() {
    if (m_fd >= 0) ::close(m_fd);
}

std::string remote_run_lock_script(const std::string& host_name, const RunLockRequest& req, bool hold) {
    std::string wait = req.timeout_s > 0 ? "-w " + std::to_string(static_cast<long>(req.timeout_s + 0.999)) : "-n";
    // /run/lock is where FHS puts lock files (root, and 1777 on Debian); an
    // account that cannot write there locks under $TMPDIR or /tmp. The holder
    // line is written into the lock file only once we hold it; `hostpid` lets
    // a second run tell a live holder from a stale line.
    return "d=; for c in /run/lock /var/lock \"${TMPDIR:-/tmp}\"; do "
           "if [ -d \"$c\" ] && [ -w \"$c\" ]; then d=$c; break; fi; done; "
           "[ -n \"$d\" ] || { echo 'UPKEEP-LOCK-ERROR no writable lock directory (/run/lock, /var/lock, /tmp)'; exit 70; }; "
           "f=\"$d/" + run_lock_file_name(host_name) + "\"; "
           "[ -e \"$f\" ] || [ -L \"$f\" ] || (umask 022; set -C; : > \"$f\") 2>/dev/null; "
           "[ -L \"$f\" ] && { echo \"UPKEEP-LOCK-ERROR $f is a symbolic link\"; exit 70; }; "
           "command -v flock >/dev/null 2>&1 || { echo 'UPKEEP-LOCK-ERROR flock(1) is not installed (util-linux)'; exit 70; }; "
           "exec 9<\"$f\" || { echo \"UPKEEP-LOCK-ERROR cannot open $f\"; exit 70; }; "
           "if ! flock " + wait + " 9; then "
           "i=$(head -n 1 \"$f\" 2>/dev/null | tr -cd '[:print:]'); p=${i##*hostpid }; p=${p%% *}; "
           "if [ -n \"$p\" ] && [ -d \"/proc/$p\" ]; then echo \"UPKEEP-LOCK-BUSY $f $i\"; else echo \"UPKEEP-LOCK-BUSY $f\"; fi; "
           "exit 75; fi; "
           "printf '%s hostpid %s\\n' " + shell_quote(req.holder) + " $$ 2>/dev/null > \"$f\" || true; "
           "echo \"UPKEEP-LOCK-HELD $f\"; " +
           std::string(hold ? "exec cat >/dev/null" : "");
}

}  // namespace upkeep
