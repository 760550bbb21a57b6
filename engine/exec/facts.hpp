// Facts: what a host is (OS family, distribution, kernel, package and service
// manager...), gathered with one shell command, no Python needed on the host.
#pragma once

#include "engine/connection/connection.hpp"
#include "engine/value/value.hpp"

namespace upkeep {

// Runs the fact script on the host (one round trip) and returns ansible_facts.
Value gather_facts(Connection& conn);
// Parses the script's key=value output (exposed for tests).
Value parse_facts(const std::string& output);

}  // namespace upkeep
