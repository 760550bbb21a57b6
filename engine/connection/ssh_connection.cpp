#include "engine/connection/ssh_connection.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <random>

#include "engine/connection/become.hpp"
#include "engine/connection/known_hosts.hpp"
#include "engine/connection/link_judge.hpp"
#include "engine/connection/shell_files.hpp"
#include "engine/connection/tcp_connect.hpp"
#include "engine/report/run_log.hpp"
#include "engine/util/error.hpp"
#include "engine/util/host_path.hpp"
#include "engine/util/strings.hpp"

namespace upkeep {

namespace {

constexpr size_t k_io_chunk = 64 * 1024;
// A command's output is read through this much at a time (see shell_channel.cpp's
// k_read_chunk: the buffer is held while the host works).
constexpr size_t k_read_chunk = 8 * 1024;
// Timeout for blocking libssh calls once connected (SFTP replies, channel
// setup); long-running commands are polled and never hit it.
constexpr long k_op_timeout_s = 300;
// Key exchange and authentication after the banner (tcp_connect.hpp): seconds
// of CPU on a loaded controller or host, not a sign of an unreachable one.
constexpr long k_handshake_timeout_s = 60;

std::string q(const std::string& s) { return shell_quote(s); }

std::string random_suffix() {
    static thread_local std::mt19937_64 rng{std::random_device{}()};
    static const char k_chars[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    std::string s;
    for (int i = 0; i < 12; ++i) s += k_chars[rng() % (sizeof k_chars - 1)];
    return s;
}

std::string sftp_error_text(int code) {
    switch (code) {
        case SSH_FX_EOF: return "end of file";
        case SSH_FX_NO_SUCH_FILE: return "no such file or directory";
        case SSH_FX_PERMISSION_DENIED: return "permission denied";
        case SSH_FX_FAILURE: return "failure (the server gave no reason)";
        case SSH_FX_BAD_MESSAGE: return "bad message";
        case SSH_FX_NO_CONNECTION: return "no connection";
        case SSH_FX_CONNECTION_LOST: return "connection lost";
        case SSH_FX_OP_UNSUPPORTED: return "operation unsupported";
        case SSH_FX_FILE_ALREADY_EXISTS: return "file already exists";
        case SSH_FX_WRITE_PROTECT: return "write protected";
        case SSH_FX_NO_MEDIA: return "no media";
        default: return "error " + std::to_string(code);
    }
}

bool valid_env_name(const std::string& k) {
    if (k.empty() || std::isdigit(static_cast<unsigned char>(k[0]))) return false;
    return std::all_of(k.begin(), k.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; });
}

std::string proxy_command(const SshOptions& o) {
    auto hops = split(o.proxy_jump, ',');
    SshEndpoint last = parse_ssh_endpoint(trim(hops.back()));
    std::string cmd = "exec ssh -o BatchMode=yes";
    if (o.ssh_config_file == "none") cmd += " -F /dev/null";
    else if (!o.ssh_config_file.empty()) cmd += " -F " + q(o.ssh_config_file);
    if (!o.known_hosts_file.empty()) cmd += " -o " + q("UserKnownHostsFile=" + o.known_hosts_file);
    const char* strict = o.host_key_checking == SshOptions::HostKeyChecking::Strict      ? "yes"
                         : o.host_key_checking == SshOptions::HostKeyChecking::AcceptNew ? "accept-new"
                                                                                          : "no";
    cmd += std::string(" -o StrictHostKeyChecking=") + strict;
    cmd += " -o ConnectTimeout=" + std::to_string(o.connect_timeout_s);
    for (const auto& id : o.identity_files) cmd += " -i " + q(id);
    if (hops.size() > 1) {
        hops.pop_back();
        cmd += " -J " + q(join(hops, ","));
    }
    if (!last.user.empty()) cmd += " -l " + q(last.user);
    if (last.port) cmd += " -p " + std::to_string(last.port);
    // libssh substitutes %h and %p before handing the line to /bin/sh.
    cmd += " -W '[%h]:%p' " + q(last.host);
    return cmd;
}

}  // namespace

SshConnection::SshConnection(SshOptions opts) : m_opts(std::move(opts)) {
    if (m_opts.address.empty()) m_opts.address = m_opts.host_name;
    if (m_opts.known_hosts_file.empty()) m_opts.known_hosts_file = expand_home("~/.ssh/known_hosts");
    m_shell_files = std::make_unique<ShellFiles>([this](const Command& c) { return run(c); }, m_opts.host_name);
}

SshConnection::~SshConnection() { drop_session(); }

std::string SshConnection::endpoint() const { return m_opts.address + ":" + std::to_string(m_opts.port); }

void SshConnection::connect() {
    if (!session_alive()) open_session();
}

void SshConnection::close() { drop_session(); }

void SshConnection::drop_session() {
    // Channels before their session.
    m_login_shell.reset();
    m_become_shell.reset();
    if (m_lock_channel) {
        // Closing the channel ends the remote holder, which releases the lock.
        if (m_session && session_alive()) ssh_channel_close(m_lock_channel);
        ssh_channel_free(m_lock_channel);
        m_lock_channel = nullptr;
    }
    if (m_sftp) {
        sftp_free(m_sftp);
        m_sftp = nullptr;
    }
    if (m_session) {
        runlog::event(runlog::Level::Debug, m_opts.host_name, "disconnect", {{"endpoint", endpoint()}});
        if (ssh_is_connected(m_session)) ssh_disconnect(m_session);
        ssh_free(m_session);
        m_session = nullptr;
    }
    m_ids_loaded = false;
    m_nss_users.clear();
    m_nss_groups.clear();
}

bool SshConnection::session_alive() const {
    if (!m_session || !ssh_is_connected(m_session)) return false;
    return (ssh_get_status(m_session) & (SSH_CLOSED | SSH_CLOSED_ERROR)) == 0;
}

void SshConnection::ensure_connected() {
    if (session_alive()) return;
    open_session();
}

void SshConnection::open_session() {
    long long t0 = runlog::now_ns();
    try {
        open_session_logged();
    } catch (const std::exception& e) {
        runlog::event(runlog::Level::Debug, m_opts.host_name, "connect_failed",
                      {{"endpoint", endpoint()}, {"user", m_opts.user}, {"ms", runlog::ms_since(t0)}, {"error", e.what()}});
        throw;
    }
    runlog::event(runlog::Level::Debug, m_opts.host_name, "connected",
                  {{"endpoint", endpoint()}, {"user", m_opts.user}, {"session", std::to_string(m_sessions_opened)},
                   {"via", m_opts.proxy_jump.empty() ? (m_opts.proxy_command.empty() ? "tcp" : "proxycommand") : "proxyjump"},
                   {"ms", runlog::ms_since(t0)}});
}

void SshConnection::open_session_logged() {
    drop_session();
    m_session = ssh_new();
    if (!m_session) throw ConnectionError(endpoint() + ": cannot create an SSH session");
    ssh_session s = m_session;
    long timeout = m_opts.connect_timeout_s > 0 ? m_opts.connect_timeout_s : 10;
    set_session_options(s, timeout);
    connect_transport(s, timeout);
    ++m_sessions_opened;
    try {
        verify_and_authenticate(s);
    } catch (...) {
        drop_session();
        throw;
    }
    long op_timeout = k_op_timeout_s;
    ssh_options_set(s, SSH_OPTIONS_TIMEOUT, &op_timeout);
    if (m_lock_request) {
        try {
            take_run_lock();
        } catch (...) {
            drop_session();
            throw;
        }
    }
    cleanup_pending_temps();
}

void SshConnection::set_session_options(ssh_session s, long timeout) {
    int yes = 1, no = 0;
    unsigned int port = static_cast<unsigned int>(m_opts.port);
    // The configuration was already resolved into m_opts (ssh_options_from_vars).
    ssh_options_set(s, SSH_OPTIONS_PROCESS_CONFIG, &no);
    ssh_options_set(s, SSH_OPTIONS_HOST, m_opts.address.c_str());
    ssh_options_set(s, SSH_OPTIONS_PORT, &port);
    if (!m_opts.user.empty()) ssh_options_set(s, SSH_OPTIONS_USER, m_opts.user.c_str());
    ssh_options_set(s, SSH_OPTIONS_NODELAY, &yes);
    ssh_options_set(s, SSH_OPTIONS_TIMEOUT, &timeout);
    ssh_options_set(s, SSH_OPTIONS_KNOWNHOSTS, m_opts.known_hosts_file.c_str());
    if (!m_opts.proxy_jump.empty()) ssh_options_set(s, SSH_OPTIONS_PROXYCOMMAND, proxy_command(m_opts).c_str());
    else if (!m_opts.proxy_command.empty()) ssh_options_set(s, SSH_OPTIONS_PROXYCOMMAND, m_opts.proxy_command.c_str());
}

void SshConnection::connect_transport(ssh_session s, long timeout) {
    // Direct connections: the TCP connect and the banner within the connect
    // timeout (tcp_connect.hpp), then key exchange within a longer one, as
    // OpenSSH's ConnectTimeout works.
    bool direct = m_opts.proxy_jump.empty() && m_opts.proxy_command.empty();
    long handshake = std::max(timeout, k_handshake_timeout_s);
    if (direct) {
        int fd = -1;
        try {
            fd = tcp_connect_ssh(m_opts.address, m_opts.port, static_cast<int>(timeout));
        } catch (const TcpConnectError& e) {
            drop_session();
            throw ConnectionError(endpoint() + ": " + e.why);
        }
        ssh_options_set(s, SSH_OPTIONS_FD, &fd);  // libssh owns it from here
        ssh_options_set(s, SSH_OPTIONS_TIMEOUT, &handshake);
    }
    if (ssh_connect(s) != SSH_OK) {
        std::string detail = ssh_get_error(s);
        std::string low = to_lower(detail);
        std::string why = low.find("refused") != std::string::npos ? "connection refused"
                          : low.find("timeout") != std::string::npos || low.find("timed out") != std::string::npos
                              ? direct ? "no answer to the SSH key exchange or authentication within " +
                                             std::to_string(handshake) + " s"
                                       : "connection timed out after " + std::to_string(timeout) + " s"
                          : low.find("resolve") != std::string::npos || low.find("not known") != std::string::npos ||
                                  low.find("getaddrinfo") != std::string::npos
                              ? "cannot resolve host name (" + detail + ")"
                          : low.find("no route") != std::string::npos ? "no route to host"
                                                                       : detail;
        drop_session();
        if (!m_opts.proxy_command.empty()) why += " (through ProxyCommand " + m_opts.proxy_command + ")";
        throw ConnectionError(endpoint() + ": " + why);
    }
    // TCP keepalive notices a peer that vanished without closing the socket.
    if (int fd = ssh_get_fd(s); fd >= 0 && direct) {
        int yes = 1, idle = 60, interval = 15, count = 4;
        setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &yes, sizeof yes);
        setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle);
        setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &interval, sizeof interval);
        setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &count, sizeof count);
    }
}

void SshConnection::verify_and_authenticate(ssh_session s) {
    HostKeyVerdict v = verify_host_key(s, m_opts.address, m_opts.port, m_opts.known_hosts_file, m_opts.host_key_checking);
    m_host_key_changed = v.changed;
    if (!v.warning.empty()) m_warnings.push_back(m_opts.host_name + ": " + v.warning);
    runlog::event(runlog::Level::Debug, m_opts.host_name, "host_key",
                  {{"checking", m_opts.host_key_checking == SshOptions::HostKeyChecking::Strict      ? "strict"
                                : m_opts.host_key_checking == SshOptions::HostKeyChecking::AcceptNew ? "accept-new"
                                                                                                      : "off"},
                   {"known_hosts", m_opts.known_hosts_file},
                   {"changed", v.changed ? "true" : "false"},
                   {"warning", v.warning}});
    authenticate();
}

void SshConnection::lock_run(const RunLockRequest& req) {
    m_lock_request = req;
    if (session_alive()) take_run_lock();
    else open_session();  // takes it after authenticating
}

void SshConnection::take_run_lock() {
    // The lock is named after the host as this inventory reaches it (name, and
    // address and port where they differ from the defaults): two runs from one
    // Git repository of inventory meet on the same lock, while unrelated
    // inventories whose hosts share a name but are different sshd endpoints
    // (test labs, several sshd on one machine) do not block each other.
    std::string key = m_opts.host_name;
    if (!m_opts.address.empty() && m_opts.address != m_opts.host_name) key += "@" + m_opts.address;
    if (m_opts.port != 22) key += "_" + std::to_string(m_opts.port);
    // The long-lived shell takes the lock before it serves (one login shell
    // for both); a host that cannot run it gets a channel of its own for the lock.
    m_lock_skipped = false;
    if (m_opts.persistent_shell && !m_login_shell_off) {
        m_login_shell.reset();
        std::string why, said;
        try {
            m_login_shell = ShellChannel::start(m_session, nullptr, false,
                                                remote_run_lock_script(key, *m_lock_request, false),
                                                m_lock_request->timeout_s, why, said, m_last_exec);
        } catch (const ShellChannelGone&) {
            if (!session_alive()) throw ConnectionError(endpoint() + ": connection lost while taking the run lock");
        }
        if (m_login_shell) return;
        if (!ShellChannel::unsupported(said)) return lock_not_held(said, why, false);
        m_login_shell_off = true;
    }
    std::string script = "/bin/sh -c " + q(remote_run_lock_script(key, *m_lock_request));
    ssh_channel ch = ssh_channel_new(m_session);
    if (!ch || ssh_channel_open_session(ch) != SSH_OK || ssh_channel_request_exec(ch, script.c_str()) != SSH_OK) {
        std::string err = ssh_get_error(m_session);
        if (ch) ssh_channel_free(ch);
        throw ConnectionError(endpoint() + ": cannot start the run lock: " + err);
    }
    // The script answers with one "UPKEEP-LOCK-..." line once it holds the lock
    // or gave up. The login shell runs first: its rc files may print (a motd, a
    // pyenv notice) and may take long (root's `pyenv rehash` waits 60 s on a
    // stale lock), so the answer is looked for anywhere in the output and
    // waited for as long as any command would be, not a fixed short time.
    std::string out, err, buf(4096, '\0');
    auto deadline = std::chrono::steady_clock::now() +
                    std::chrono::duration<double>(m_lock_request->timeout_s + k_op_timeout_s);
    bool timed_out = false;
    for (;;) {
        int n1 = ssh_channel_read_nonblocking(ch, buf.data(), static_cast<uint32_t>(buf.size()), 0);
        if (n1 > 0) out.append(buf.data(), static_cast<size_t>(n1));
        int n2 = ssh_channel_read_nonblocking(ch, buf.data(), static_cast<uint32_t>(buf.size()), 1);
        if (n2 > 0 && err.size() < 4096) err.append(buf.data(), static_cast<size_t>(n2));
        if (size_t at = out.find("UPKEEP-LOCK-"); at != std::string::npos && out.find('\n', at) != std::string::npos) break;
        if (n1 == SSH_ERROR || n2 == SSH_ERROR || !session_alive()) break;
        if (n1 > 0 || n2 > 0) continue;
        if (ssh_channel_is_eof(ch) || ssh_channel_is_closed(ch)) break;
        if (std::chrono::steady_clock::now() >= deadline) {
            timed_out = true;
            break;
        }
        if (ssh_channel_poll_timeout(ch, 200, 0) == SSH_ERROR) break;
    }
    size_t at = out.find("UPKEEP-LOCK-HELD ");
    if (at != std::string::npos && out.find('\n', at) != std::string::npos) {
        m_lock_channel = ch;
        return;
    }
    ssh_channel_close(ch);
    ssh_channel_free(ch);
    lock_not_held(out, err, timed_out);
}

void SshConnection::lock_not_held(const std::string& out, const std::string& err, bool timed_out) {
    std::string line;
    if (size_t at = out.find("UPKEEP-LOCK-"); at != std::string::npos)
        line = trim(out.substr(at, out.find('\n', at) == std::string::npos ? std::string::npos : out.find('\n', at) - at));
    if (starts_with(line, "UPKEEP-LOCK-BUSY ")) {
        std::string rest = line.substr(17);
        size_t sp = rest.find(' ');
        std::string path = rest.substr(0, sp), info = sp == std::string::npos ? "" : rest.substr(sp + 1);
        throw HostBusyError(run_lock_busy_message(m_opts.host_name, path, info, m_lock_request->timeout_s));
    }
    if (!session_alive()) throw ConnectionError(endpoint() + ": connection lost while taking the run lock");
    std::string why;
    if (starts_with(line, "UPKEEP-LOCK-ERROR ")) {
        why = line.substr(18);
    } else {
        std::string said = trim(err.empty() ? out : err);
        if (said.size() > 300) said = said.substr(said.size() - 300);
        why = std::string(timed_out ? "no answer from the host within " +
                                          std::to_string(static_cast<long>(m_lock_request->timeout_s + k_op_timeout_s)) + " s"
                                    : "the lock command ended without an answer") +
              (said.empty() ? "" : " (it said: " + said + ")");
    }
    // Never run unlocked behind the user's back: a second run would interleave
    // its edits with ours. A host that cannot give a lock (no flock(1)) may be
    // let through explicitly with upkeep_run_lock=false.
    if (!m_opts.run_lock_required) {
        m_lock_skipped = true;
        m_warnings.push_back(m_opts.host_name + ": running WITHOUT the run lock (upkeep_run_lock=false): cannot take it: " + why);
        return;
    }
    throw ConnectionError(m_opts.host_name + ": cannot take the run lock: " + why +
                          "; fix the host, or set upkeep_run_lock=false for it to run without the lock");
}

void SshConnection::authenticate() {
    ssh_session s = m_session;
    int rc = ssh_userauth_none(s, nullptr);
    if (rc == SSH_AUTH_SUCCESS) return;
    if (rc == SSH_AUTH_ERROR) throw ConnectionError(endpoint() + ": authentication failed: " + ssh_get_error(s));
    int methods = ssh_userauth_list(s, nullptr);
    std::vector<std::string> tried;

    if (methods & SSH_AUTH_METHOD_PUBLICKEY) {
        if (const char* sock = std::getenv("SSH_AUTH_SOCK"); sock && *sock && !m_opts.identities_only) {
            tried.push_back("ssh-agent");
            if (ssh_userauth_agent(s, nullptr) == SSH_AUTH_SUCCESS) return;
        }
        std::vector<std::string> keys = m_opts.identity_files;
        for (const char* d : {"~/.ssh/id_ed25519", "~/.ssh/id_ecdsa", "~/.ssh/id_rsa"}) {
            std::string p = expand_home(d);
            if (std::find(keys.begin(), keys.end(), p) == keys.end()) keys.push_back(p);
        }
        for (const auto& path : keys) {
            std::error_code ec;
            if (!std::filesystem::exists(path, ec)) {
                if (std::find(m_opts.identity_files.begin(), m_opts.identity_files.end(), path) != m_opts.identity_files.end())
                    tried.push_back(path + " (missing)");
                continue;
            }
            ssh_key key = nullptr;
            if (ssh_pki_import_privkey_file(path.c_str(), nullptr, nullptr, nullptr, &key) != SSH_OK) {
                tried.push_back(path + " (unreadable or encrypted)");
                continue;
            }
            tried.push_back(path);
            rc = ssh_userauth_publickey(s, nullptr, key);
            ssh_key_free(key);
            if (rc == SSH_AUTH_SUCCESS) return;
            if (rc == SSH_AUTH_ERROR) throw ConnectionError(endpoint() + ": authentication failed: " + ssh_get_error(s));
        }
    }
    if (!m_opts.password.empty() && !m_opts.password_auth) {
        tried.push_back("not the password: PasswordAuthentication=no");
    } else if (!m_opts.password.empty() && m_host_key_changed) {
        tried.push_back("not the password: the host key changed");
    } else if (!m_opts.password.empty()) {
        if (methods & SSH_AUTH_METHOD_PASSWORD) {
            tried.push_back("password");
            if (ssh_userauth_password(s, nullptr, m_opts.password.c_str()) == SSH_AUTH_SUCCESS) return;
        } else if (methods & SSH_AUTH_METHOD_INTERACTIVE) {
            tried.push_back("keyboard-interactive");
            rc = ssh_userauth_kbdint(s, nullptr, nullptr);
            while (rc == SSH_AUTH_INFO) {
                int n = ssh_userauth_kbdint_getnprompts(s);
                for (int i = 0; i < n; ++i) ssh_userauth_kbdint_setanswer(s, i, m_opts.password.c_str());
                rc = ssh_userauth_kbdint(s, nullptr, nullptr);
            }
            if (rc == SSH_AUTH_SUCCESS) return;
        }
    }
    throw ConnectionError(m_opts.user + "@" + endpoint() + ": authentication failed (tried: " +
                          (tried.empty() ? std::string("nothing the server accepts") : join(tried, ", ")) + ")");
}

template <class F>
auto SshConnection::with_session(const char* what, F&& f) -> decltype(f()) {
    ensure_connected();
    long long t0 = runlog::now_ns();
    try {
        if constexpr (std::is_void_v<decltype(f())>) {
            f();
            runlog::event(runlog::Level::Trace, m_opts.host_name, "ssh_op", {{"op", what}, {"ms", runlog::ms_since(t0)}});
            return;
        } else {
            auto r = f();
            runlog::event(runlog::Level::Trace, m_opts.host_name, "ssh_op", {{"op", what}, {"ms", runlog::ms_since(t0)}});
            return r;
        }
    } catch (const SessionLost&) {
        runlog::event(runlog::Level::Debug, m_opts.host_name, "session_lost", {{"op", what}, {"endpoint", endpoint()}});
    }
    // The session died between calls (the drop is only noticed on use):
    // reconnect once and try again. If that fails too, say that the session
    // was lost first: "connection refused" alone hides that a write or a
    // command was cut in the middle.
    try {
        open_session();
    } catch (const ConnectionError& e) {
        throw ConnectionError(endpoint() + ": connection lost during " + what + ", and reconnecting failed: " + e.what());
    }
    try {
        return f();
    } catch (const SessionLost&) {
        throw ConnectionError(endpoint() + ": connection lost during " + what);
    }
}

namespace {

// One exec channel's command as it runs.
struct ExecRun {
    ssh_channel ch;
    CommandResult r;
    size_t sent = 0;
    bool eof_sent = false;
    bool gate_open = true;  // under become, stdin stays closed until the payload announced itself
    bool password_sent = false;
    size_t scan_from = 0;
};

// Writes what the peer's window takes of stdin, then EOF, so a command that
// writes a lot before reading its stdin cannot deadlock us. False when the
// channel refused the write.
bool pump_stdin(ExecRun& x, const std::string& stdin_data) {
    if (!x.gate_open || x.eof_sent) return true;
    if (x.sent < stdin_data.size()) {
        size_t n = std::min<size_t>({stdin_data.size() - x.sent, static_cast<size_t>(ssh_channel_window_size(x.ch)), k_io_chunk});
        if (n > 0) {
            int w = ssh_channel_write(x.ch, stdin_data.data() + x.sent, static_cast<uint32_t>(n));
            if (w == SSH_ERROR) return false;
            x.sent += static_cast<size_t>(w);
        }
    }
    if (x.sent >= stdin_data.size()) {
        ssh_channel_send_eof(x.ch);
        x.eof_sent = true;
    }
    return true;
}

// Under become, new stderr either holds the payload's marker (the gate opens)
// or the method's prompt, answered once with the password. Returns why the
// command must be abandoned, or "".
std::string become_gate_step(ExecRun& x, const BecomeCommand& become, const SshOptions& o, bool host_key_changed,
                             bool& write_failed) {
    std::string marker_line = become.marker + "\n";
    if (size_t m = x.r.err.find(marker_line, x.scan_from); m != std::string::npos) {
        x.r.err.erase(m, marker_line.size());
        x.gate_open = true;
        return "";
    }
    auto [pb, pe] = find_become_prompt(become, x.r.err, x.scan_from);
    if (pb == std::string::npos) return "";
    x.r.err.erase(pb, pe - pb);
    x.scan_from = pb;
    if (host_key_changed) return "become: not sending the " + o.become_method + " password: the host key changed (see the warning)\n";
    if (x.password_sent || o.become_password.empty())
        return "become: " + o.become_method + " refused the password for " + o.become_user + "\n";
    std::string line = o.become_password + "\n";
    write_failed = ssh_channel_write(x.ch, line.data(), static_cast<uint32_t>(line.size())) == SSH_ERROR;
    x.password_sent = true;
    return "";
}

}  // namespace

CommandResult SshConnection::exec(const std::string& cmdline, const std::string& stdin_data, const BecomeCommand* become) {
    m_last_exec = cmdline;
    ExecRun x{ssh_channel_new(m_session), {}};
    if (!x.ch) throw SessionLost{};
    if (ssh_channel_open_session(x.ch) != SSH_OK || ssh_channel_request_exec(x.ch, cmdline.c_str()) != SSH_OK) {
        std::string err = ssh_get_error(m_session);
        ssh_channel_free(x.ch);
        // Nothing ran yet, so a dead session can safely be retried.
        if (!session_alive()) throw SessionLost{};
        throw ConnectionError(endpoint() + ": cannot start a command: " + err);
    }
    x.gate_open = become == nullptr;
    std::string buf(k_read_chunk, '\0');
    auto lost = [&](const char* when) {
        ssh_channel_free(x.ch);
        return ConnectionError(endpoint() + ": connection lost " + when + ": " + ssh_get_error(m_session));
    };
    for (;;) {
        if (!pump_stdin(x, stdin_data)) throw lost("while sending stdin");
        int n1 = ssh_channel_read_nonblocking(x.ch, buf.data(), static_cast<uint32_t>(buf.size()), 0);
        if (n1 == SSH_ERROR) throw lost("while running a command");
        if (n1 > 0) x.r.out.append(buf.data(), static_cast<size_t>(n1));
        int n2 = ssh_channel_read_nonblocking(x.ch, buf.data(), static_cast<uint32_t>(buf.size()), 1);
        if (n2 == SSH_ERROR) throw lost("while running a command");
        if (n2 > 0) x.r.err.append(buf.data(), static_cast<size_t>(n2));
        if (!x.gate_open && n2 > 0) {
            bool write_failed = false;
            std::string why = become_gate_step(x, *become, m_opts, m_host_key_changed, write_failed);
            if (write_failed) throw lost("while sending the become password");
            if (!why.empty()) {
                ssh_channel_close(x.ch);
                ssh_channel_free(x.ch);
                x.r.rc = 1;
                x.r.err += why;
                return x.r;
            }
            if (x.gate_open) continue;
        }
        if (n1 > 0 || n2 > 0) continue;
        if (ssh_channel_is_eof(x.ch) || ssh_channel_is_closed(x.ch)) break;
        if (ssh_channel_poll_timeout(x.ch, x.gate_open && x.eof_sent ? 100 : 5, 0) == SSH_ERROR || !session_alive())
            throw lost("while running a command");
    }
    int status = ssh_channel_get_exit_status(x.ch);
    x.r.rc = status < 0 ? 255 : status;
    ssh_channel_close(x.ch);
    ssh_channel_free(x.ch);
    if (!x.gate_open && x.r.rc == 0) x.r.rc = 1;  // the payload never started
    return x.r;
}

CommandResult SshConnection::shell_exec(const std::string& script, const std::string& stdin_data, bool become) {
    BecomeSpec spec{m_opts.become_method, m_opts.become_user, m_opts.become_password};
    auto& slot = become ? m_become_shell : m_login_shell;
    bool& off = become ? m_become_shell_off : m_login_shell_off;
    if (!slot && !off && m_opts.persistent_shell && !become && m_lock_request && !m_lock_channel &&
        !m_lock_skipped) {
        // The login shell holds the run lock: a new one takes it again.
        take_run_lock();
    } else if (!slot && !off && m_opts.persistent_shell) {
        std::string why, said;
        try {
            slot = ShellChannel::start(m_session, become ? &spec : nullptr, m_host_key_changed, "", 0, why, said, m_last_exec);
        } catch (const ShellChannelGone&) {
            if (!session_alive()) throw SessionLost{};
        }
        // No driver (no GNU head, a refused password): one exec per command,
        // which gives the host's own answer to every command.
        if (!slot) off = true;
    }
    if (slot) {
        try {
            return slot->run(script, stdin_data, endpoint());
        } catch (const ShellChannelGone&) {
            slot.reset();
            if (!session_alive()) throw SessionLost{};
            // The driver ended by itself (killed on the host): nothing ran;
            // a new one starts with the next command.
            return shell_exec(script, stdin_data, become);
        }
    }
    if (!become) return exec(script, stdin_data);
    BecomeCommand b = wrap_become(script, spec);
    return exec(b.cmdline, stdin_data, &b);
}

CommandResult SshConnection::run(const Command& cmd) {
    long long t0 = runlog::now_ns();
    CommandResult r = run_unlogged(cmd);
    // The command's text (secrets masked by the log), never its stdin.
    runlog::event(runlog::Level::Debug, m_opts.host_name, "command",
                  {{"via", "ssh"}, {"cmd", cmd.cmdline}, {"become_user", m_opts.become ? m_opts.become_user : ""},
                   {"rc", std::to_string(r.rc)}, {"stdout_bytes", std::to_string(r.out.size())},
                   {"stderr_bytes", std::to_string(r.err.size())}, {"ms", runlog::ms_since(t0)}});
    return r;
}

CommandResult SshConnection::run_unlogged(const Command& cmd) {
    std::string script;
    if (!cmd.chdir.empty()) script += "cd " + q(cmd.chdir) + " && ";
    if (!cmd.env.empty()) {
        script += "env";
        for (const auto& [k, v] : cmd.env) {
            if (!valid_env_name(k)) throw TaskError(m_opts.host_name + ": invalid environment variable name '" + k + "'");
            script += " " + q(k + "=" + v);
        }
        script += " ";
    }
    script += "/bin/sh -c " + q(cmd.cmdline);
    // A command may change any file: what the shell files read ahead is gone.
    if (cmd.mutating) m_shell_files->invalidate();
    return with_session("a command", [&] { return shell_exec(script, cmd.stdin_data, m_opts.become); });
}

bool SshConnection::files_via_shell() {
    if (m_files_via_shell < 0) {
        if (m_opts.become && m_opts.become_user != m_opts.user) {
            m_files_via_shell = 1;
        } else if (m_opts.files_via != "auto" || !m_opts.persistent_shell) {
            m_files_via_shell = m_opts.files_via == "shell" ? 1 : 0;
        } else {
            // SFTP needs several round trips per file operation (stat, open,
            // read, close...), the shell one: across a slow link (a WAN's
            // tens of ms) the shell wins, on a fast one SFTP's lack of fork
            // does. The first samples are free: the channel open and exec
            // request that started the shell. Only a slow answer is measured
            // again, once, with a real request, and then weighed against the
            // kernel's view of the wire and the controller's load
            // (link_judge.hpp): a loaded machine stalls loopback, a link's
            // delay stays.
            LinkSample sample;
            sample.kernel_rtt_ms = kernel_rtt_ms(ssh_get_fd(m_session));
            sample.app_rtt_ms = with_session("a command", [&] {
                if (!m_login_shell) shell_exec("", "", false);  // starts the shell
                if (!m_login_shell) return 1e9;
                double ms = m_login_shell->setup_round_trip_ms();
                if (ms > k_slow_link_ms) ms = std::min(ms, m_login_shell->round_trip_ms(endpoint()));
                return ms;
            });
            if (sample.app_rtt_ms > k_slow_link_ms && !(sample.kernel_rtt_ms && *sample.kernel_rtt_ms > k_slow_link_ms))
                sample.controller_busy = controller_busy();
            m_files_via_shell = sample.app_rtt_ms < 1e9 && link_is_slow(sample) ? 1 : 0;
            runlog::event(runlog::Level::Debug, m_opts.host_name, "link",
                          {{"app_rtt_ms", std::to_string(sample.app_rtt_ms)},
                           {"kernel_rtt_ms", sample.kernel_rtt_ms ? std::to_string(*sample.kernel_rtt_ms) : "none"},
                           {"controller_busy", sample.controller_busy ? "true" : "false"},
                           {"files_via", m_files_via_shell ? "shell" : "sftp"}});
        }
        m_shell_files->enable_cache(m_files_via_shell == 1);
    }
    return m_files_via_shell == 1;
}

bool SshConnection::wants_path_hints() {
    // Only where file operations go through the shell with its read-ahead: on
    // a fast link SFTP answers each one at once.
    try {
        return session_alive() && files_via_shell();
    } catch (const std::exception&) {
        return false;  // the next real operation reports it
    }
}

void SshConnection::expect_paths(std::vector<std::vector<std::string>> by_task) {
    m_shell_files->expect(std::move(by_task));
}

// ---- SFTP ----

sftp_session SshConnection::sftp() {
    if (m_sftp) return m_sftp;
    sftp_session f = sftp_new(m_session);
    if (!f) {
        if (!session_alive()) throw SessionLost{};
        throw ConnectionError(endpoint() + ": cannot open SFTP: " + ssh_get_error(m_session));
    }
    if (sftp_init(f) != SSH_OK) {
        sftp_free(f);
        if (!session_alive()) throw SessionLost{};
        throw ConnectionError(endpoint() + ": cannot start SFTP (is the sftp subsystem enabled?): " +
                              ssh_get_error(m_session));
    }
    m_sftp = f;
    m_has_fsync = sftp_extension_supported(f, "fsync@openssh.com", "1") != 0;
    return f;
}

void SshConnection::sftp_fail(const std::string& what, const std::string& path) {
    if (!session_alive()) throw SessionLost{};
    int code = m_sftp ? sftp_get_error(m_sftp) : -1;
    // No request legitimately fails with EOF or a lost connection: the SFTP
    // channel ended under us (the server is going away and libssh has not
    // read the disconnect yet). Start over on a new session; if the host is
    // gone, reconnecting fails and the host is unreachable, not a task failure.
    bool channel_gone = m_sftp && m_sftp->channel &&
                        (ssh_channel_is_closed(m_sftp->channel) || ssh_channel_is_eof(m_sftp->channel));
    if (code == SSH_FX_EOF || code == SSH_FX_NO_CONNECTION || code == SSH_FX_CONNECTION_LOST || channel_gone) {
        drop_session();
        throw SessionLost{};
    }
    throw TaskError(m_opts.host_name + ": " + what + " " + path + ": " + sftp_error_text(code));
}

void SshConnection::load_id_names() {
    if (m_ids_loaded) return;
    m_ids_loaded = true;
    // /etc/passwd and /etc/group give names for SFTP's bare numbers without a
    // command per lookup; users only known to NSS fall back to `id`/`getent`.
    auto load = [&](const std::string& file) {
        std::string text;  // read in place: every host reads these at the same task
        if (sftp_file f = sftp_open(sftp(), file.c_str(), O_RDONLY, 0)) {
            for (ssize_t n = 1; n > 0;) {
                size_t at = text.size();
                text.resize(at + k_read_chunk);
                n = sftp_read(f, text.data() + at, k_read_chunk);
                text.resize(at + static_cast<size_t>(std::max<ssize_t>(n, 0)));
            }
            sftp_close(f);
        }
        return IdTable::of(text);
    };
    m_passwd = load("/etc/passwd");
    m_group = load("/etc/group");
}

std::string SshConnection::user_name(uint32_t uid) {
    load_id_names();
    return m_passwd->name(uid).value_or(std::to_string(uid));
}

std::string SshConnection::group_name(uint32_t gid) {
    load_id_names();
    return m_group->name(gid).value_or(std::to_string(gid));
}

uint32_t SshConnection::resolve_user(const std::string& name) {
    if (!name.empty() && name.find_first_not_of("0123456789") == std::string::npos) return static_cast<uint32_t>(std::stoul(name));
    load_id_names();
    if (auto id = m_passwd->id(name)) return *id;
    if (auto it = m_nss_users.find(name); it != m_nss_users.end()) return it->second;
    CommandResult r = shell_exec("id -u -- " + q(name), "", false);
    if (r.rc != 0) throw TaskError(m_opts.host_name + ": unknown user '" + name + "'");
    uint32_t id = static_cast<uint32_t>(std::stoul(trim(r.out)));
    m_nss_users[name] = id;
    return id;
}

uint32_t SshConnection::resolve_group(const std::string& name) {
    if (!name.empty() && name.find_first_not_of("0123456789") == std::string::npos) return static_cast<uint32_t>(std::stoul(name));
    load_id_names();
    if (auto id = m_group->id(name)) return *id;
    if (auto it = m_nss_groups.find(name); it != m_nss_groups.end()) return it->second;
    CommandResult r = shell_exec("getent group -- " + q(name), "", false);
    auto fields = split(trim(r.out), ':');
    if (r.rc != 0 || fields.size() < 3) throw TaskError(m_opts.host_name + ": unknown group '" + name + "'");
    uint32_t id = static_cast<uint32_t>(std::stoul(fields[2]));
    m_nss_groups[name] = id;
    return id;
}

FileInfo SshConnection::sftp_stat(const std::string& path, bool follow) {
    sftp_attributes a = follow ? ::sftp_stat(sftp(), path.c_str()) : sftp_lstat(sftp(), path.c_str());
    FileInfo info;
    if (!a) {
        if (sftp_get_error(m_sftp) == SSH_FX_NO_SUCH_FILE) return info;
        sftp_fail("cannot stat", path);
    }
    switch (a->type) {
        case SSH_FILEXFER_TYPE_REGULAR: info.kind = FileInfo::Kind::File; break;
        case SSH_FILEXFER_TYPE_DIRECTORY: info.kind = FileInfo::Kind::Dir; break;
        case SSH_FILEXFER_TYPE_SYMLINK: info.kind = FileInfo::Kind::Link; break;
        default:
            info.kind = FileInfo::Kind::Other;
            info.special = special_kind_name(a->permissions & 0170000);
    }
    info.mode = a->permissions & 07777;
    info.uid = a->uid;
    info.gid = a->gid;
    info.size = a->size;
    sftp_attributes_free(a);
    info.owner = user_name(info.uid);
    info.group = group_name(info.gid);
    if (info.is_link()) {
        char* t = sftp_readlink(m_sftp, path.c_str());
        if (!t) sftp_fail("cannot read link", path);
        info.link_target = t;
        ssh_string_free_char(t);
    }
    return info;
}

FileInfo SshConnection::stat(const std::string& path, bool follow) {
    if (files_via_shell()) return m_shell_files->stat(path, follow);
    return with_session("stat", [&] { return sftp_stat(path, follow); });
}

std::optional<std::string> SshConnection::read_file(const std::string& path) {
    runlog::event(runlog::Level::Trace, m_opts.host_name, "read_file", {{"path", path}, {"via", files_via_shell() ? "shell" : "sftp"}});
    if (files_via_shell()) return m_shell_files->read_file(path);
    return with_session("read", [&]() -> std::optional<std::string> {
        // Check the type before opening: the sftp-server opening a FIFO would
        // block for ever (and a device never ends). Checked again on the handle.
        FileInfo pre = sftp_stat(path, true);
        if (!pre.exists()) return std::nullopt;
        if (pre.kind == FileInfo::Kind::Other)
            throw TaskError(m_opts.host_name + ": refusing to read " + path + ": it is " + pre.kind_text() + ", not a regular file");
        sftp_file f = sftp_open(sftp(), path.c_str(), O_RDONLY, 0);
        if (!f) {
            if (sftp_get_error(m_sftp) == SSH_FX_NO_SUCH_FILE) return std::nullopt;
            sftp_fail("cannot read", path);
        }
        sftp_attributes a = sftp_fstat(f);
        bool is_dir = a && a->type == SSH_FILEXFER_TYPE_DIRECTORY;
        bool is_reg = !a || a->type == SSH_FILEXFER_TYPE_REGULAR;
        uint64_t size = a ? a->size : 0;
        if (a) sftp_attributes_free(a);
        if (is_dir) {
            sftp_close(f);
            throw TaskError(m_opts.host_name + ": cannot read " + path + ": is a directory");
        }
        if (!is_reg || size > k_max_read_bytes) {
            sftp_close(f);
            throw TaskError(m_opts.host_name + ": refusing to read " + path +
                            (is_reg ? ": larger than " + std::to_string(k_max_read_bytes >> 20) + " MiB" : ": not a regular file"));
        }
        // Straight into the result, sized by the stat (one byte more to see
        // the end at once): no 64 KiB buffer held per host while SFTP answers.
        std::string out;
        for (size_t want = static_cast<size_t>(size) + 1;;) {
            size_t at = out.size(), n_ask = std::min(k_io_chunk, std::max<size_t>(want > at ? want - at : 0, 4096));
            out.resize(at + n_ask);
            ssize_t n = sftp_read(f, out.data() + at, n_ask);
            out.resize(at + static_cast<size_t>(std::max<ssize_t>(n, 0)));
            if (n < 0) {
                sftp_close(f);
                sftp_fail("cannot read", path);
            }
            if (n == 0) break;
            if (out.size() > k_max_read_bytes) {
                sftp_close(f);
                throw TaskError(m_opts.host_name + ": refusing to read " + path + ": larger than " +
                                std::to_string(k_max_read_bytes >> 20) + " MiB");
            }
        }
        sftp_close(f);
        return out;
    });
}

std::optional<std::string> SshConnection::file_sha256(const std::string& path) {
    // Exit 3: not a regular file (missing, a FIFO that would block, a directory);
    // then the read path answers with its exact refusal or nullopt.
    Command c;
    c.cmdline = "[ -f " + q(path) + " ] || exit 3; exec sha256sum < " + q(path);
    c.mutating = false;
    CommandResult r = run(c);
    if (r.rc == 0 && r.out.size() >= 64) {
        std::string hex = r.out.substr(0, 64);
        if (hex.find_first_not_of("0123456789abcdef") == std::string::npos) return hex;
    }
    return Connection::file_sha256(path);
}

WriteResult SshConnection::write_file(const std::string& path, const std::string& content, const WriteOptions& opts) {
    runlog::event(runlog::Level::Trace, m_opts.host_name, "write_file",
                  {{"path", path}, {"bytes", std::to_string(content.size())}, {"backup", opts.backup ? "true" : "false"},
                   {"via", files_via_shell() ? "shell" : "sftp"}});
    if (files_via_shell()) return m_shell_files->write_file(path, content, opts);
    return with_session("write", [&] { return sftp_write_file(path, content, opts); });
}

void SshConnection::sftp_fail_write(const std::string& what, const std::string& path, const std::string& dir,
                                    uint64_t need) {
    if (!session_alive()) throw SessionLost{};
    int code = m_sftp ? sftp_get_error(m_sftp) : -1;
    // OpenSSH's sftp-server reports ENOSPC and EDQUOT as a bare SSH_FX_FAILURE;
    // ask the filesystem (statvfs@openssh.com) so the message says what happened.
    // (libssh's sftp_write may not even keep that status: code 0.)
    if ((code == SSH_FX_FAILURE || code == SSH_FX_OK) && sftp_extension_supported(m_sftp, "statvfs@openssh.com", "2")) {
        if (sftp_statvfs_t v = sftp_statvfs(m_sftp, dir.c_str())) {
            uint64_t avail = v->f_bavail * v->f_frsize;
            bool full = avail < need || avail < 64 * 1024 || (v->f_favail == 0 && v->f_files != 0);
            sftp_statvfs_free(v);
            if (full) throw TaskError(m_opts.host_name + ": " + what + " " + path + ": No space left on device");
        }
    }
    throw TaskError(m_opts.host_name + ": " + what + " " + path + ": " +
                    (code == SSH_FX_OK ? sftp_error_text(SSH_FX_FAILURE) : sftp_error_text(code)));
}

SshConnection::SftpTarget SshConnection::sftp_write_target(const std::string& path, bool follow) {
    // Write through a symlink to the file it names, as editors and Ansible do
    // (follow: false replaces the link itself).
    SftpTarget t{path, sftp_stat(path, false), false};
    if (t.old.is_link() && !follow) {
        t.replace_link = true;
        t.old = FileInfo{};
    } else if (t.old.is_link()) {
        char* canon = sftp_canonicalize_path(sftp(), path.c_str());
        if (canon) {
            t.real = canon;
            ssh_string_free_char(canon);
            t.old = sftp_stat(t.real, false);
        } else if (!session_alive()) {
            throw SessionLost{};
        } else {
            t.old = FileInfo{};  // a dangling link: replace it with the file
            t.replace_link = true;
        }
    }
    if (t.old.is_dir()) throw TaskError(m_opts.host_name + ": cannot write " + path + ": is a directory");
    if (t.old.exists() && !t.old.is_file())
        throw TaskError(m_opts.host_name + ": refusing to write " + path + ": it is " + t.old.kind_text() +
                        ", not a regular file");
    return t;
}

void SshConnection::sftp_upload(const std::string& tmp, const std::string& path, const std::string& content) {
    std::string dir = parent_path(tmp);
    sftp_file f = sftp_open(sftp(), tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
    if (!f) sftp_fail("cannot create a temp file for", path);
    m_pending_temps.insert(tmp);
    for (size_t off = 0; off < content.size();) {
        size_t n = std::min(k_io_chunk, content.size() - off);
        ssize_t w = sftp_write(f, content.data() + off, n);
        if (w <= 0) {
            sftp_close(f);
            sftp_fail_write("cannot write", path, dir, content.size() - off);
        }
        off += static_cast<size_t>(w);
    }
    if (m_has_fsync && sftp_fsync(f) != SSH_OK) {
        sftp_close(f);
        sftp_fail_write("cannot write", path, dir, 1);
    }
    if (sftp_close(f) != SSH_OK) sftp_fail_write("cannot write", path, dir, 1);
}

void SshConnection::sftp_set_temp_attributes(const std::string& tmp, const std::string& path, const FileInfo& old,
                                             const WriteOptions& opts) {
    // Owner first: a chown clears setuid bits that the mode may carry.
    std::optional<uint32_t> uid, gid;
    if (!opts.owner.empty()) uid = resolve_user(opts.owner);
    else if (old.exists()) uid = old.uid;
    if (!opts.group.empty()) gid = resolve_group(opts.group);
    else if (old.exists()) gid = old.gid;
    if (uid || gid) {
        sftp_attributes a = ::sftp_stat(m_sftp, tmp.c_str());
        if (!a) sftp_fail("cannot stat temp file for", path);
        uint32_t cur_uid = a->uid, cur_gid = a->gid;
        sftp_attributes_free(a);
        uint32_t want_uid = uid.value_or(cur_uid), want_gid = gid.value_or(cur_gid);
        // Keeping the old file's owner/group is best effort, as in Ansible's
        // atomic_move: an unprivileged login may edit a file it can write
        // but whose group it is not in, and cannot give that group to the
        // replacement. Only an owner/group the task asked for must stick.
        bool asked = !opts.owner.empty() || !opts.group.empty();
        if ((want_uid != cur_uid || want_gid != cur_gid) && sftp_chown(m_sftp, tmp.c_str(), want_uid, want_gid) != SSH_OK &&
            (asked || sftp_get_error(m_sftp) != SSH_FX_PERMISSION_DENIED))
            sftp_fail("cannot set owner of", path);
    }
    uint32_t mode = opts.mode ? *opts.mode : old.exists() ? old.mode : 0644;
    if (sftp_chmod(m_sftp, tmp.c_str(), mode) != SSH_OK) sftp_fail("cannot set mode of", path);
}

WriteResult SshConnection::sftp_replace(const std::string& tmp, const SftpTarget& t, const std::string& path, bool backup) {
    WriteResult result;
    if (!t.old.exists() && !t.replace_link) {
        if (sftp_rename(m_sftp, tmp.c_str(), t.real.c_str()) != SSH_OK) sftp_fail("cannot rename temp file to", path);
        return result;
    }
    // One command: backup copy (unique name, O_EXCL, removed again if it
    // cannot be completed), then rename(2) over the old file.
    std::string script = "set -e; p=" + q(t.real) + "; t=" + q(tmp) + "; b=''; trap '[ -z \"$b\" ] || rm -f -- \"$b\"' EXIT; ";
    if (backup && t.old.exists()) script += backup_script("$p");
    script += "mv -Tf -- \"$t\" \"$p\"; trap - EXIT; [ -z \"$b\" ] || echo \"backup:$b\"";
    CommandResult r = shell_exec(script, "", false);
    if (r.rc != 0) throw TaskError(m_opts.host_name + ": cannot replace " + path + ": " + trim(r.err));
    for (const auto& line : split(r.out, '\n'))
        if (starts_with(line, "backup:")) result.backup_path = line.substr(7);
    return result;
}

WriteResult SshConnection::sftp_write_file(const std::string& path, const std::string& content, const WriteOptions& opts) {
    // A private temp file next to the target, filled, fsynced, given its
    // owner and mode, then renamed over the target: never a half-written file.
    SftpTarget target = sftp_write_target(path, opts.follow);
    std::string dir = parent_path(target.real);
    remove_stale_temps(dir);
    std::string tmp = dir + "/.upkeep." + random_suffix();
    try {
        sftp_upload(tmp, path, content);
        sftp_set_temp_attributes(tmp, path, target.old, opts);
        WriteResult result = sftp_replace(tmp, target, path, opts.backup);
        m_pending_temps.erase(tmp);
        return result;
    } catch (...) {
        if (m_pending_temps.count(tmp) && session_alive() && sftp_unlink(m_sftp, tmp.c_str()) == SSH_OK)
            m_pending_temps.erase(tmp);
        throw;
    }
}

void SshConnection::remove_stale_temps(const std::string& dir) {
    // Left-overs of a run killed with SIGKILL; see stale_temp_cleanup_script.
    // Once per directory and connection: it costs a round trip.
    if (!m_shell_files->first_write_in(dir)) return;
    shell_exec("d=" + q(dir) + "; " + stale_temp_cleanup_script("$d"), "", false);
}

std::string SshConnection::write_temp_file(const std::string& dir, const std::string& content) {
    if (files_via_shell()) return m_shell_files->write_temp_file(dir, content);
    return with_session("write", [&] {
        std::string tmp = dir + "/.upkeep." + random_suffix();
        sftp_file f = sftp_open(sftp(), tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
        if (!f) sftp_fail("cannot create a temp file in", dir);
        m_pending_temps.insert(tmp);
        try {
            for (size_t off = 0; off < content.size();) {
                ssize_t w = sftp_write(f, content.data() + off, std::min(k_io_chunk, content.size() - off));
                if (w <= 0) {
                    sftp_close(f);
                    sftp_fail_write("cannot write", tmp, dir, content.size() - off);
                }
                off += static_cast<size_t>(w);
            }
            if (sftp_close(f) != SSH_OK) sftp_fail_write("cannot write", tmp, dir, 1);
        } catch (...) {
            if (session_alive() && sftp_unlink(m_sftp, tmp.c_str()) == SSH_OK) m_pending_temps.erase(tmp);
            throw;
        }
        return tmp;
    });
}

void SshConnection::remove_temp_file(const std::string& path) {
    remove(path, false);
    m_pending_temps.erase(path);
}

void SshConnection::cleanup_pending_temps() {
    if (m_pending_temps.empty()) return;
    // Best effort: a temp file we cannot remove now is tried again next time.
    try {
        for (auto it = m_pending_temps.begin(); it != m_pending_temps.end();) {
            if (sftp_unlink(sftp(), it->c_str()) == SSH_OK || sftp_get_error(m_sftp) == SSH_FX_NO_SUCH_FILE)
                it = m_pending_temps.erase(it);
            else
                ++it;
        }
    } catch (...) {
    }
}

void SshConnection::make_dirs(const std::string& path, std::optional<uint32_t> mode) {
    if (files_via_shell()) return m_shell_files->make_dirs(path, mode);
    with_session("mkdir", [&] {
        std::vector<std::string> missing;
        for (std::string p = path; !p.empty() && p != "/" && p != ".";) {
            FileInfo info = sftp_stat(p, true);
            if (info.is_dir()) break;
            if (info.exists()) throw TaskError(m_opts.host_name + ": cannot create directory " + path + ": " + p + " is not a directory");
            missing.push_back(p);
            p = parent_path(p);
        }
        for (auto it = missing.rbegin(); it != missing.rend(); ++it) {
            if (sftp_mkdir(m_sftp, it->c_str(), mode ? *mode : 0777) != SSH_OK) {
                if (sftp_get_error(m_sftp) == SSH_FX_FILE_ALREADY_EXISTS) continue;
                FileInfo info = sftp_stat(*it, true);  // lost a race with another creator?
                if (info.is_dir()) continue;
                sftp_fail("cannot create directory", *it);
            }
            // The server's umask applies to mkdir; an explicit mode must not be masked.
            if (mode && sftp_chmod(m_sftp, it->c_str(), *mode) != SSH_OK) sftp_fail("cannot set mode of", *it);
        }
    });
}

void SshConnection::remove(const std::string& path, bool recursive) {
    if (files_via_shell()) return m_shell_files->remove(path, recursive);
    with_session("remove", [&] {
        FileInfo info = sftp_stat(path, false);
        if (!info.exists()) return;
        if (info.is_dir()) {
            if (recursive) {
                CommandResult r = shell_exec("rm -rf -- " + q(path), "", false);
                if (r.rc != 0) throw TaskError(m_opts.host_name + ": cannot remove " + path + ": " + trim(r.err));
            } else if (sftp_rmdir(m_sftp, path.c_str()) != SSH_OK) {
                sftp_fail("cannot remove directory", path);
            }
        } else if (sftp_unlink(m_sftp, path.c_str()) != SSH_OK && sftp_get_error(m_sftp) != SSH_FX_NO_SUCH_FILE) {
            sftp_fail("cannot remove", path);
        }
    });
}

void SshConnection::set_attributes(const std::string& path, std::optional<uint32_t> mode, const std::string& owner,
                                   const std::string& group) {
    if (files_via_shell()) return m_shell_files->set_attributes(path, mode, owner, group);
    with_session("chmod/chown", [&] {
        if (!owner.empty() || !group.empty()) {
            FileInfo info = sftp_stat(path, true);
            if (!info.exists()) throw TaskError(m_opts.host_name + ": cannot change owner of " + path + ": no such file");
            uint32_t uid = owner.empty() ? info.uid : resolve_user(owner);
            uint32_t gid = group.empty() ? info.gid : resolve_group(group);
            if ((uid != info.uid || gid != info.gid) && sftp_chown(m_sftp, path.c_str(), uid, gid) != SSH_OK)
                sftp_fail("cannot change owner of", path);
        }
        if (mode && sftp_chmod(sftp(), path.c_str(), *mode) != SSH_OK) sftp_fail("cannot change mode of", path);
    });
}

void SshConnection::symlink(const std::string& target, const std::string& path) {
    if (files_via_shell()) return m_shell_files->symlink(target, path);
    with_session("symlink", [&] {
        FileInfo old = sftp_stat(path, false);
        if (!old.exists()) {
            if (::sftp_symlink(m_sftp, target.c_str(), path.c_str()) != SSH_OK) sftp_fail("cannot create link", path);
            return;
        }
        if (old.is_dir()) throw TaskError(m_opts.host_name + ": cannot create link " + path + ": a directory is in the way");
        // Build the new link beside the old one and rename it over, atomically.
        std::string tmp = parent_path(path) + "/.upkeep." + random_suffix();
        if (::sftp_symlink(m_sftp, target.c_str(), tmp.c_str()) != SSH_OK) sftp_fail("cannot create link", path);
        CommandResult r = shell_exec("mv -Tf -- " + q(tmp) + " " + q(path), "", false);
        if (r.rc != 0) {
            sftp_unlink(m_sftp, tmp.c_str());
            throw TaskError(m_opts.host_name + ": cannot replace " + path + ": " + trim(r.err));
        }
    });
}

std::vector<std::string> SshConnection::list_dir(const std::string& path) {
    if (files_via_shell()) return m_shell_files->list_dir(path);
    return with_session("list", [&] {
        std::vector<std::string> names;
        sftp_dir d = sftp_opendir(sftp(), path.c_str());
        if (!d) {
            if (sftp_get_error(m_sftp) == SSH_FX_NO_SUCH_FILE) return names;
            sftp_fail("cannot list", path);
        }
        while (sftp_attributes a = sftp_readdir(m_sftp, d)) {
            std::string n = a->name ? a->name : "";
            sftp_attributes_free(a);
            if (n != "." && n != ".." && !n.empty()) names.push_back(n);
        }
        bool complete = sftp_dir_eof(d);
        sftp_closedir(d);
        if (!complete) sftp_fail("cannot list", path);
        std::sort(names.begin(), names.end());
        return names;
    });
}

}  // namespace upkeep
