// upkeep: the program. It wires the engine to the built-in modules (the engine
// itself never includes modules/) and holds the single top-level catch.
#include <cstdio>
#include <exception>

#include "engine/cli/cli.hpp"
#include "modules/registry.hpp"

int main(int argc, char** argv) {
    try {
        return upkeep::run_cli(argc, argv, upkeep::builtin_modules());
    } catch (const std::exception& e) {
        std::fprintf(stderr, "upkeep: unexpected error: %s\n", e.what());
        return 250;
    }
}
