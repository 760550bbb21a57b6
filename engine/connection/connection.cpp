// Connection's default behaviours, for connections with nothing better to offer.
#include "engine/connection/connection.hpp"

namespace upkeep {

std::optional<std::string> Connection::file_sha256(const std::string& path) {
    SharedText bytes = read_shared(path);
    if (!bytes) return std::nullopt;
    return bytes.sha256();  // computed once per buffer (a planned file shared by many reads)
}

}  // namespace upkeep
