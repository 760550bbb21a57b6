// Reading a host's account databases (/etc/passwd, /etc/group) through its
// connection, so a sandbox host answers from its own files.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "engine/connection/connection.hpp"

namespace upkeep {

struct PasswdEntry {
    std::string name, password;
    uint32_t uid = 0, gid = 0;
    std::string gecos, home, shell;
};

struct GroupEntry {
    std::string name, password;
    uint32_t gid = 0;
    std::vector<std::string> members;
};

std::vector<PasswdEntry> parse_passwd(const std::string& text);
std::vector<GroupEntry> parse_group(const std::string& text);

// The account `name`: from the host's /etc/passwd, else (real hosts only, for
// NSS users such as LDAP) from `getent passwd`.
std::optional<PasswdEntry> lookup_user(Connection& conn, const std::string& name);
std::optional<GroupEntry> lookup_group(Connection& conn, const std::string& name);
std::optional<GroupEntry> lookup_group_by_gid(Connection& conn, uint32_t gid);
// All groups of the host's /etc/group.
std::vector<GroupEntry> host_groups(Connection& conn);

// A sandbox host (a directory posing as a host) runs its commands on this machine.
bool is_sandbox_host(Connection& conn);

}  // namespace upkeep
