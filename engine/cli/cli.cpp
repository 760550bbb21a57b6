#include "engine/cli/cli.hpp"

#include <cstdio>

namespace upkeep {

int run_cli(int argc, char** argv) {
    std::printf("upkeep %s\n", UPKEEP_VERSION);
    return 0;
}

}  // namespace upkeep
