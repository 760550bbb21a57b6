// upkeep: the command line. The single top-level catch lives here.
#include <cstdio>
#include <exception>

#include "engine/cli/cli.hpp"

int main(int argc, char** argv) {
    try {
        return upkeep::run_cli(argc, argv);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "upkeep: unexpected error: %s\n", e.what());
        return 250;
    }
}
