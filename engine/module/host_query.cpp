#include "engine/module/host_query.hpp"

namespace upkeep {

CommandResult query(Connection& conn, const std::string& line) {
    Command c;
    c.cmdline = line;
    c.env.emplace("LC_ALL", "C");
    c.mutating = false;  // a query only reads state
    return conn.run(c);
}

}  // namespace upkeep
