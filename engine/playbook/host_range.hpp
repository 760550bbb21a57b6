// Host names as Ansible inventories write them: ranges such as `kvm[01:20]`,
// `db-[a:c]` or `node[1:10:2]`, and an optional `:port` suffix.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace upkeep {

// A host entry split into its name pattern and optional port.
struct HostSpec {
    std::string pattern;        // may still contain [x:y] ranges
    std::optional<int> port;    // from "name:port" or "[v6addr]:port"
};

// Splits "name:port" the way Ansible's parse_address does (brackets are ranges or an
// IPv6 address; a bare IPv6 address has no port). Throws std::invalid_argument with a
// message when the entry ends in ':' or the port is not a number.
HostSpec split_host_port(const std::string& entry);

// Expands every [begin:end(:step)] range, numeric (leading zeros keep their width)
// or alphabetic, left to right. Throws std::invalid_argument with a message that
// says what is wrong with the range.
std::vector<std::string> expand_host_range(const std::string& pattern);

}  // namespace upkeep
