// upkeep_ssh_files=auto's judgement of a link (engine/connection/link_judge.hpp):
// a controller too busy to time a round trip must not make a loopback host
// look like a WAN (at 1,000 hosts that sent every file write through forks on
// the host, 1.5x slower than SFTP on the bench), while a real slow wire and a
// delaying proxy on an idle controller still choose the shell.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "engine/connection/link_judge.hpp"

using namespace upkeep;

TEST_CASE("link judge: the kernel's slow wire wins, a busy controller's slow timing does not", "[link_judge]") {
    // A WAN: the kernel saw 40 ms; whatever upkeep timed and however busy.
    CHECK(link_is_slow({.app_rtt_ms = 41, .kernel_rtt_ms = 40.0, .controller_busy = true}));
    CHECK(link_is_slow({.app_rtt_ms = 5, .kernel_rtt_ms = 40.0, .controller_busy = false}));
    // Loopback, idle or busy, answering fast: SFTP.
    CHECK_FALSE(link_is_slow({.app_rtt_ms = 0.3, .kernel_rtt_ms = 0.02, .controller_busy = false}));
    CHECK_FALSE(link_is_slow({.app_rtt_ms = 3, .kernel_rtt_ms = std::nullopt, .controller_busy = true}));
    // Loopback on a saturated controller: upkeep timed 80 ms, the wire 0.02 ms.
    CHECK_FALSE(link_is_slow({.app_rtt_ms = 80, .kernel_rtt_ms = 0.02, .controller_busy = true}));
    // A delaying proxy on loopback (or a jump host) on an idle controller: the
    // kernel sees only the hop to the proxy, upkeep's timing is the link.
    CHECK(link_is_slow({.app_rtt_ms = 40, .kernel_rtt_ms = 0.02, .controller_busy = false}));
    // A ProxyCommand pipe: no kernel view; upkeep's timing decides unless busy.
    CHECK(link_is_slow({.app_rtt_ms = 40, .kernel_rtt_ms = std::nullopt, .controller_busy = false}));
    CHECK_FALSE(link_is_slow({.app_rtt_ms = 40, .kernel_rtt_ms = std::nullopt, .controller_busy = true}));
}

TEST_CASE("link judge: the kernel's round trip of a real loopback TCP connection", "[link_judge]") {
    int srv = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(srv >= 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(srv, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    REQUIRE(::listen(srv, 1) == 0);
    socklen_t len = sizeof a;
    REQUIRE(::getsockname(srv, reinterpret_cast<sockaddr*>(&a), &len) == 0);
    int cli = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(::connect(cli, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    int acc = ::accept(srv, nullptr, nullptr);
    REQUIRE(acc >= 0);
    // The handshake gave the kernel its first sample: loopback is well under
    // the slow-link mark, however loaded the machine running the test.
    std::optional<double> rtt = kernel_rtt_ms(cli);
    REQUIRE(rtt.has_value());
    CHECK(*rtt > 0);
    CHECK(*rtt < k_slow_link_ms);

    // Not a TCP socket (a ProxyCommand's socketpair), or no socket at all: no view.
    int pair[2];
    REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM, 0, pair) == 0);
    CHECK_FALSE(kernel_rtt_ms(pair[0]).has_value());
    CHECK_FALSE(kernel_rtt_ms(-1).has_value());
    for (int fd : {srv, cli, acc, pair[0], pair[1]}) ::close(fd);
}

TEST_CASE("link judge: a controller whose CPUs all have work queued is busy", "[link_judge]") {
    // Spin 8 threads per CPU for the duration of the look: /proc/stat's
    // procs_running then counts them (more than 4 per CPU).
    unsigned cpus = std::max(1u, std::thread::hardware_concurrency());
    std::atomic<bool> stop{false};
    std::vector<std::thread> spinners;
    for (unsigned i = 0; i < 8 * cpus; ++i)
        spinners.emplace_back([&] {
            while (!stop.load(std::memory_order_relaxed)) {
            }
        });
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    bool busy = controller_busy();
    stop = true;
    for (auto& t : spinners) t.join();
    CHECK(busy);
}
