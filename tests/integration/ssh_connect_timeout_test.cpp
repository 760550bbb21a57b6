// The connect timeout (-T, ansible_timeout) covers what OpenSSH's
// ConnectTimeout covers: reaching the host and hearing its SSH banner. At
// 1,000 hosts the controller starts a thousand key exchanges at once; each
// takes seconds of CPU there, and with the timeout over the whole handshake
// (libssh's) a quarter of the hosts were reported unreachable. Real sshd,
// behind bench/delayproxy.py for a slow handshake.
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>

#include "engine/connection/ssh_connection.hpp"
#include "engine/util/error.hpp"
#include "tests/support/delay_proxy.hpp"
#include "tests/support/sshd_lab.hpp"
#include "tests/support/test_support.hpp"

using namespace upkeep;
using namespace upkeep::test;

namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// A TCP listener that completes connections (the kernel does) and never says
// a word: a host whose sshd hangs, or something else on port 22.
struct SilentListener {
    int fd = -1;
    explicit SilentListener(const std::string& addr, int port) {
        fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        int yes = 1;
        ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
        sockaddr_in sa{};
        sa.sin_family = AF_INET;
        sa.sin_port = htons(static_cast<uint16_t>(port));
        ::inet_pton(AF_INET, addr.c_str(), &sa.sin_addr);
        REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0);
        REQUIRE(::listen(fd, 8) == 0);
    }
    ~SilentListener() { ::close(fd); }
};

}  // namespace

TEST_CASE("ssh connect timeout: a handshake slower than the timeout still connects", "[ssh][integration][connect-timeout]") {
    TestUser user("upkeep-test", "");
    SshdLab lab(SshdLab::Options{.users = {"upkeep-test"}});
    std::string proxy_addr = "127.0.96." + std::to_string(10 + ::getpid() % 200);
    // 500 ms round trip: the banner arrives within the 1 s timeout, the key
    // exchange and authentication (several round trips more) do not.
    DelayProxy proxy(proxy_addr + ":2222", lab.address(0) + ":2222", 250);
    SshOptions o = lab.options(0, "upkeep-test");
    o.address = proxy_addr;
    o.connect_timeout_s = 1;
    o.known_hosts_file = lab.dir() + "/known_hosts_slow";
    o.host_key_checking = SshOptions::HostKeyChecking::AcceptNew;
    SshConnection c(o);
    auto t0 = std::chrono::steady_clock::now();
    CHECK(c.run(Command{.cmdline = "echo reached"}).out == "reached\n");
    CHECK(seconds_since(t0) > 1.0);
}

TEST_CASE("ssh connect timeout: a listener that never sends a banner is unreachable within the timeout",
          "[ssh][integration][connect-timeout]") {
    std::string addr = "127.0.97." + std::to_string(10 + ::getpid() % 200);
    SilentListener silent(addr, 2222);
    SshOptions o;
    o.host_name = "mute";
    o.address = addr;
    o.port = 2222;
    o.user = "nobody";
    o.connect_timeout_s = 1;
    o.known_hosts_file = "/dev/null";
    SshConnection c(o);
    auto t0 = std::chrono::steady_clock::now();
    try {
        c.connect();
        FAIL("connected to a listener that never speaks");
    } catch (const ConnectionError& e) {
        CHECK(std::string(e.what()).find("connection timed out after 1 s waiting for the SSH banner") != std::string::npos);
    }
    CHECK(seconds_since(t0) < 3.0);
}
