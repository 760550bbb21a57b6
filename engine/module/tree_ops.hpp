// Operations on many paths of one tree, planned by check() and carried out in order
// by apply(): copy's directory src and unarchive's members. A typed Plan payload
// (TreeOps), so apply() reads exactly what check() planned.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "engine/util/shared_text.hpp"

namespace upkeep {

class Connection;

struct TreeOp {
    enum class Kind { Mkdir, Write, Link, Attrs };
    Kind kind = Kind::Attrs;
    std::string path = "";
    SharedText content = {};  // Write: the file's whole new bytes
    std::string link_target = "";  // Link: what the link points at
    std::optional<uint32_t> mode = std::nullopt;
    std::string owner = "", group = "";  // "" leaves them as they are
};

struct TreeOps {
    std::vector<TreeOp> ops = {};
    // Write through a link at a member's path (copy) or replace the link, as tar
    // does (unarchive).
    bool follow_links = true;
    // Keep each replaced file as "<path>.<pid>.<timestamp>~" (copy's backup: true).
    bool backup = false;
};

// Carries out the ops in order over the task's connection.
void apply_tree_ops(Connection& conn, const TreeOps& tree);

}  // namespace upkeep
