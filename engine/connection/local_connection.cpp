#include "engine/connection/local_connection.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <sys/random.h>
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
#include <deque>
#include <filesystem>
#include <map>
#include <tuple>
#include <vector>

#include "engine/report/run_log.hpp"
#include "engine/util/error.hpp"
#include "engine/util/host_path.hpp"
#include "engine/util/sha256.hpp"
#include "engine/util/strings.hpp"

extern char** environ;

namespace upkeep {

std::string special_kind_name(uint32_t ifmt) {
    switch (ifmt & S_IFMT) {
        case S_IFIFO: return "FIFO";
        case S_IFSOCK: return "socket";
        case S_IFCHR: return "character device";
        case S_IFBLK: return "block device";
        default: return "special file";
    }
}

std::string FileInfo::kind_text() const {
    switch (kind) {
        case Kind::Missing: return "missing";
        case Kind::File: return "a regular file";
        case Kind::Dir: return "a directory";
        case Kind::Link: return "a symbolic link";
        case Kind::Other: break;
    }
    std::string s = special.empty() ? "special file" : special;
    return "a " + s;
}

namespace {

constexpr const char* k_temp_prefix = ".upkeep.";

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

// Random letters for temp-file names: unpredictable, so nobody can plant a
// link or file at the name we are about to create.
std::string random_token(size_t n) {
    static const char k_chars[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    unsigned char raw[32];
    std::string out;
    while (out.size() < n) {
        ssize_t got = ::getrandom(raw, sizeof raw, 0);
        if (got <= 0) {
            if (errno == EINTR) continue;
            throw TaskError(std::string("getrandom: ") + std::strerror(errno));
        }
        for (ssize_t i = 0; i < got && out.size() < n; ++i) out += k_chars[raw[i] % (sizeof k_chars - 1)];
    }
    return out;
}

// Creates a new private file in `dir` named ".upkeep.<random>": O_EXCL and
// O_NOFOLLOW, mode 0600 from the first instant (the real mode is set on the
// descriptor once the content is complete). Returns the descriptor; `name`
// receives the full path.
int create_private_temp(const std::string& dir, const std::string& host_path, std::string& name) {
    for (int attempt = 0; attempt < 16; ++attempt) {
        name = dir + "/" + std::string(k_temp_prefix) + random_token(12);
        int fd = ::open(name.c_str(), O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd >= 0) return fd;
        if (errno != EEXIST) throw TaskError(errno_text("cannot create a temporary file next to", host_path, errno));
    }
    throw TaskError("cannot create a temporary file next to " + host_path + ": every random name was taken");
}

// Ansible's backup name: <path>.<pid>.<YYYY-MM-DD@HH:MM:SS>~ ; the n-th extra
// backup of the same file within that second is <path>.<pid>.<stamp>.<n>~.
std::string backup_name(const std::string& path, int n) {
    std::time_t now = std::time(nullptr);
    std::tm tm{};
    localtime_r(&now, &tm);
    char stamp[64];
    std::strftime(stamp, sizeof stamp, "%Y-%m-%d@%H:%M:%S", &tm);
    return path + "." + std::to_string(::getpid()) + "." + stamp + (n ? "." + std::to_string(n) : "") + "~";
}

// Copies all of `in` to `out`; throws TaskError naming `what` with errno's text.
void copy_fd(int in, int out, const std::string& what) {
    char buf[65536];
    for (;;) {
        ssize_t n = ::read(in, buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR) continue;
            throw TaskError(errno_text("cannot read", what, errno));
        }
        if (n == 0) return;
        for (ssize_t off = 0; off < n;) {
            ssize_t w = ::write(out, buf + off, static_cast<size_t>(n - off));
            if (w < 0) {
                if (errno == EINTR) continue;
                throw TaskError(errno_text("cannot write the backup of", what, errno));
            }
            off += w;
        }
    }
}

// Backs up the regular file `from` (with its mode, owner and times, like
// shutil.copy2) under a new, unique name created with O_EXCL|O_NOFOLLOW: an
// earlier backup is never overwritten and a planted link is never followed.
// On any failure (a full disk) the partial backup is removed. Returns its path.
std::string make_backup(const std::string& from, const std::string& host_path) {
    Fd in(::open(from.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
    if (in.fd < 0) throw TaskError(errno_text("cannot back up", host_path, errno));
    struct stat st;
    if (::fstat(in.fd, &st) < 0) throw TaskError(errno_text("cannot back up", host_path, errno));
    std::string name;
    Fd out;
    for (int n = 0; out.fd < 0; ++n) {
        if (n > 1000) throw TaskError("cannot back up " + host_path + ": too many backups this second");
        name = backup_name(from, n);
        out.reset(::open(name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
        if (out.fd < 0 && errno != EEXIST) throw TaskError(errno_text("cannot create the backup of", host_path, errno));
    }
    try {
        copy_fd(in.fd, out.fd, host_path);
        if (::fchown(out.fd, st.st_uid, st.st_gid) < 0 && errno != EPERM)
            throw TaskError(errno_text("cannot set the owner of the backup of", host_path, errno));
        if (::fchmod(out.fd, st.st_mode & 07777) < 0)
            throw TaskError(errno_text("cannot set the mode of the backup of", host_path, errno));
        struct timespec times[2] = {st.st_atim, st.st_mtim};
        ::futimens(out.fd, times);
        if (::fsync(out.fd) < 0) throw TaskError(errno_text("cannot sync the backup of", host_path, errno));
        int fd = out.fd;
        out.fd = -1;
        if (::close(fd) < 0) throw TaskError(errno_text("cannot write the backup of", host_path, errno));
    } catch (...) {
        out.reset();
        ::unlink(name.c_str());
        throw;
    }
    return name;
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

std::string LocalConnection::map_path(const std::string& path, bool follow_last) const {
    if (m_root.empty()) return path;
    // Resolve as the kernel would under chroot(root): walk the components,
    // expand each symbolic link we meet (an absolute target restarts at the
    // root, never at the machine's "/"), and clamp ".." at the root. The
    // result has no link left in it (except the last component when
    // !follow_last), so the syscall that uses it cannot leave the tree.
    std::deque<std::string> todo;
    for (auto& p : split(path, '/'))
        if (!p.empty() && p != ".") todo.push_back(p);
    std::vector<std::string> done;
    int links = 0;
    while (!todo.empty()) {
        std::string c = std::move(todo.front());
        todo.pop_front();
        if (c.empty() || c == ".") continue;
        if (c == "..") {
            if (!done.empty()) done.pop_back();
            continue;
        }
        done.push_back(c);
        if (todo.empty() && !follow_last) break;
        std::string cur = m_root + "/" + join(done, "/");
        struct stat st;
        if (::lstat(cur.c_str(), &st) < 0 || !S_ISLNK(st.st_mode)) continue;
        if (++links > 40) throw TaskError("cannot resolve " + path + ": too many levels of symbolic links");
        std::vector<char> buf(PATH_MAX);
        ssize_t n = ::readlink(cur.c_str(), buf.data(), buf.size());
        if (n < 0) throw TaskError(errno_text("cannot read link", unmap_path(cur), errno));
        std::string target(buf.data(), static_cast<size_t>(n));
        done.pop_back();
        if (!target.empty() && target[0] == '/') {
            // Links that upkeep made before it stored host paths name the
            // root itself; read them as the host path they stand for.
            if (target == m_root || starts_with(target, m_root + "/")) target = target.substr(m_root.size());
            done.clear();
        }
        auto parts = split(target, '/');
        for (auto it = parts.rbegin(); it != parts.rend(); ++it)
            if (!it->empty() && *it != ".") todo.push_front(*it);
    }
    return done.empty() ? m_root : m_root + "/" + join(done, "/");
}

std::string LocalConnection::unmap_path(const std::string& local) const {
    if (m_root.empty()) return local;
    if (local == m_root) return "/";
    if (starts_with(local, m_root + "/")) return local.substr(m_root.size());
    return local;
}

CommandResult LocalConnection::run(const Command& cmd) {
    long long t0 = runlog::now_ns();
    CommandResult r = run_unlogged(cmd);
    // The command's text (secrets masked by the log), never its stdin.
    runlog::event(runlog::Level::Debug, host_name(), "command",
                  {{"via", m_root.empty() ? "local" : "sandbox"}, {"cmd", cmd.cmdline}, {"rc", std::to_string(r.rc)},
                   {"stdout_bytes", std::to_string(r.out.size())}, {"stderr_bytes", std::to_string(r.err.size())},
                   {"ms", runlog::ms_since(t0)}});
    return r;
}

namespace {

// The child's environment: ours, in a sandbox with UPKEEP_ROOT and the root's tool
// directories first on PATH, then the command's own variables.
std::vector<std::string> command_environment(const std::string& root, const std::map<std::string, std::string>& extra) {
    std::map<std::string, std::string> env;
    for (char** e = environ; e && *e; ++e) {
        std::string kv = *e;
        size_t eq = kv.find('=');
        if (eq != std::string::npos) env[kv.substr(0, eq)] = kv.substr(eq + 1);
    }
    if (!root.empty()) {
        env["UPKEEP_ROOT"] = root;
        std::string prefix;
        for (const char* d : {"/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"})
            prefix += root + d + ":";
        std::string path = env.count("PATH") ? env["PATH"] : "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
        env["PATH"] = prefix + path;
    }
    for (const auto& [k, v] : extra) env[k] = v;
    std::vector<std::string> out;
    for (const auto& [k, v] : env) out.push_back(k + "=" + v);
    return out;
}

struct Child {
    pid_t pid = -1;
    Fd in_w, out_r, err_r;  // the child's stdin (ours to write), stdout and stderr
};

// Forks `/bin/sh -c cmdline` in `dir` with pipes on 0/1/2. Everything the child
// needs is built before fork: after fork only async-signal-safe calls are allowed.
void spawn_shell(const std::string& cmdline, const std::string& dir, std::vector<std::string> env_strings, Child& child) {
    std::vector<char*> envp;
    for (auto& s : env_strings) envp.push_back(s.data());
    envp.push_back(nullptr);
    std::string sh = "/bin/sh", dash_c = "-c", line = cmdline;
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
    child.pid = pid;
    child.in_w.reset(in_pipe[1]);
    child.out_r.reset(out_pipe[0]);
    child.err_r.reset(err_pipe[0]);
}

// Feeds `input` to the child's stdin while collecting its stdout and stderr, until
// both are closed. A child that exits without reading its stdin must not kill us
// with SIGPIPE: it is blocked on this thread meanwhile and dropped afterwards.
void pump(Child& child, const std::string& input, CommandResult& result) {
    sigset_t pipe_set, old_set;
    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_set, &old_set);

    size_t in_off = 0;
    if (input.empty()) child.in_w.reset();
    else ::fcntl(child.in_w.fd, F_SETFL, O_NONBLOCK);
    char buf[65536];
    while (child.out_r.fd >= 0 || child.err_r.fd >= 0) {
        struct pollfd fds[3];
        int n = 0;
        int idx_in = -1, idx_out = -1, idx_err = -1;
        if (child.in_w.fd >= 0) fds[idx_in = n++] = {child.in_w.fd, POLLOUT, 0};
        if (child.out_r.fd >= 0) fds[idx_out = n++] = {child.out_r.fd, POLLIN, 0};
        if (child.err_r.fd >= 0) fds[idx_err = n++] = {child.err_r.fd, POLLIN, 0};
        if (::poll(fds, n, -1) < 0) {
            if (errno == EINTR) continue;
            break;
        }
        if (idx_in >= 0 && fds[idx_in].revents) {
            ssize_t w = ::write(child.in_w.fd, input.data() + in_off, input.size() - in_off);
            if (w > 0) in_off += static_cast<size_t>(w);
            if (w < 0 && errno != EAGAIN && errno != EINTR) child.in_w.reset();  // EPIPE: the child stopped reading
            if (in_off >= input.size()) child.in_w.reset();
        }
        for (auto [idx, fd, sink] :
             {std::tuple{idx_out, &child.out_r, &result.out}, std::tuple{idx_err, &child.err_r, &result.err}}) {
            if (idx < 0 || !fds[idx].revents) continue;
            ssize_t r = ::read(fd->fd, buf, sizeof buf);
            if (r > 0) sink->append(buf, static_cast<size_t>(r));
            else if (r == 0 || (errno != EINTR && errno != EAGAIN)) fd->reset();
        }
    }
    child.in_w.reset();
    struct timespec zero = {0, 0};
    while (sigtimedwait(&pipe_set, nullptr, &zero) > 0) {
    }
    pthread_sigmask(SIG_SETMASK, &old_set, nullptr);
}

}  // namespace

CommandResult LocalConnection::run_unlogged(const Command& cmd) {
    std::string dir = cmd.chdir.empty() ? "" : map_path(cmd.chdir);
    if (!m_root.empty() && dir.empty()) dir = m_root;
    Child child;
    spawn_shell(cmd.cmdline, dir, command_environment(m_root, cmd.env), child);
    CommandResult result;
    pump(child, cmd.stdin_data, result);
    int status = 0;
    while (::waitpid(child.pid, &status, 0) < 0 && errno == EINTR) {
    }
    result.rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return result;
}

FileInfo LocalConnection::stat(const std::string& path, bool follow) {
    std::string local = map_path(path, follow);
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
    else {
        info.kind = FileInfo::Kind::Other;
        info.special = special_kind_name(st.st_mode);
    }
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

namespace {

// Opens `path` (host path; `local` where it lies here) to read it as a regular file:
// the descriptor, or -1 when it does not exist. O_NONBLOCK: opening a FIFO must not
// wait for a writer; the type is checked on the descriptor, so a swap after a stat()
// cannot fool us. Throws the refusal for a directory or a special file.
int open_regular(const std::string& local, const std::string& path, struct stat& st) {
    Fd fd(::open(local.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY));
    if (fd.fd < 0) {
        if (errno == ENOENT) return -1;
        throw TaskError(errno_text("cannot read", path, errno));
    }
    if (::fstat(fd.fd, &st) < 0) throw TaskError(errno_text("cannot read", path, errno));
    if (S_ISDIR(st.st_mode)) throw TaskError("cannot read " + path + ": is a directory");
    if (!S_ISREG(st.st_mode))
        throw TaskError("refusing to read " + path + ": it is a " + special_kind_name(st.st_mode) + ", not a regular file");
    int out = fd.fd;
    fd.fd = -1;
    return out;
}

// Hands each piece of the file to `take` until its end.
template <class Take>
void read_chunks(int fd, const std::string& path, Take take) {
    char buf[65536];
    for (;;) {
        ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR) continue;
            throw TaskError(errno_text("cannot read", path, errno));
        }
        if (n == 0) return;
        take(std::string_view(buf, static_cast<size_t>(n)));
    }
}

std::string too_large(const std::string& path) {
    return "refusing to read " + path + ": larger than " + std::to_string(k_max_read_bytes >> 20) + " MiB";
}

}  // namespace

std::optional<std::string> LocalConnection::read_file(const std::string& path) {
    runlog::event(runlog::Level::Trace, host_name(), "read_file", {{"path", path}});
    struct stat st;
    Fd fd(open_regular(map_path(path), path, st));
    if (fd.fd < 0) return std::nullopt;
    if (static_cast<uint64_t>(st.st_size) > k_max_read_bytes) throw TaskError(too_large(path));
    std::string out;
    out.reserve(static_cast<size_t>(st.st_size));
    read_chunks(fd.fd, path, [&](std::string_view piece) {
        out.append(piece);
        if (out.size() > k_max_read_bytes) throw TaskError(too_large(path));  // still growing while we read
    });
    return out;
}

std::optional<std::string> LocalConnection::file_sha256(const std::string& path) {
    struct stat st;
    Fd fd(open_regular(map_path(path), path, st));
    if (fd.fd < 0) return std::nullopt;
    Sha256 digest;
    read_chunks(fd.fd, path, [&](std::string_view piece) { digest.update(piece); });
    return digest.hex();
}

WriteResult LocalConnection::write_file(const std::string& path, const std::string& content, const WriteOptions& opts) {
    runlog::event(runlog::Level::Trace, host_name(), "write_file",
                  {{"path", path}, {"bytes", std::to_string(content.size())}, {"backup", opts.backup ? "true" : "false"}});
    std::string local = map_path(path, opts.follow);
    if (m_root.empty() && opts.follow) {
        // Write through a symbolic link: the link stays, its target gets the content.
        struct stat lst;
        if (::lstat(local.c_str(), &lst) == 0 && S_ISLNK(lst.st_mode)) {
            std::error_code ec;
            auto real = std::filesystem::weakly_canonical(local, ec);
            if (!ec) local = real.string();
        }
    }
    WriteResult result;
    struct stat old;
    bool had_old = ::lstat(local.c_str(), &old) == 0;
    if (had_old && S_ISLNK(old.st_mode)) had_old = false;  // follow: false, or a dangling link: replaced by the file
    if (had_old && S_ISDIR(old.st_mode)) throw TaskError("cannot write " + path + ": is a directory");
    if (had_old && !S_ISREG(old.st_mode))
        throw TaskError("refusing to write " + path + ": it is a " + special_kind_name(old.st_mode) + ", not a regular file");

    uid_t uid = had_old ? old.st_uid : static_cast<uid_t>(-1);
    gid_t gid = had_old ? old.st_gid : static_cast<gid_t>(-1);
    if (!opts.owner.empty()) uid = resolve_uid(opts.owner);
    if (!opts.group.empty()) gid = resolve_gid(opts.group);
    mode_t mode = opts.mode ? *opts.mode : had_old ? (old.st_mode & 07777) : 0644;

    std::string dir = parent_path(local);
    remove_stale_temps(dir);
    std::string tmp;
    Fd fd(create_private_temp(dir, path, tmp));
    std::string backup;
    try {
        write_all(fd.fd, content, path);
        if (::fsync(fd.fd) < 0) throw TaskError(errno_text("cannot write", path, errno));
        if ((uid != static_cast<uid_t>(-1) || gid != static_cast<gid_t>(-1)) && ::fchown(fd.fd, uid, gid) < 0)
            throw TaskError(errno_text("cannot set the owner of", path, errno));
        // fchmod after fchown: chown clears setuid/setgid bits.
        if (::fchmod(fd.fd, mode) < 0) throw TaskError(errno_text("cannot set the mode of", path, errno));
        if (had_old) copy_selinux_context(local, fd.fd, path);
        int raw = fd.fd;
        fd.fd = -1;
        // close() may be where a network filesystem reports a full disk.
        if (::close(raw) < 0) throw TaskError(errno_text("cannot write", path, errno));
        if (had_old && opts.backup) backup = make_backup(local, path);
        if (::rename(tmp.c_str(), local.c_str()) < 0) throw TaskError(errno_text("cannot replace", path, errno));
    } catch (...) {
        fd.reset();
        ::unlink(tmp.c_str());
        // A backup of a write that did not happen is not claimed: remove it.
        if (!backup.empty()) ::unlink(backup.c_str());
        throw;
    }
    if (!backup.empty()) result.backup_path = unmap_path(backup);
    fsync_dir(dir);
    return result;
}

std::string LocalConnection::write_temp_file(const std::string& dir, const std::string& content) {
    std::string local_dir = map_path(dir);
    std::string tmp;
    Fd fd(create_private_temp(local_dir, dir, tmp));
    try {
        write_all(fd.fd, content, tmp);
        int raw = fd.fd;
        fd.fd = -1;
        if (::close(raw) < 0) throw TaskError(errno_text("cannot write", unmap_path(tmp), errno));
    } catch (...) {
        fd.reset();
        ::unlink(tmp.c_str());
        throw;
    }
    return unmap_path(tmp);
}

void LocalConnection::remove_stale_temps(const std::string& dir) {
    // A run killed with SIGKILL leaves its ".upkeep.*" temp files behind. The
    // next write in the same directory removes the ones that are ours (same
    // owner, regular files) and stale (untouched for an hour: a live write
    // keeps its temp file's mtime fresh and renames it within seconds).
    DIR* d = ::opendir(dir.c_str());
    if (!d) return;
    time_t now = std::time(nullptr);
    while (struct dirent* e = ::readdir(d)) {
        if (std::strncmp(e->d_name, k_temp_prefix, std::strlen(k_temp_prefix)) != 0) continue;
        struct stat st;
        if (::fstatat(::dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) continue;
        bool ours = st.st_uid == ::geteuid() && (S_ISREG(st.st_mode) || S_ISLNK(st.st_mode));
        if (ours && now - st.st_mtime > k_stale_temp_seconds) ::unlinkat(::dirfd(d), e->d_name, 0);
    }
    ::closedir(d);
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
    std::string local = map_path(path, false);
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
    std::string local = map_path(path, false);
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
    std::string local = map_path(path, false);
    // In the sandbox the link stores the host path: map_path() resolves it
    // under the root, as a chroot would.
    const std::string& mapped_target = target;
    // Create under a random temporary name (symlink(2) never follows or
    // replaces an existing entry) and rename over the old entry: atomic replace.
    std::string tmp;
    for (int attempt = 0;; ++attempt) {
        tmp = parent_path(local) + "/" + k_temp_prefix + random_token(12);
        if (::symlink(mapped_target.c_str(), tmp.c_str()) == 0) break;
        if (errno != EEXIST || attempt > 16) throw TaskError(errno_text("cannot create link", path, errno));
    }
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
