#include "engine/util/fd_limit.hpp"

#include <sys/resource.h>

#include <algorithm>

namespace upkeep {

std::size_t raise_open_file_limit(std::size_t wanted) {
    rlimit rl{};
    if (::getrlimit(RLIMIT_NOFILE, &rl) != 0) return 1024;
    if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < wanted) {
        rlimit raised = rl;
        raised.rlim_cur = rl.rlim_max == RLIM_INFINITY ? wanted : std::min<rlim_t>(rl.rlim_max, wanted);
        if (raised.rlim_cur > rl.rlim_cur && ::setrlimit(RLIMIT_NOFILE, &raised) == 0) rl = raised;
    }
    return rl.rlim_cur == RLIM_INFINITY ? wanted : static_cast<std::size_t>(rl.rlim_cur);
}

int forks_within_fd_limit(int forks, std::size_t limit) {
    if (limit <= k_fds_reserved + k_fds_per_fork) return 1;
    std::size_t fit = (limit - k_fds_reserved) / k_fds_per_fork;
    return static_cast<int>(std::min<std::size_t>(static_cast<std::size_t>(std::max(forks, 1)), fit));
}

}  // namespace upkeep
