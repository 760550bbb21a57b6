// Chooses and builds the connection for a host from its variables:
// ansible_connection (or upkeep_connection) = local | sandbox | ssh.
#pragma once

#include <functional>
#include <string>

#include "engine/connection/connection.hpp"
#include "engine/exec/run_options.hpp"
#include "engine/value/value.hpp"

namespace upkeep {

// How the executor makes a host's connection: make_connection below in a run;
// tests hand PlayExecutor their own (sandbox hosts, hosts that do not answer).
using ConnectionFactory = std::function<ConnectionPtr(const std::string& host, const Value& vars, const RunOptions& opts)>;

// `vars` are the host's rendered variables. A sandbox host needs
// `upkeep_sandbox_root` (relative paths are taken from the inventory's directory).
ConnectionPtr make_connection(const std::string& host, const Value& vars, const RunOptions& opts);

// The connection and become settings among `vars` (unrendered), as one string:
// two hosts states with the same key can share a connection.
std::string connection_key(const Value& vars);

}  // namespace upkeep
