// The state of one path on a host, as a reviewed plan records it before any
// change: kind, mode, owner, group and (for a file) the SHA-256 of its bytes.
// `upkeep apply` reads it again and refuses a host where it differs.
#pragma once

#include <string>

#include "engine/connection/connection.hpp"
#include "engine/util/sha256.hpp"
#include "engine/value/value.hpp"

namespace upkeep {

struct PathState {
    std::string kind;  // "absent", "file", "directory", "link", or a special file's kind
    std::string mode, owner, group;
    std::string sha256;       // files: the content's hash
    std::string link_target;  // links

    Value to_value() const;
    static PathState from_value(const Value& v);
};

// Reads `path` on the host (never following a final symlink). Throws
// ConnectionError like the connection does.
PathState read_path_state(Connection& conn, const std::string& path);

// "" when equal, else what changed ("content changed", "mode 0644 -> 0600", "now absent").
std::string describe_difference(const PathState& planned, const PathState& now);

}  // namespace upkeep
