// service_facts' parsers: the outputs of `service --status-all` and
// `systemctl list-units` as Ansible's service_facts reads them.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "engine/value/value.hpp"

namespace upkeep {

// {name, state, status (when known), source}
Value service_entry(const std::string& name, const std::string& state, const std::optional<std::string>& status,
                    const std::string& source);
// Whitespace-separated fields (Python's str.split()).
std::vector<std::string> service_words(const std::string& line);
// " [ + ]  cron" lines: running (+) or stopped (-), source sysv; "[ ? ]" lines are skipped.
void parse_status_all(const std::string& out, Value& services);
// `systemctl list-units --no-pager --type service --all`: state running/stopped,
// status = the SUB column's neighbour as Ansible reads it, or not-found/masked/failed.
void parse_list_units(const std::string& out, Value& services);

}  // namespace upkeep
