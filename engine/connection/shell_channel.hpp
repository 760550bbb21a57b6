// ShellChannel: one long-lived /bin/sh on the host that runs every command of
// a connection (issue 12). An exec channel per command costs two or three
// round trips to open, a login shell that sources the account's rc files
// (~100 ms for root here), and under become one sudo authentication each; the
// driver below starts once per host and become user and then costs one round
// trip and one fork per command.
//
// Protocol, on the channel's stdin, per command:
//   "<nonce> <script bytes> <stdin bytes>\n" <script> <stdin>
// The driver reads the header with `read` (which never reads past the line)
// and the two payloads with GNU `head -c N` (which reads exactly N bytes), runs
// `/bin/sh -c <script>` with its own stdin (the payload through a pipe, or
// /dev/null), then prints "\036<nonce>\n" on stderr and "\036<nonce>:<rc>\n" on
// stdout. The nonce is random per command, so no output can fake the end. The
// script is what the exec path would have given the login shell, so commands
// see the same environment (the login shell ran once, its exports stay),
// start in the home directory, and cannot change the driver's state.
// A host without GNU head (BusyBox...) answers UNSUPPORTED and the connection
// keeps one exec per command.
#pragma once

#include <libssh/libssh.h>

#include <memory>
#include <string>

#include "engine/connection/become.hpp"
#include "engine/connection/connection.hpp"

namespace upkeep {

// The channel ended before the request was sent: nothing ran, a retry on a
// new session is safe.
struct ShellChannelGone {};

class ShellChannel {
public:
    // Starts the driver as the login user, or under `become` (the password is
    // written once, in answer to the prompt). `prelude` runs first in the
    // driver's own shell: the run lock (run_lock.hpp), whose descriptor 9 the
    // driver then holds for its lifetime (commands run without it). Returns
    // nullptr when the host cannot run it or the prelude exited; `why` then
    // holds what the host said on stderr, `said` on stdout (a lock answer).
    static std::unique_ptr<ShellChannel> start(ssh_session session, const BecomeSpec* become, bool refuse_password,
                                               const std::string& prelude, double extra_wait_s, std::string& why,
                                               std::string& said, std::string& exec_cmdline);
    // Whether the host lacked what the driver needs (the caller then keeps one
    // exec per command) rather than refusing (the lock, a password).
    static bool unsupported(const std::string& said);
    ~ShellChannel();
    ShellChannel(const ShellChannel&) = delete;
    ShellChannel& operator=(const ShellChannel&) = delete;

    // Runs one script. Throws ShellChannelGone when nothing ran, and
    // ConnectionError (from the caller's endpoint text) when the channel died
    // while the command ran.
    CommandResult run(const std::string& script, const std::string& stdin_data, const std::string& endpoint);
    // One empty request: the round trip to the host and back, in ms.
    double round_trip_ms(const std::string& endpoint);
    // The faster of the two SSH-level round trips that starting the channel
    // took anyway (channel open and exec request, each answered by sshd
    // without running anything of ours): a free first sample of the link's
    // delay, so choosing the file transport on a fast link costs no round trip.
    double setup_round_trip_ms() const { return m_setup_rtt_ms; }

private:
    ShellChannel(ssh_session s, ssh_channel ch, double setup_rtt_ms)
        : m_session(s), m_ch(ch), m_setup_rtt_ms(setup_rtt_ms) {}
    ssh_session m_session;
    ssh_channel m_ch;
    double m_setup_rtt_ms;
};

}  // namespace upkeep
