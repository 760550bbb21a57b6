#include "engine/report/console_reporter.hpp"

#include <cstdio>
#include <cstring>

#include "engine/playbook/playbook.hpp"
#include "engine/report/secret_registry.hpp"
#include "engine/report/unified_diff.hpp"
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
}  // namespace

std::string ConsoleReporter::paint(const std::string& text, const char* color) const {
    if (!m_opts.color) return text;
    return std::string(color) + text + "\033[0m";
}

namespace {

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

}  // namespace

void ConsoleReporter::write(const std::string& text) {
    std::string masked = secrets().mask(text);
    if (m_opts.escape_controls) masked = escape_controls(masked);
    std::lock_guard<std::mutex> lock(m_mutex);
    std::fwrite(masked.data(), 1, masked.size(), m_out);
    std::fflush(m_out);
}

void ConsoleReporter::banner(const std::string& title) {
    std::string line = title + " ";
    if (line.size() < 79) line += std::string(79 - line.size(), '*');
    write("\n" + paint(line, k_bold) + "\n");
}

void ConsoleReporter::playbook_start(const std::string& /*path*/, bool check) {
    if (check) write(paint("DRY RUN (--check): nothing will be changed on any host", k_cyan) + "\n");
}

void ConsoleReporter::play_start(const Play&, const std::string& name, const std::vector<std::string>& hosts) {
    banner("PLAY [" + name + "]");
    if (hosts.empty()) write(paint("skipping: no hosts matched", k_cyan) + "\n");
}

void ConsoleReporter::task_start(const Task&, const std::string& name, bool handler) {
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
    if (m_opts.diff && r.show_diff && !r.changes.empty()) {
        for (const auto& c : r.changes) {
            if (r.no_log) continue;  // nothing of a no_log task's arguments, not even the target
            if (c.secret || secrets().appears_in(c.before.value_or("")) || secrets().appears_in(c.after.value_or(""))) {
                // The summary says what changes without the secret bytes ("encrypt (now plain text)").
                if (c.before || c.after)
                    out += paint("diff of " + secrets().mask(c.target) + " hidden: it contains secrets" +
                                     (c.summary.empty() ? "" : " (" + secrets().mask(c.summary) + ")"),
                                 k_magenta) +
                           "\n";
                continue;
            }
            if (c.before || c.after) {
                std::string d = unified_diff(c.before.value_or(""), c.after.value_or(""), c.target);
                if (!c.before) d = "--- before: " + c.target + " (absent)\n" + d.substr(d.find('\n') + 1);
                for (const auto& line : split_lines_keep(d)) {
                    const char* color = line[0] == '+' ? k_green : line[0] == '-' ? k_red : line[0] == '@' ? k_cyan : "";
                    std::string body = line.back() == '\n' ? line.substr(0, line.size() - 1) : line;
                    out += (*color ? paint(body, color) : body) + "\n";
                }
            } else {
                out += paint(c.target + ": " + c.summary, k_magenta) + "\n";
            }
        }
    }
    if (m_opts.verbosity > 0 && !r.no_log && res.is_map() && r.status != Status::Skipped) {
        out += to_yaml(res) + "\n";
    }
    write(out);
}

void ConsoleReporter::warning(const std::string& msg) { write(paint("[WARNING]: " + msg, k_magenta) + "\n"); }

void ConsoleReporter::recap(const std::vector<HostStats>& stats, bool check) {
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
    write(out);
}

}  // namespace upkeep
