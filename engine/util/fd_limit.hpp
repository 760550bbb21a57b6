// Open-file limits for runs with many hosts in parallel. Each SSH host holds a
// socket for the whole run (and a proxy command's pipes, a local command's
// pipes while it runs), so `-f 1000` needs more descriptors than the usual
// soft limit of 1024 allows; the hard limit is usually far higher.
#pragma once

#include <cstddef>

namespace upkeep {

// Descriptors budgeted per fork, and for everything else (logs, reports,
// Lua, the controller's own files).
constexpr std::size_t k_fds_per_fork = 4;
constexpr std::size_t k_fds_reserved = 64;

// Raises this process's soft RLIMIT_NOFILE to its hard limit (as far as
// `wanted`) and returns the soft limit now in force.
std::size_t raise_open_file_limit(std::size_t wanted);

// How many forks fit in `limit` descriptors (at least 1).
int forks_within_fd_limit(int forks, std::size_t limit);

}  // namespace upkeep
