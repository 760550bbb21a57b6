#include "engine/module/tree_ops.hpp"

#include "engine/connection/connection.hpp"

namespace upkeep {

void apply_tree_ops(Connection& conn, const TreeOps& tree) {
    for (const TreeOp& o : tree.ops) {
        switch (o.kind) {
            case TreeOp::Kind::Mkdir:
                conn.make_dirs(o.path, o.mode);
                if (!o.owner.empty() || !o.group.empty()) conn.set_attributes(o.path, std::nullopt, o.owner, o.group);
                break;
            case TreeOp::Kind::Write: {
                WriteOptions w;
                w.mode = o.mode;
                w.owner = o.owner;
                w.group = o.group;
                w.follow = tree.follow_links;
                w.backup = tree.backup;
                conn.write_shared(o.path, o.content, w);
                break;
            }
            case TreeOp::Kind::Link: conn.symlink(o.link_target, o.path); break;
            case TreeOp::Kind::Attrs: conn.set_attributes(o.path, o.mode, o.owner, o.group); break;
        }
    }
}

}  // namespace upkeep
