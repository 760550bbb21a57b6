#include "engine/module/host_query.hpp"

namespace upkeep {

CommandResult query(Connection& conn, const std::string& line) {
    Command c;
    c.cmdline = line;
    c.env = {{"LANG", "C"}, {"LC_ALL", "C"}, {"SYSTEMD_PAGER", ""}};
    c.mutating = false;  // a query only reads state
    return conn.run(c);
}

}  // namespace upkeep
