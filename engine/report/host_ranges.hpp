// Host lists for people: "kvm01…kvm200" instead of 200 names. Used wherever a
// report says which hosts share a change (console --diff, HTML report).
#pragma once

#include <string>
#include <vector>

namespace upkeep {

// Natural order: "kvm2" before "kvm10", then by name.
bool natural_less(const std::string& a, const std::string& b);

// The hosts in natural order, consecutive numbered names with the same prefix and
// digit width folded into "first…last" (three or more), the rest listed:
// {kvm01, kvm02, kvm03, mgmt01} -> "kvm01…kvm03, mgmt01".
std::string describe_hosts(std::vector<std::string> hosts);

}  // namespace upkeep
