// The run log (spdlog): the engineer's record of a run, next to the console
// reporter (the user's view). One line per event, logfmt-style and timestamped in
// UTC: `2026-11-27T18:00:00.123456Z debug host=kvm01 event=command rc=0 ms=12
// cmd="service libvirtd restart"`. Per host and task: connection steps (connect,
// authentication, host key, close), every command (its text, rc, timing; never
// its stdin), SFTP and file operations (trace), module decisions and results.
//
// Where it goes: `--log-file FILE` (created 0600, never through a symlink, only
// a regular file the user owns), and stderr with -vvv (debug) or -vvvv (trace).
// UPKEEP_LOG=trace|debug|info|warn|error|off sets the level (default: debug for
// the file); with UPKEEP_LOG and no --log-file the log goes to stderr.
//
// Every line passes through the secret registry's mask() before it is written,
// and values are quoted with JSON escapes, so a host's output cannot forge lines.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace upkeep::runlog {

enum class Level { Trace = 0, Debug = 1, Info = 2, Warn = 3, Error = 4, Off = 6 };

// Sets the log up for this run. Throws UserError when the file cannot be opened
// safely (a symlink, not a regular file, owned by someone else) or the level in
// UPKEEP_LOG is unknown.
void open(const std::string& file, const char* env_level, int verbosity);
// Flushes and closes the log (also at exit).
void close();

// True when an event at `lvl` is written anywhere: callers skip building the
// fields of events nobody reads.
bool enabled(Level lvl);

using Fields = std::initializer_list<std::pair<std::string_view, std::string_view>>;
// One event. `host` may be empty (run-wide events).
void event(Level lvl, std::string_view host, std::string_view name, Fields fields = {});

// Milliseconds since `start` as text, for the `ms` field.
std::string ms_since(long long start_ns);
long long now_ns();

// A logfmt value: bare when it is a plain word, else a JSON-escaped "quoted" string.
std::string quote(std::string_view v);

}  // namespace upkeep::runlog
