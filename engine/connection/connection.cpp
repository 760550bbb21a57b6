// Connection's default behaviours, for connections with nothing better to offer.
#include "engine/connection/connection.hpp"

#include "engine/util/sha256.hpp"

namespace upkeep {

std::optional<std::string> Connection::file_sha256(const std::string& path) {
    SharedText bytes = read_shared(path);
    if (!bytes) return std::nullopt;
    return sha256_hex(*bytes);
}

}  // namespace upkeep
