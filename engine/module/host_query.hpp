// A module's read-only command on the host (dpkg-query, rpm -q, systemctl
// is-active...): it runs in a dry run too (Command::mutating = false), with
// LANG=C LC_ALL=C so tools answer in the words the modules' parsers expect, and
// no pager (SYSTEMD_PAGER) to wait on.
#pragma once

#include <string>

#include "engine/connection/connection.hpp"

namespace upkeep {

CommandResult query(Connection& conn, const std::string& line);

}  // namespace upkeep
