#include "engine/connection/link_judge.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <string>
#include <thread>

namespace upkeep {

bool link_is_slow(const LinkSample& s) {
    if (s.kernel_rtt_ms && *s.kernel_rtt_ms > k_slow_link_ms) return true;
    if (s.app_rtt_ms <= k_slow_link_ms) return false;
    // Slow to upkeep, fast (or unknown) to the kernel: a proxy's delay, or a
    // queue for the CPU. Only an idle controller tells them apart.
    return !s.controller_busy;
}

std::optional<double> kernel_rtt_ms(int fd) {
    if (fd < 0) return std::nullopt;
    tcp_info info{};
    socklen_t len = sizeof info;
    if (::getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &len) != 0 || len < sizeof info) return std::nullopt;
    if (info.tcpi_rtt == 0) return std::nullopt;  // no sample yet
    return info.tcpi_rtt / 1000.0;                // microseconds
}

namespace {

long runnable_tasks() {
    std::ifstream in("/proc/stat");
    std::string key;
    long value = 0;
    while (in >> key) {
        if (key == "procs_running" && in >> value) return value;
        in.ignore(1 << 16, '\n');
    }
    return -1;  // no /proc: judge by the timing alone
}

}  // namespace

bool controller_busy() {
    long cpus = std::max(1u, std::thread::hardware_concurrency());
    long least = -1;
    for (int i = 0; i < 3; ++i) {
        if (i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
        long n = runnable_tasks();
        if (n < 0) return false;
        least = least < 0 ? n : std::min(least, n);
    }
    return least > 4 * cpus;
}

}  // namespace upkeep
