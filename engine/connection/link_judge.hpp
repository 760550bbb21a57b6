// Whether a host's link is slow enough that file operations should go through
// the host's shell (one round trip each, with the read-ahead) instead of SFTP
// (several round trips each, but no fork on the host): upkeep_ssh_files=auto.
//
// A round trip upkeep times itself (channel open, exec request) measures the
// link *and* every run queue on the way: on a controller whose CPUs are all
// busy (1,000 hosts at once) a loopback host answers in tens of ms, and
// choosing the shell there costs forks, the very thing that is short. The
// kernel's own estimate of the TCP connection's round trip (TCP_INFO) is
// taken from ACKs the kernel sends, so it measures the wire and not the CPU;
// it is missing where the session runs over a ProxyCommand pipe, and it does
// not see a delay added by a proxy in user space (a jump host, the bench's
// delay proxy).
#pragma once

#include <optional>

namespace upkeep {

// upkeep_ssh_files=auto: a round trip slower than this is a slow link.
inline constexpr double k_slow_link_ms = 20.0;

struct LinkSample {
    double app_rtt_ms = 0;                // fastest round trip upkeep timed on the session
    std::optional<double> kernel_rtt_ms;  // TCP_INFO's smoothed RTT, when the session is a TCP socket
    bool controller_busy = false;         // every CPU of the controller had work queued when timed
};

// Slow when the kernel sees a slow wire; otherwise when upkeep's own timing is
// slow and the controller was not too busy for that timing to mean anything.
bool link_is_slow(const LinkSample& s);

// The kernel's smoothed round trip of the TCP socket `fd`, none when `fd` is
// not a TCP socket (a ProxyCommand's socketpair) or the kernel has no estimate.
std::optional<double> kernel_rtt_ms(int fd);

// More runnable tasks than 4 per CPU in each of three looks at /proc/stat a
// millisecond apart: a momentary burst (another test starting) is not load.
bool controller_busy();

}  // namespace upkeep
