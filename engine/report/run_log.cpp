#include "engine/report/run_log.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <spdlog/logger.h>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/base_sink.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>
#include <cstdio>
#include <cctype>

#include "engine/report/secret_registry.hpp"
#include "engine/util/error.hpp"
#include "engine/util/strings.hpp"

namespace upkeep::runlog {

namespace {

// Writes formatted lines to a file descriptor we opened ourselves (spdlog's file
// sinks open by name: they would follow a symlink planted at the path), masking
// every registered secret in the finished line.
class FdSink : public spdlog::sinks::base_sink<std::mutex> {
public:
    FdSink(int fd, bool owned) : m_fd(fd), m_owned(owned) {}
    ~FdSink() override {
        if (m_owned && m_fd >= 0) ::close(m_fd);
    }

protected:
    void sink_it_(const spdlog::details::log_msg& msg) override {
        spdlog::memory_buf_t buf;
        formatter_->format(msg, buf);
        std::string line = secrets().mask(std::string(buf.data(), buf.size()));
        const char* p = line.data();
        size_t left = line.size();
        while (left > 0) {
            ssize_t n = ::write(m_fd, p, left);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) return;  // a full disk must not stop the run; the console still reports
            p += n;
            left -= static_cast<size_t>(n);
        }
    }
    void flush_() override {}

private:
    int m_fd;
    bool m_owned;
};

std::mutex g_mutex;
std::shared_ptr<spdlog::logger> g_logger;
std::atomic<int> g_level{static_cast<int>(Level::Off)};  // the lowest level any sink writes

spdlog::level::level_enum to_spd(Level l) {
    switch (l) {
        case Level::Trace: return spdlog::level::trace;
        case Level::Debug: return spdlog::level::debug;
        case Level::Info: return spdlog::level::info;
        case Level::Warn: return spdlog::level::warn;
        case Level::Error: return spdlog::level::err;
        case Level::Off: return spdlog::level::off;
    }
    return spdlog::level::off;
}

Level parse_level(const std::string& s) {
    std::string l = to_lower(trim(s));
    if (l == "trace") return Level::Trace;
    if (l == "debug") return Level::Debug;
    if (l == "info") return Level::Info;
    if (l == "warn" || l == "warning") return Level::Warn;
    if (l == "error" || l == "err") return Level::Error;
    if (l == "off" || l == "none") return Level::Off;
    throw UserError("UPKEEP_LOG: unknown level '" + s + "' (trace, debug, info, warn, error or off)");
}

// Opens the log file: created 0600 if new (O_EXCL first, so our mode is the one it
// gets), appended to if it exists; never through a symbolic link (O_NOFOLLOW), only
// a regular file we own. An existing file readable by others is narrowed to 0600.
int open_log_file(const std::string& path) {
    // A FIFO or a device at the path: refused before opening (opening could block).
    struct stat pre {};
    if (::lstat(path.c_str(), &pre) == 0 && !S_ISREG(pre.st_mode) && !S_ISLNK(pre.st_mode))
        throw UserError("--log-file " + path + ": not a regular file");
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0600);
    if (fd < 0 && errno == EEXIST)
        fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) {
        int e = errno;
        struct stat lst {};
        if (e == ELOOP || (::lstat(path.c_str(), &lst) == 0 && S_ISLNK(lst.st_mode)))
            throw UserError("--log-file " + path + ": is a symbolic link; refusing to write the log through it");
        throw UserError("--log-file " + path + ": " + std::strerror(e));
    }
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        ::close(fd);
        throw UserError("--log-file " + path + ": not a regular file");
    }
    if (st.st_uid != ::geteuid()) {
        ::close(fd);
        throw UserError("--log-file " + path + ": owned by uid " + std::to_string(st.st_uid) + ", not by the running user");
    }
    if ((st.st_mode & 077) != 0) ::fchmod(fd, 0600);
    int flags = ::fcntl(fd, F_GETFL);
    if (flags >= 0) ::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
    return fd;
}

bool plain(std::string_view v) {
    if (v.empty()) return false;
    for (unsigned char c : v)
        if (!(std::isalnum(c) || c == '.' || c == '_' || c == '-' || c == '/' || c == ':' || c == '@' || c == ',' || c == '+'))
            return false;
    return true;
}

}  // namespace

std::string quote(std::string_view v) {
    if (plain(v)) return std::string(v);
    // JSON's escapes, and DEL's too: the log is read on terminals.
    std::string out = json_quote(v);
    for (size_t at = out.find('\x7f'); at != std::string::npos; at = out.find('\x7f', at)) out.replace(at, 1, "\\u007f");
    return out;
}

void open(const std::string& file, const char* env_level, int verbosity) {
    std::lock_guard<std::mutex> lock(g_mutex);
    std::optional<Level> env;
    if (env_level && *env_level) env = parse_level(env_level);
    std::vector<spdlog::sink_ptr> sinks;
    Level lowest = Level::Off;
    auto add = [&](int fd, bool owned, Level lvl, const std::string& pattern) {
        if (lvl == Level::Off) {
            if (owned) ::close(fd);
            return;
        }
        auto sink = std::make_shared<FdSink>(fd, owned);
        sink->set_formatter(std::make_unique<spdlog::pattern_formatter>(pattern, spdlog::pattern_time_type::utc, "\n"));
        sink->set_level(to_spd(lvl));
        sinks.push_back(sink);
        if (static_cast<int>(lvl) < static_cast<int>(lowest)) lowest = lvl;
    };
    if (!file.empty()) add(open_log_file(file), true, env.value_or(Level::Debug), "%Y-%m-%dT%H:%M:%S.%fZ %l %v");
    // The console: -vvv shows connection-level detail, -vvvv every file operation;
    // UPKEEP_LOG alone (no file) sends the log there too.
    Level console = verbosity >= 4 ? Level::Trace : verbosity >= 3 ? Level::Debug : Level::Off;
    if (file.empty() && env) console = *env;
    add(STDERR_FILENO, false, console, "upkeep %l: %v");
    if (sinks.empty()) {
        g_logger.reset();
        g_level = static_cast<int>(Level::Off);
        return;
    }
    g_logger = std::make_shared<spdlog::logger>("upkeep", sinks.begin(), sinks.end());
    g_logger->set_level(to_spd(lowest));
    g_logger->flush_on(spdlog::level::trace);
    g_level = static_cast<int>(lowest);
}

void close() {
    std::lock_guard<std::mutex> lock(g_mutex);
    if (g_logger) g_logger->flush();
    g_logger.reset();
    g_level = static_cast<int>(Level::Off);
}

bool enabled(Level lvl) { return static_cast<int>(lvl) >= g_level.load(std::memory_order_relaxed); }

void event(Level lvl, std::string_view host, std::string_view name, Fields fields) {
    if (!enabled(lvl)) return;
    std::shared_ptr<spdlog::logger> logger;
    {
        std::lock_guard<std::mutex> lock(g_mutex);
        logger = g_logger;
    }
    if (!logger) return;
    std::string line;
    if (!host.empty()) line += "host=" + quote(host) + " ";
    line += "event=" + quote(name);
    for (const auto& [k, v] : fields) {
        if (v.empty()) continue;  // an unset field says nothing
        line += " ";
        line += k;
        line += "=";
        // Masked before quoting too: the registry knows a secret's raw and JSON forms.
        line += quote(secrets().mask(std::string(v)));
    }
    logger->log(to_spd(lvl), "{}", line);
}

long long now_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

std::string ms_since(long long start_ns) {
    long long us = (now_ns() - start_ns) / 1000;
    char b[32];
    std::snprintf(b, sizeof b, "%lld.%03lld", us / 1000, us % 1000);
    return b;
}

}  // namespace upkeep::runlog
