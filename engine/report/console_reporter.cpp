#include "engine/report/console_reporter.hpp"

#include <sys/ioctl.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>

#include "engine/playbook/playbook.hpp"
#include "engine/report/host_ranges.hpp"
#include "engine/report/secret_registry.hpp"
#include "engine/util/strings.hpp"
#include "engine/value/yaml.hpp"

namespace upkeep {

namespace {
const char* k_green = "\033[0;32m";
const char* k_yellow = "\033[0;33m";
const char* k_red = "\033[0;31m";
const char* k_cyan = "\033[0;36m";
const char* k_magenta = "\033[0;35m";
const char* k_bold = "\033[1m";
// Carriage return + erase line: where the progress line was.
const char* k_clear_line = "\r\033[K";

// Our own colour sequences pass; every other C0/C1 control character (but
// newline and tab) is shown as \xNN, C1 ones written in UTF-8 (C2 80..9F) too.
std::string escape_controls(const std::string& text) {
    static const char* const own[] = {k_green, k_yellow, k_red, k_cyan, k_magenta, k_bold, "\033[0m"};
    std::string out;
    out.reserve(text.size());
    char hex[8];
    for (size_t i = 0; i < text.size(); ++i) {
        unsigned char c = static_cast<unsigned char>(text[i]);
        if (c == 0x1b) {
            bool ours = false;
            for (const char* seq : own) {
                size_t n = std::strlen(seq);
                if (text.compare(i, n, seq) == 0) {
                    out.append(seq, n);
                    i += n - 1;
                    ours = true;
                    break;
                }
            }
            if (ours) continue;
        }
        if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f) {
            std::snprintf(hex, sizeof hex, "\\x%02x", c);
            out += hex;
        } else if (c == 0xc2 && i + 1 < text.size() && static_cast<unsigned char>(text[i + 1]) >= 0x80 &&
                   static_cast<unsigned char>(text[i + 1]) <= 0x9f) {
            std::snprintf(hex, sizeof hex, "\\u%04x", static_cast<unsigned char>(text[i + 1]));
            out += hex;
            ++i;
        } else {
            out += static_cast<char>(c);
        }
    }
    return out;
}

size_t terminal_width(std::FILE* f) {
    winsize ws{};
    if (::ioctl(fileno(f), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
    return 80;
}

// At most `width` bytes, cut at a UTF-8 character boundary (a byte count is never
// less than the columns the text takes, so the line cannot wrap).
std::string fit(std::string s, size_t width) {
    if (s.size() <= width) return s;
    size_t n = width;
    while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
    return s.substr(0, n);
}

}  // namespace

bool console_color(const std::string& mode, bool is_terminal, const char* no_color_env) {
    if (mode == "always") return true;
    if (mode == "never") return false;
    return is_terminal && !(no_color_env && *no_color_env);
}

ConsoleReporter::ConsoleReporter(std::FILE* out, ConsoleOptions opts) : m_out(out), m_opts(opts) {
    if (m_opts.progress) {
        m_ticker = std::thread([this] {
            std::unique_lock<std::mutex> lock(m_mutex);
            while (!m_stopping) {
                m_tick.wait_for(lock, std::chrono::milliseconds(500));
                if (!m_stopping && m_progress_shown) write_locked("");
            }
        });
    }
}

ConsoleReporter::~ConsoleReporter() { stop_ticker(); }

void ConsoleReporter::stop_ticker() {
    {
        std::lock_guard<std::mutex> lock(m_mutex);
        m_stopping = true;
    }
    m_tick.notify_all();
    if (m_ticker.joinable()) m_ticker.join();
}

std::string ConsoleReporter::paint(const std::string& text, const char* color) const {
    if (!m_opts.color || !*color) return text;
    return std::string(color) + text + "\033[0m";
}

void ConsoleReporter::write(const std::string& text) {
    std::lock_guard<std::mutex> lock(m_mutex);
    write_locked(text);
}

void ConsoleReporter::write_locked(const std::string& text) {
    std::string masked = secrets().mask(text);
    if (m_opts.escape_controls) masked = escape_controls(masked);
    if (m_opts.progress) {
        // The progress line is redrawn under whatever was printed.
        std::string line = m_stopping || m_task.empty() ? "" : progress_text_locked();
        masked = k_clear_line + masked + (line.empty() ? "" : escape_controls(secrets().mask(line)));
        m_progress_shown = !line.empty();
    }
    std::fwrite(masked.data(), 1, masked.size(), m_out);
    std::fflush(m_out);
}

std::string ConsoleReporter::progress_text_locked() const {
    size_t running = 0;
    std::string slowest;
    double slowest_s = -1;
    double now_s = std::chrono::duration<double>(Clock::now() - m_task_started).count();
    for (const auto& h : m_play_hosts) {
        if (m_failed.count(h)) continue;
        bool busy = !m_done.count(h);
        if (busy) ++running;
        auto it = m_host_seconds.find(h);
        double s = (it == m_host_seconds.end() ? 0 : it->second) + (busy ? now_s : 0);
        if (busy && s > slowest_s) slowest_s = s, slowest = h;
    }
    char buf[160];
    std::snprintf(buf, sizeof buf, "[%zu/%zu hosts done | %zu running | %zu failed] ", m_done.size(),
                  m_play_hosts.size(), running, m_failed.size());
    std::string line = buf + ("TASK " + m_task);
    if (!slowest.empty()) {
        std::snprintf(buf, sizeof buf, " | slowest %s (%.0fs)", slowest.c_str(), slowest_s);
        line += buf;
    }
    return fit(line, terminal_width(m_out) - 1);
}

void ConsoleReporter::banner(const std::string& title) {
    std::string line = title + " ";
    if (line.size() < 79) line += std::string(79 - line.size(), '*');
    write_locked("\n" + paint(line, k_bold) + "\n");
}

void ConsoleReporter::flush_diffs_locked() {
    if (m_diffs.empty()) return;
    std::string out;
    for (const auto& g : m_diffs.groups()) {
        std::string who = g.hosts.size() == 1 ? "diff on " + g.hosts.front()
                                              : "same change on " + describe_hosts(g.hosts) + " (" +
                                                    std::to_string(g.hosts.size()) + " hosts)";
        if (!g.item.empty()) who += " (item=" + g.item + ")";
        out += paint("=== " + who + ":", k_bold) + "\n";
        for (const auto& l : g.lines) {
            const char* color = l.kind == DiffLine::Added     ? k_green
                                : l.kind == DiffLine::Removed ? k_red
                                : l.kind == DiffLine::Hunk    ? k_cyan
                                : l.kind == DiffLine::Note    ? k_magenta
                                : l.kind == DiffLine::Header  ? (l.text[0] == '+' ? k_green : k_red)
                                                              : "";
            out += paint(l.text, color) + "\n";
        }
    }
    m_diffs.clear();
    write_locked(out);
}

void ConsoleReporter::playbook_start(const std::string&, bool check) {
    if (check) write(paint("DRY RUN (--check): nothing will be changed on any host", k_cyan) + "\n");
}

void ConsoleReporter::play_start(const Play&, const std::string& name, const std::vector<std::string>& hosts) {
    std::lock_guard<std::mutex> lock(m_mutex);
    flush_diffs_locked();
    m_play_hosts = hosts;
    m_task.clear();
    banner("PLAY [" + name + "]");
    if (hosts.empty()) write_locked(paint("skipping: no hosts matched", k_cyan) + "\n");
}

void ConsoleReporter::task_start(const Task&, const std::string& name, bool handler) {
    std::lock_guard<std::mutex> lock(m_mutex);
    flush_diffs_locked();
    m_task = name;
    m_done.clear();
    m_task_started = Clock::now();
    banner(std::string(handler ? "RUNNING HANDLER [" : "TASK [") + name + "]");
}

void ConsoleReporter::host_result(const Task& task, const std::string&, const HostResult& r) {
    std::string out;
    std::string who = "[" + r.host + "]";
    if (r.is_item) who += " => (item=" + r.item_label + ")";
    const Value& res = r.result;
    std::string msg = r.no_log ? "the output has been hidden due to no_log: true" : r.msg;
    switch (r.status) {
        case Status::Ok: {
            std::string line = "ok: " + who;
            if (r.probe_would_change) line += " (probe: would change)";
            if (task.module_name == "debug" && !r.no_log) line += " => " + msg;
            out += paint(line, k_green) + "\n";
            break;
        }
        case Status::Changed: {
            std::string line = "changed: " + who;
            if (r.would_run) line += " (would run)";
            if (!r.depends_on.empty()) line += " (depends on " + secrets().mask(r.depends_on) + ")";
            out += paint(line, k_yellow) + "\n";
            break;
        }
        case Status::Skipped:
            out += paint("skipping: " + who + (m_opts.verbosity > 0 && !msg.empty() ? " => " + msg : ""), k_cyan) + "\n";
            break;
        case Status::Failed: {
            std::string detail = msg;
            if (!r.no_log && res.is_map()) {
                for (const char* k : {"rc", "stderr", "stdout"}) {
                    const Value& v = res.get(k);
                    if (!v.is_null() && !(v.is_string() && v.as_string().empty()))
                        detail += std::string("\n  ") + k + ": " + (v.secret() ? k_masked : v.to_string());
                }
            }
            out += paint("fatal: " + who + ": FAILED! => " + detail, k_red) + "\n";
            if (r.ignored) out += paint("...ignoring", k_cyan) + "\n";
            break;
        }
        case Status::Unreachable:
            out += paint("fatal: " + who + ": UNREACHABLE! => " + msg, k_red) + "\n";
            break;
    }
    if (m_opts.verbosity > 0 && !r.no_log && res.is_map() && r.status != Status::Skipped) {
        out += to_yaml(res) + "\n";
    }
    std::vector<DiffLine> diff;
    if (m_opts.diff && r.show_diff && !r.changes.empty()) diff = diff_lines(r);
    std::lock_guard<std::mutex> lock(m_mutex);
    // Shown after the task, once per distinct change (flush_diffs_locked).
    m_diffs.add(r.host, r.is_item ? r.item_label : "", std::move(diff));
    if (!m_done.count(r.host)) {
        m_done.insert(r.host);
        m_host_seconds[r.host] += std::chrono::duration<double>(Clock::now() - m_task_started).count();
    }
    if ((r.status == Status::Failed && !r.ignored) || r.status == Status::Unreachable) m_failed.insert(r.host);
    write_locked(out);
}

void ConsoleReporter::warning(const std::string& msg) { write(paint("[WARNING]: " + msg, k_magenta) + "\n"); }

void ConsoleReporter::recap(const std::vector<HostStats>& stats, bool check) {
    stop_ticker();
    std::lock_guard<std::mutex> lock(m_mutex);
    flush_diffs_locked();
    banner(check ? "PLAY RECAP (dry run)" : "PLAY RECAP");
    size_t width = 26;
    for (const auto& s : stats) width = std::max(width, s.host.size() + 1);
    std::string out;
    for (const auto& s : stats) {
        const char* color = s.failed || s.unreachable ? k_red : s.changed ? k_yellow : k_green;
        std::string name = s.host + std::string(width - s.host.size(), ' ');
        char buf[256];
        std::snprintf(buf, sizeof buf, ": ok=%-4d changed=%-4d unreachable=%-4d failed=%-4d skipped=%-4d rescued=%-4d ignored=%d",
                      s.ok, s.changed, s.unreachable, s.failed, s.skipped, s.rescued, s.ignored);
        out += paint(name, color) + buf + "\n";
    }
    write_locked(out);
}

}  // namespace upkeep
