// The exit status of `upkeep play` / `upkeep apply`, documented in the man page
// and README. A failure or an unreachable host always wins over "changes": a CI
// job that tests for 8 ("drift found") must never mistake a broken run for drift.
#pragma once

namespace upkeep {

constexpr int k_exit_ok = 0;           // converged: nothing would change / nothing changed
constexpr int k_exit_error = 1;        // usage, playbook, inventory or report-file error
constexpr int k_exit_failed = 2;       // a task failed on a host (or a host was refused)
constexpr int k_exit_unreachable = 4;  // a host could not be reached (no task failed)
// Only with --detailed-exitcode: no failure, but changes are pending (--check)
// or were made (a real run).
constexpr int k_exit_changes = 8;
constexpr int k_exit_unexpected = 250;  // a bug: the one top-level catch in main

}  // namespace upkeep
