#include "engine/connection/ssh_factory.hpp"

#include "engine/util/error.hpp"

namespace upkeep {

ConnectionPtr make_ssh_connection(const std::string& host, const Value& vars, const RunOptions& opts) {
    throw ConnectionError(host + ": the ssh connection is not built into this version yet");
}

}  // namespace upkeep
