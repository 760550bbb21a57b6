// The command line: parses arguments and runs `play`, `doc` and friends.
#pragma once

namespace upkeep {

// Returns the process exit code (0 ok, 1 usage, 2 a host failed, 4 unreachable, 250 bug).
int run_cli(int argc, char** argv);

}  // namespace upkeep
