// Builds the SSH connection for a host from its variables and the command line.
#pragma once

#include "engine/connection/connection.hpp"
#include "engine/exec/run_options.hpp"
#include "engine/value/value.hpp"

namespace upkeep {

ConnectionPtr make_ssh_connection(const std::string& host, const Value& vars, const RunOptions& opts);

}  // namespace upkeep
