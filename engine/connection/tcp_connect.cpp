#include "engine/connection/tcp_connect.hpp"

#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

namespace upkeep {

namespace {

using Clock = std::chrono::steady_clock;

int ms_left(Clock::time_point deadline) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    return left > 0 ? static_cast<int>(left) : 0;
}

std::string reason_of(int err) {
    switch (err) {
        case ECONNREFUSED: return "connection refused";
        case EHOSTUNREACH:
        case ENETUNREACH: return "no route to host";
        default: return std::strerror(err);
    }
}

// One address: a non-blocking connect, waited for until the deadline. Returns
// the socket, or -1 with `err` set (ETIMEDOUT when the deadline passed).
int connect_one(const addrinfo* ai, Clock::time_point deadline, int& err) {
    int fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
    if (fd < 0) {
        err = errno;
        return -1;
    }
    if (::connect(fd, ai->ai_addr, ai->ai_addrlen) != 0 && errno != EINPROGRESS) {
        err = errno;
        ::close(fd);
        return -1;
    }
    pollfd p{fd, POLLOUT, 0};
    int n = ::poll(&p, 1, ms_left(deadline));
    socklen_t len = sizeof err;
    if (n <= 0) err = n == 0 ? ETIMEDOUT : errno;
    else if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
    if (err != 0) {
        ::close(fd);
        return -1;
    }
    return fd;
}

}  // namespace

int tcp_connect_ssh(const std::string& host, int port, int timeout_s) {
    auto deadline = Clock::now() + std::chrono::seconds(timeout_s > 0 ? timeout_s : 10);
    std::string timed_out = "connection timed out after " + std::to_string(timeout_s > 0 ? timeout_s : 10) + " s";
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* list = nullptr;
    std::string service = std::to_string(port);
    if (int rc = ::getaddrinfo(host.c_str(), service.c_str(), &hints, &list); rc != 0)
        throw TcpConnectError{"cannot resolve host name (" + std::string(::gai_strerror(rc)) + ")"};
    int fd = -1, err = 0;
    for (const addrinfo* ai = list; ai && fd < 0 && ms_left(deadline) > 0; ai = ai->ai_next) fd = connect_one(ai, deadline, err);
    ::freeaddrinfo(list);
    if (fd < 0) throw TcpConnectError{err == ETIMEDOUT || err == 0 ? timed_out : reason_of(err)};
    // The server speaks first (its banner): a listener that never does is as
    // unreachable as one that never answers the connect.
    pollfd p{fd, POLLIN, 0};
    int n = ::poll(&p, 1, ms_left(deadline));
    if (n <= 0) {
        ::close(fd);
        throw TcpConnectError{timed_out + " waiting for the SSH banner"};
    }
    // libssh works the socket in blocking mode.
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    return fd;
}

}  // namespace upkeep
