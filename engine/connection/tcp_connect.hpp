// The TCP part of an SSH connection, made by upkeep rather than libssh so that
// the operator's connect timeout (-T, ansible_timeout) means what OpenSSH's
// ConnectTimeout means: reaching the host and hearing its SSH banner. The key
// exchange and authentication after it get a longer limit of their own: on a
// controller starting a thousand handshakes at once, or a loaded host, they
// take seconds of CPU, which is not a host being unreachable.
#pragma once

#include <string>

namespace upkeep {

struct TcpConnectError {
    std::string why;  // "connection refused", "connection timed out after 10 s", ...
};

// A connected socket to host:port whose peer has started to speak (the SSH
// banner is waiting to be read), within `timeout_s`. Throws TcpConnectError.
int tcp_connect_ssh(const std::string& host, int port, int timeout_s);

}  // namespace upkeep
