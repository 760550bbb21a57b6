#include "engine/connection/shell_channel.hpp"

#include <algorithm>
#include <chrono>
#include <random>

#include "engine/util/error.hpp"
#include "engine/util/strings.hpp"

namespace upkeep {

namespace {

// Writes go out in up to 64 KiB; reads come in through a small buffer: a
// thread holds it for as long as the host takes to answer, and at 1,000 hosts
// a thousand idle 64 KiB buffers were a quarter of the controller's memory.
// libssh keeps what arrived until it is read, so a small one costs only a
// few more calls for a large output.
constexpr size_t k_chunk = 64 * 1024;
constexpr size_t k_read_chunk = 8 * 1024;
constexpr const char* k_ready = "UPKEEP-SHELL-READY-5c1e\n";
constexpr const char* k_unsupported = "UPKEEP-SHELL-UNSUPPORTED-5c1e";
// How long the driver may take to come up (login shell, sudo) before the
// connection falls back to one exec per command.
constexpr auto k_start_timeout = std::chrono::seconds(300);

// The driver (see shell_channel.hpp). `read` without -r would eat
// backslashes; the header check stops at once on a desynchronised stream
// rather than run data as a command. Each command costs the host as few
// forks as the framing allows: the script is read by one `head` (a command
// substitution of one command forks once; trailing newlines it drops mean
// nothing at the end of a script) and run by `eval` in a subshell, a fork
// without an exec of a new shell, which gives it the same isolation as
// `sh -c` (its own variables, traps, `exit` and `set -e`). The driver's own
// variables are _uk_-prefixed so no script meets them by accident.
constexpr const char* k_driver_check =
    "case $(head --version 2>/dev/null) in *coreutils*) ;; *) echo UPKEEP-SHELL-UNSUPPORTED-5c1e; exit 70;; esac; ";
constexpr const char* k_driver =
    "echo UPKEEP-SHELL-READY-5c1e; "
    "while IFS=' ' read -r _uk_n _uk_c _uk_i; do "
    "case $_uk_n in ''|*[!A-Za-z0-9]*) exit 70;; esac; "
    "case $_uk_c$_uk_i in ''|*[!0-9]*) exit 70;; esac; "
    "_uk_s=''; if [ \"$_uk_c\" -gt 0 ]; then _uk_s=$(head -c \"$_uk_c\"); fi; "
    "if [ \"$_uk_i\" -gt 0 ]; then head -c \"$_uk_i\" | { (eval \"$_uk_s\") 9<&-; _uk_r=$?; cat >/dev/null; exit $_uk_r; }; _uk_r=$?; "
    "elif [ \"$_uk_c\" -gt 0 ]; then (eval \"$_uk_s\") </dev/null 9<&-; _uk_r=$?; "
    "else _uk_r=0; fi; "
    "printf '\\036%s\\n' \"$_uk_n\" >&2; printf '\\036%s:%d\\n' \"$_uk_n\" \"$_uk_r\"; "
    "done";

std::string nonce() {
    static thread_local std::mt19937_64 rng{std::random_device{}()};
    static const char k_chars[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    std::string s;
    for (int i = 0; i < 20; ++i) s += k_chars[rng() % (sizeof k_chars - 1)];
    return s;
}

// A session channel running `cmdline`; `setup_rtt_ms` gets the faster of
// the channel open and the exec request, each one round trip answered by sshd.
ssh_channel open_exec_channel(ssh_session session, const std::string& cmdline, double& setup_rtt_ms) {
    using Clock = std::chrono::steady_clock;
    auto ms_since = [](Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); };
    ssh_channel ch = ssh_channel_new(session);
    if (!ch) throw ShellChannelGone{};
    auto t_open = Clock::now();
    if (ssh_channel_open_session(ch) != SSH_OK) {
        ssh_channel_free(ch);
        throw ShellChannelGone{};
    }
    double open_ms = ms_since(t_open);
    auto t_exec = Clock::now();
    if (ssh_channel_request_exec(ch, cmdline.c_str()) != SSH_OK) {
        ssh_channel_free(ch);
        throw ShellChannelGone{};
    }
    setup_rtt_ms = std::min(open_ms, ms_since(t_exec));
    return ch;
}

}  // namespace

bool ShellChannel::unsupported(const std::string& said) { return said.find(k_unsupported) != std::string::npos; }

std::unique_ptr<ShellChannel> ShellChannel::start(ssh_session session, const BecomeSpec* become, bool refuse_password,
                                                  const std::string& prelude, double extra_wait_s, std::string& why,
                                                  std::string& said, std::string& exec_cmdline) {
    std::string driver = "exec /bin/sh -c " + shell_quote(std::string(k_driver_check) + prelude + k_driver);
    BecomeCommand b;
    if (become) b = wrap_become(driver, *become);
    exec_cmdline = become ? b.cmdline : driver;
    double setup_rtt_ms = 0;
    ssh_channel ch = open_exec_channel(session, exec_cmdline, setup_rtt_ms);
    std::string out, err, buf(k_read_chunk, '\0');
    bool gate_open = become == nullptr, password_sent = false;
    size_t scan_from = 0;
    auto fail = [&](std::string text) -> std::unique_ptr<ShellChannel> {
        ssh_channel_close(ch);
        ssh_channel_free(ch);
        why = std::move(text);
        said = out;
        return nullptr;
    };
    auto deadline = std::chrono::steady_clock::now() + k_start_timeout +
                    std::chrono::milliseconds(static_cast<long>(extra_wait_s * 1000));
    for (;;) {
        int n1 = ssh_channel_read_nonblocking(ch, buf.data(), static_cast<uint32_t>(buf.size()), 0);
        if (n1 == SSH_ERROR) {
            ssh_channel_free(ch);
            throw ShellChannelGone{};
        }
        if (n1 > 0) out.append(buf.data(), static_cast<size_t>(n1));
        int e = ssh_channel_read_nonblocking(ch, buf.data(), static_cast<uint32_t>(buf.size()), 1);
        if (e == SSH_ERROR) {
            ssh_channel_free(ch);
            throw ShellChannelGone{};
        }
        if (e > 0) err.append(buf.data(), static_cast<size_t>(e));
        if (!gate_open && e > 0) {
            std::string marker_line = b.marker + "\n";
            if (size_t m = err.find(marker_line, scan_from); m != std::string::npos) {
                err.erase(m, marker_line.size());
                gate_open = true;
            } else {
                auto [pb, pe] = find_become_prompt(b, err, scan_from);
                if (pb != std::string::npos) {
                    err.erase(pb, pe - pb);
                    scan_from = pb;
                    if (refuse_password)
                        return fail("become: not sending the " + become->method + " password: the host key changed (see the warning)");
                    if (password_sent || become->password.empty())
                        return fail("become: " + become->method + " refused the password for " + become->user);
                    std::string line = become->password + "\n";
                    if (ssh_channel_write(ch, line.data(), static_cast<uint32_t>(line.size())) == SSH_ERROR) {
                        ssh_channel_free(ch);
                        throw ShellChannelGone{};
                    }
                    password_sent = true;
                }
            }
        }
        if (gate_open) {
            if (out.find(k_ready) != std::string::npos) return std::unique_ptr<ShellChannel>(new ShellChannel(session, ch, setup_rtt_ms));
            if (out.find(k_unsupported) != std::string::npos) return fail("the host has no GNU head(1)");
        }
        if (n1 > 0 || e > 0) continue;
        if (ssh_channel_is_eof(ch) || ssh_channel_is_closed(ch)) return fail(trim(err));
        if (std::chrono::steady_clock::now() > deadline) return fail("the remote shell did not start");
        if (ssh_channel_poll_timeout(ch, 50, 0) == SSH_ERROR) {
            ssh_channel_free(ch);
            throw ShellChannelGone{};
        }
    }
}

ShellChannel::~ShellChannel() {
    // Closing stdin ends the driver's read loop; the close ends the channel.
    if (ssh_is_connected(m_session)) {
        ssh_channel_send_eof(m_ch);
        ssh_channel_close(m_ch);
    }
    ssh_channel_free(m_ch);
}

CommandResult ShellChannel::run(const std::string& script, const std::string& stdin_data, const std::string& endpoint) {
    if (ssh_channel_is_closed(m_ch) || ssh_channel_is_eof(m_ch)) throw ShellChannelGone{};
    // Output a command left behind after its end (a daemon still writing) is
    // not the next command's.
    std::string buf(k_read_chunk, '\0');
    while (ssh_channel_read_nonblocking(m_ch, buf.data(), static_cast<uint32_t>(buf.size()), 0) > 0) {
    }
    while (ssh_channel_read_nonblocking(m_ch, buf.data(), static_cast<uint32_t>(buf.size()), 1) > 0) {
    }
    std::string id = nonce();
    std::string request = id + " " + std::to_string(script.size()) + " " + std::to_string(stdin_data.size()) + "\n";
    request.reserve(request.size() + script.size() + stdin_data.size());
    request += script;
    request += stdin_data;
    std::string out_end = "\036" + id + ":", err_end = "\036" + id + "\n";
    CommandResult r;
    size_t sent = 0;
    bool out_done = false, err_done = false;
    size_t out_scan = 0, err_scan = 0;
    auto lost = [&]() { return ConnectionError(endpoint + ": connection lost while running a command"); };
    while (!(out_done && err_done)) {
        if (sent < request.size()) {
            size_t n = std::min<size_t>({request.size() - sent, static_cast<size_t>(ssh_channel_window_size(m_ch)), k_chunk});
            if (n > 0) {
                int w = ssh_channel_write(m_ch, request.data() + sent, static_cast<uint32_t>(n));
                if (w == SSH_ERROR) {
                    if (sent == 0) throw ShellChannelGone{};
                    throw lost();
                }
                sent += static_cast<size_t>(w);
            }
        }
        int n1 = ssh_channel_read_nonblocking(m_ch, buf.data(), static_cast<uint32_t>(buf.size()), 0);
        if (n1 == SSH_ERROR) throw lost();
        if (n1 > 0 && !out_done) {
            r.out.append(buf.data(), static_cast<size_t>(n1));
            if (size_t m = r.out.find(out_end, out_scan); m != std::string::npos) {
                out_scan = m;  // the rc may not have fully arrived yet
                if (r.out.find('\n', m) != std::string::npos) {
                    r.rc = std::atoi(r.out.c_str() + m + out_end.size());
                    r.out.erase(m);
                    out_done = true;
                }
            } else {
                out_scan = r.out.size() >= out_end.size() ? r.out.size() - out_end.size() : 0;
            }
        }
        int n2 = ssh_channel_read_nonblocking(m_ch, buf.data(), static_cast<uint32_t>(buf.size()), 1);
        if (n2 == SSH_ERROR) throw lost();
        if (n2 > 0 && !err_done) {
            r.err.append(buf.data(), static_cast<size_t>(n2));
            if (size_t m = r.err.find(err_end, err_scan); m != std::string::npos) {
                r.err.erase(m);
                err_done = true;
            } else {
                err_scan = r.err.size() >= err_end.size() ? r.err.size() - err_end.size() : 0;
            }
        }
        if (n1 > 0 || n2 > 0) continue;
        if (ssh_channel_is_eof(m_ch) || ssh_channel_is_closed(m_ch)) {
            if (sent == 0) throw ShellChannelGone{};
            throw lost();
        }
        int p = ssh_channel_poll_timeout(m_ch, sent < request.size() ? 5 : 100, 0);
        if (p == SSH_ERROR || !ssh_is_connected(m_session)) throw lost();
    }
    return r;
}

double ShellChannel::round_trip_ms(const std::string& endpoint) {
    auto t0 = std::chrono::steady_clock::now();
    run("", "", endpoint);
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace upkeep
