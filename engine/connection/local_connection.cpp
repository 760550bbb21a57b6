#include "engine/connection/local_connection.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>
#include <ctime>
#include <algorithm>
#include <filesystem>
#include <map>
#include <tuple>
#include <vector>

#include "engine/util/error.hpp"
#include "engine/util/strings.hpp"

extern char** environ;

namespace upkeep {

namespace {

std::string errno_text(const std::string& what, const std::string& path, int err) {
    return what + " " + path + ": " + std::strerror(err);
}

// Closes a descriptor when it goes out of scope.
struct Fd {
    int fd = -1;
    Fd() = default;
    explicit Fd(int f) : fd(f) {}
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    ~Fd() { reset(); }
    void reset(int f = -1) {
        if (fd >= 0) ::close(fd);
        fd = f;
    }
};

bool is_number(const std::string& s) { return !s.empty() && s.find_first_not_of("0123456789") == std::string::npos; }

std::string user_name(uid_t uid) {
    struct passwd pw, *res = nullptr;
    char buf[4096];
    if (getpwuid_r(uid, &pw, buf, sizeof buf, &res) == 0 && res) return pw.pw_name;
    return std::to_string(uid);
}

std::string group_name(gid_t gid) {
    struct group gr, *res = nullptr;
    char buf[4096];
    if (getgrgid_r(gid, &gr, buf, sizeof buf, &res) == 0 && res) return gr.gr_name;
    return std::to_string(gid);
}

// Lexically normalizes an absolute path: collapses "//", "." and "..".
// Returns false when ".." climbs above "/".
bool normalize(const std::string& path, std::string& out) {
    std::vector<std::string> parts;
    for (const auto& p : split(path, '/')) {
        if (p.empty() || p == ".") continue;
        if (p == "..") {
            if (parts.empty()) return false;
            parts.pop_back();
            continue;
        }
        parts.push_back(p);
    }
    out = "/" + join(parts, "/");
    return true;
}

std::string dir_of(const std::string& p) {
    size_t slash = p.find_last_of('/');
    if (slash == std::string::npos) return ".";
    if (slash == 0) return "/";
    return p.substr(0, slash);
}

std::string base_of(const std::string& p) {
    size_t slash = p.find_last_of('/');
    return slash == std::string::npos ? p : p.substr(slash + 1);
}

void write_all(int fd, const std::string& data, const std::string& path) {
    size_t off = 0;
    while (off < data.size()) {
        ssize_t n = ::write(fd, data.data() + off, data.size() - off);
        if (n < 0) {
            if (errno == EINTR) continue;
            throw TaskError(errno_text("cannot write", path, errno));
        }
        off += static_cast<size_t>(n);
    }
}

void fsync_dir(const std::string& dir) {
    Fd d(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (d.fd >= 0) ::fsync(d.fd);  // best effort: some filesystems refuse fsync on directories
}

// Copies the SELinux label of `from` onto the open temp file, so replacing a
// file never changes its context. Filesystems without xattrs are fine.
void copy_selinux_context(const std::string& from, int to_fd, const std::string& path) {
    char buf[1024];
    ssize_t n = ::getxattr(from.c_str(), "security.selinux", buf, sizeof buf);
    if (n < 0) {
        if (errno == ENODATA || errno == ENOTSUP || errno == ENOENT) return;
        throw TaskError(errno_text("cannot read the SELinux context of", path, errno));
    }
    if (::fsetxattr(to_fd, "security.selinux", buf, static_cast<size_t>(n), 0) < 0 && errno != ENOTSUP)
        throw TaskError(errno_text("cannot set the SELinux context on the new", path, errno));
}

// Ansible's backup name: <path>.<pid>.<YYYY-MM-DD@HH:MM:SS>~
std::string backup_name(const std::string& path) {
    std::time_t now = std::time(nullptr);
    std::tm tm{};
    localtime_r(&now, &tm);
    char stamp[64];
    std::strftime(stamp, sizeof stamp, "%Y-%m-%d@%H:%M:%S", &tm);
    return path + "." + std::to_string(::getpid()) + "." + stamp + "~";
}

// Copies a regular file with its mode, owner and times (like shutil.copy2).
void copy_file_preserving(const std::string& from, const std::string& to) {
    namespace fs = std::filesystem;
    std::error_code ec;
    fs::copy_file(from, to, fs::copy_options::overwrite_existing, ec);
    if (ec) throw TaskError("cannot back up " + from + " to " + to + ": " + ec.message());
    struct stat st;
    if (::stat(from.c_str(), &st) == 0) {
        if (::chown(to.c_str(), st.st_uid, st.st_gid) < 0 && errno != EPERM)
            throw TaskError(errno_text("cannot set the owner of the backup", to, errno));
        ::chmod(to.c_str(), st.st_mode & 07777);
        struct timespec times[2] = {st.st_atim, st.st_mtim};
        ::utimensat(AT_FDCWD, to.c_str(), times, 0);
    }
}

}  // namespace

uint32_t resolve_uid(const std::string& owner) {
    if (is_number(owner)) return static_cast<uint32_t>(std::stoul(owner));
    struct passwd pw, *res = nullptr;
    char buf[4096];
    if (getpwnam_r(owner.c_str(), &pw, buf, sizeof buf, &res) != 0 || !res)
        throw TaskError("unknown user '" + owner + "'");
    return pw.pw_uid;
}

uint32_t resolve_gid(const std::string& group) {
    if (is_number(group)) return static_cast<uint32_t>(std::stoul(group));
    struct group gr, *res = nullptr;
    char buf[4096];
    if (getgrnam_r(group.c_str(), &gr, buf, sizeof buf, &res) != 0 || !res)
        throw TaskError("unknown group '" + group + "'");
    return gr.gr_gid;
}

LocalConnection::LocalConnection(std::string host_name, std::string root) : m_host_name(std::move(host_name)) {
    if (!root.empty()) {
        std::error_code ec;
        auto abs = std::filesystem::canonical(root, ec);
        if (ec) throw ConnectionError("sandbox root " + root + ": " + ec.message());
        m_root = abs.string();
        if (m_root == "/") m_root.clear();  // a root of "/" is the machine itself
    }
}

std::string LocalConnection::map_path(const std::string& path) const {
    if (m_root.empty()) return path;
    std::string norm;
    // A relative host path counts from "/" (the sandbox has no other current directory).
    if (!normalize(path.empty() || path[0] != '/' ? "/" + path : path, norm))
        throw TaskError("path " + path + " leaves the sandbox root " + m_root);
    return norm == "/" ? m_root : m_root + norm;
}

std::string LocalConnection::unmap_path(const std::string& local) const {
    if (m_root.empty()) return local;
    if (local == m_root) return "/";
    if (starts_with(local, m_root + "/")) return local.substr(m_root.size());
    return local;
}

CommandResult LocalConnection::run(const Command& cmd) {
    // Everything the child needs is built before fork: after fork only
    // async-signal-safe calls are allowed.
    std::map<std::string, std::string> env;
    for (char** e = environ; e && *e; ++e) {
        std::string kv = *e;
        size_t eq = kv.find('=');
        if (eq != std::string::npos) env[kv.substr(0, eq)] = kv.substr(eq + 1);
    }
    std::string dir = cmd.chdir.empty() ? "" : map_path(cmd.chdir);
    if (!m_root.empty()) {
        if (dir.empty()) dir = m_root;
        env["UPKEEP_ROOT"] = m_root;
        std::string prefix;
        for (const char* d : {"/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"})
            prefix += m_root + d + ":";
        std::string path = env.count("PATH") ? env["PATH"] : "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
        env["PATH"] = prefix + path;
    }
    for (const auto& [k, v] : cmd.env) env[k] = v;
    std::vector<std::string> env_strings;
    for (const auto& [k, v] : env) env_strings.push_back(k + "=" + v);
    std::vector<char*> envp;
    for (auto& s : env_strings) envp.push_back(s.data());
    envp.push_back(nullptr);
    std::string sh = "/bin/sh", dash_c = "-c", line = cmd.cmdline;
    char* argv[] = {sh.data(), dash_c.data(), line.data(), nullptr};

    int in_pipe[2], out_pipe[2], err_pipe[2];
    if (pipe2(in_pipe, O_CLOEXEC) < 0) throw TaskError(std::string("pipe: ") + std::strerror(errno));
    if (pipe2(out_pipe, O_CLOEXEC) < 0) {
        ::close(in_pipe[0]);
        ::close(in_pipe[1]);
        throw TaskError(std::string("pipe: ") + std::strerror(errno));
    }
    if (pipe2(err_pipe, O_CLOEXEC) < 0) {
        for (int f : {in_pipe[0], in_pipe[1], out_pipe[0], out_pipe[1]}) ::close(f);
        throw TaskError(std::string("pipe: ") + std::strerror(errno));
    }
    pid_t pid = ::fork();
    if (pid < 0) {
        for (int f : {in_pipe[0], in_pipe[1], out_pipe[0], out_pipe[1], err_pipe[0], err_pipe[1]}) ::close(f);
        throw TaskError(std::string("fork: ") + std::strerror(errno));
    }
    if (pid == 0) {
        ::dup2(in_pipe[0], 0);
        ::dup2(out_pipe[1], 1);
        ::dup2(err_pipe[1], 2);
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, nullptr);
        if (!dir.empty() && ::chdir(dir.c_str()) < 0) {
            const char msg[] = "upkeep: cannot change to the working directory\n";
            ssize_t ignored = ::write(2, msg, sizeof msg - 1);
            (void)ignored;
            ::_exit(126);
        }
        ::execve(argv[0], argv, envp.data());
        ::_exit(127);
    }
    ::close(in_pipe[0]);
    ::close(out_pipe[1]);
    ::close(err_pipe[1]);
    Fd in_w(in_pipe[1]), out_r(out_pipe[0]), err_r(err_pipe[0]);

    // A child that exits without reading its stdin must not kill us with
    // SIGPIPE: block it on this thread while we write and drop it afterwards.
    sigset_t pipe_set, old_set;
    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_set, &old_set);

    CommandResult result;
    size_t in_off = 0;
    if (cmd.stdin_data.empty()) in_w.reset();
    else ::fcntl(in_w.fd, F_SETFL, O_NONBLOCK);
    char buf[65536];
    while (out_r.fd >= 0 || err_r.fd >= 0) {
        struct pollfd fds[3];
        int n = 0;
        int idx_in = -1, idx_out = -1, idx_err = -1;
        if (in_w.fd >= 0) fds[idx_in = n++] = {in_w.fd, POLLOUT, 0};
        if (out_r.fd >= 0) fds[idx_out = n++] = {out_r.fd, POLLIN, 0};
        if (err_r.fd >= 0) fds[idx_err = n++] = {err_r.fd, POLLIN, 0};
        if (::poll(fds, n, -1) < 0) {
            if (errno == EINTR) continue;
            break;
        }
        if (idx_in >= 0 && fds[idx_in].revents) {
            ssize_t w = ::write(in_w.fd, cmd.stdin_data.data() + in_off, cmd.stdin_data.size() - in_off);
            if (w > 0) in_off += static_cast<size_t>(w);
            if (w < 0 && errno != EAGAIN && errno != EINTR) in_w.reset();  // EPIPE: the child stopped reading
            if (in_off >= cmd.stdin_data.size()) in_w.reset();
        }
        for (auto [idx, fd, sink] : {std::tuple{idx_out, &out_r, &result.out}, std::tuple{idx_err, &err_r, &result.err}}) {
            if (idx < 0 || !fds[idx].revents) continue;
            ssize_t r = ::read(fd->fd, buf, sizeof buf);
            if (r > 0) sink->append(buf, static_cast<size_t>(r));
            else if (r == 0 || (errno != EINTR && errno != EAGAIN)) fd->reset();
        }
    }
    in_w.reset();
    struct timespec zero = {0, 0};
    while (sigtimedwait(&pipe_set, nullptr, &zero) > 0) {
    }
    pthread_sigmask(SIG_SETMASK, &old_set, nullptr);

    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    result.rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return result;
}

FileInfo LocalConnection::stat(const std::string& path, bool follow) {
    std::string local = map_path(path);
    FileInfo info;
    struct stat st;
    int rc = follow ? ::stat(local.c_str(), &st) : ::lstat(local.c_str(), &st);
    if (rc < 0) {
        if (errno == ENOENT || errno == ENOTDIR) return info;
        throw TaskError(errno_text("cannot stat", path, errno));
    }
    if (S_ISREG(st.st_mode)) info.kind = FileInfo::Kind::File;
    else if (S_ISDIR(st.st_mode)) info.kind = FileInfo::Kind::Dir;
    else if (S_ISLNK(st.st_mode)) info.kind = FileInfo::Kind::Link;
    else info.kind = FileInfo::Kind::Other;
    info.mode = st.st_mode & 07777;
    info.uid = st.st_uid;
    info.gid = st.st_gid;
    info.owner = user_name(st.st_uid);
    info.group = group_name(st.st_gid);
    info.size = static_cast<uint64_t>(st.st_size);
    if (info.is_link()) {
        std::vector<char> buf(PATH_MAX);
        ssize_t n = ::readlink(local.c_str(), buf.data(), buf.size());
        if (n >= 0) info.link_target = unmap_path(std::string(buf.data(), static_cast<size_t>(n)));
    }
    return info;
}

std::optional<std::string> LocalConnection::read_file(const std::string& path) {
    std::string local = map_path(path);
    Fd fd(::open(local.c_str(), O_RDONLY | O_CLOEXEC));
    if (fd.fd < 0) {
        if (errno == ENOENT) return std::nullopt;
        throw TaskError(errno_text("cannot read", path, errno));
    }
    struct stat st;
    if (::fstat(fd.fd, &st) == 0 && S_ISDIR(st.st_mode)) throw TaskError("cannot read " + path + ": is a directory");
    std::string out;
    char buf[65536];
    for (;;) {
        ssize_t n = ::read(fd.fd, buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR) continue;
            throw TaskError(errno_text("cannot read", path, errno));
        }
        if (n == 0) break;
        out.append(buf, static_cast<size_t>(n));
    }
    return out;
}

WriteResult LocalConnection::write_file(const std::string& path, const std::string& content, const WriteOptions& opts) {
    std::string local = map_path(path);
    // Write through a symbolic link: the link stays, its target gets the content.
    struct stat lst;
    if (::lstat(local.c_str(), &lst) == 0 && S_ISLNK(lst.st_mode)) {
        std::error_code ec;
        auto real = std::filesystem::weakly_canonical(local, ec);
        if (!ec) local = real.string();
    }
    WriteResult result;
    struct stat old;
    bool had_old = ::stat(local.c_str(), &old) == 0;
    if (had_old && S_ISDIR(old.st_mode)) throw TaskError("cannot write " + path + ": is a directory");

    uid_t uid = had_old ? old.st_uid : static_cast<uid_t>(-1);
    gid_t gid = had_old ? old.st_gid : static_cast<gid_t>(-1);
    if (!opts.owner.empty()) uid = resolve_uid(opts.owner);
    if (!opts.group.empty()) gid = resolve_gid(opts.group);
    mode_t mode = opts.mode ? *opts.mode : had_old ? (old.st_mode & 07777) : 0644;

    std::string dir = dir_of(local);
    std::string tmpl = dir + "/." + base_of(local) + ".upkeep-XXXXXX";
    int raw = ::mkstemp(tmpl.data());
    if (raw < 0) throw TaskError(errno_text("cannot create a temporary file next to", path, errno));
    ::fcntl(raw, F_SETFD, FD_CLOEXEC);
    Fd fd(raw);
    std::string tmp = tmpl;
    try {
        write_all(fd.fd, content, path);
        if (::fsync(fd.fd) < 0) throw TaskError(errno_text("cannot sync", path, errno));
        if ((uid != static_cast<uid_t>(-1) || gid != static_cast<gid_t>(-1)) && ::fchown(fd.fd, uid, gid) < 0)
            throw TaskError(errno_text("cannot set the owner of", path, errno));
        // fchmod after fchown: chown clears setuid/setgid bits.
        if (::fchmod(fd.fd, mode) < 0) throw TaskError(errno_text("cannot set the mode of", path, errno));
        if (had_old) copy_selinux_context(local, fd.fd, path);
        if (had_old && opts.backup) {
            std::string b = backup_name(local);
            copy_file_preserving(local, b);
            result.backup_path = unmap_path(b);
        }
        fd.reset();
        if (::rename(tmp.c_str(), local.c_str()) < 0) throw TaskError(errno_text("cannot replace", path, errno));
    } catch (...) {
        fd.reset();
        ::unlink(tmp.c_str());
        throw;
    }
    fsync_dir(dir);
    return result;
}

void LocalConnection::make_dirs(const std::string& path, std::optional<uint32_t> mode) {
    std::string local = map_path(path);
    std::string norm;
    if (!normalize(local[0] == '/' ? local : "/" + local, norm)) throw TaskError("bad path " + path);
    std::string cur;
    for (const auto& part : split(norm, '/')) {
        if (part.empty()) continue;
        cur += "/" + part;
        struct stat st;
        if (::stat(cur.c_str(), &st) == 0) {
            if (!S_ISDIR(st.st_mode)) throw TaskError("cannot create " + path + ": " + unmap_path(cur) + " is not a directory");
            continue;
        }
        if (::mkdir(cur.c_str(), mode.value_or(0755)) < 0 && errno != EEXIST)
            throw TaskError(errno_text("cannot create directory", unmap_path(cur), errno));
        // mkdir honours the umask; the wanted mode is exact.
        if (mode) ::chmod(cur.c_str(), *mode);
    }
}

void LocalConnection::remove(const std::string& path, bool recursive) {
    std::string local = map_path(path);
    if (!m_root.empty() && local == m_root) throw TaskError("refusing to remove the sandbox root");
    struct stat st;
    if (::lstat(local.c_str(), &st) < 0) {
        if (errno == ENOENT) return;
        throw TaskError(errno_text("cannot remove", path, errno));
    }
    if (S_ISDIR(st.st_mode)) {
        if (recursive) {
            std::error_code ec;
            std::filesystem::remove_all(local, ec);
            if (ec) throw TaskError("cannot remove " + path + ": " + ec.message());
        } else if (::rmdir(local.c_str()) < 0) {
            throw TaskError(errno_text("cannot remove", path, errno));
        }
        return;
    }
    if (::unlink(local.c_str()) < 0 && errno != ENOENT) throw TaskError(errno_text("cannot remove", path, errno));
}

void LocalConnection::set_attributes(const std::string& path, std::optional<uint32_t> mode, const std::string& owner,
                                     const std::string& group) {
    std::string local = map_path(path);
    struct stat st;
    if (::lstat(local.c_str(), &st) < 0) throw TaskError(errno_text("cannot stat", path, errno));
    if (!owner.empty() || !group.empty()) {
        uid_t uid = owner.empty() ? static_cast<uid_t>(-1) : resolve_uid(owner);
        gid_t gid = group.empty() ? static_cast<gid_t>(-1) : resolve_gid(group);
        if (::lchown(local.c_str(), uid, gid) < 0) throw TaskError(errno_text("cannot change the owner of", path, errno));
    }
    // Linux has no modes on symbolic links; chmod would change the target instead.
    if (mode && !S_ISLNK(st.st_mode) && ::chmod(local.c_str(), *mode) < 0)
        throw TaskError(errno_text("cannot change the mode of", path, errno));
}

void LocalConnection::symlink(const std::string& target, const std::string& path) {
    std::string local = map_path(path);
    std::string mapped_target = (!m_root.empty() && !target.empty() && target[0] == '/') ? map_path(target) : target;
    // Create under a temporary name and rename over the old entry: atomic replace.
    std::string tmp = dir_of(local) + "/." + base_of(local) + ".upkeep-link-" + std::to_string(::getpid());
    ::unlink(tmp.c_str());
    if (::symlink(mapped_target.c_str(), tmp.c_str()) < 0) throw TaskError(errno_text("cannot create link", path, errno));
    if (::rename(tmp.c_str(), local.c_str()) < 0) {
        int err = errno;
        ::unlink(tmp.c_str());
        throw TaskError(errno_text("cannot create link", path, err));
    }
}

std::vector<std::string> LocalConnection::list_dir(const std::string& path) {
    std::string local = map_path(path);
    std::vector<std::string> out;
    DIR* d = ::opendir(local.c_str());
    if (!d) {
        if (errno == ENOENT) return out;
        throw TaskError(errno_text("cannot list", path, errno));
    }
    while (struct dirent* e = ::readdir(d)) {
        std::string n = e->d_name;
        if (n != "." && n != "..") out.push_back(n);
    }
    ::closedir(d);
    std::sort(out.begin(), out.end());
    return out;
}

void LocalConnection::lock_run(const RunLockRequest& req) {
    std::string name = m_root.empty() ? run_lock_file_name(m_host_name)
                                      : run_lock_file_name("sandbox-" + std::to_string(std::hash<std::string>{}(m_root)));
    m_run_lock = std::make_unique<LocalRunLock>(m_host_name, local_run_lock_dir() + "/" + name, req);
}

}  // namespace upkeep
