// How large a file's diff may be before it is summarised instead of shown.
//
// A 10 MB file rendered as a diff is 10 MB of console text per host and, to
// compute, several times that in memory (issue 7.15). As Ansible does
// (max_diff_size, 104448 bytes by default), a change whose before or after is
// larger than the limit shows a one-line summary with both sizes and SHA-256
// digests instead: still evidence for an auditor, never a wall of text.
// UPKEEP_MAX_DIFF_SIZE (or Ansible's ANSIBLE_MAX_DIFF_SIZE) sets it in bytes.
#pragma once

#include <cstddef>
#include <string>

#include "engine/module/plan.hpp"

namespace upkeep {

constexpr size_t k_default_max_diff_bytes = 104448;  // Ansible's default

// The limit in effect (the environment's, read once).
size_t max_diff_bytes();

// Why `c`'s diff is not rendered ("diff skipped: ... sha256 ... -> ..."), or ""
// when it is small enough to show.
std::string diff_skipped(const Change& c);

}  // namespace upkeep
