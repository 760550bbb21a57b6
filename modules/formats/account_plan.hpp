// user's and group's pure core: from the host's account databases and a request,
// the useradd/usermod/userdel (groupadd/groupmod/groupdel) command Ansible's
// user/group modules would run, or none when the account is already as wanted.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "modules/formats/account_db.hpp"

namespace upkeep {

struct AccountDb {
    std::vector<PasswdEntry> users;
    std::map<std::string, std::string> shadow;  // name -> password hash
    std::vector<GroupEntry> groups;

    const PasswdEntry* user(const std::string& name) const;
    // A group by name, or by number when `name_or_gid` is all digits (Ansible's group_exists).
    const GroupEntry* group(const std::string& name_or_gid) const;
};

AccountDb parse_account_db(const std::string& passwd, const std::string& shadow, const std::string& group);

struct UserRequest {
    std::string name;
    bool present = true;
    std::optional<int64_t> uid;
    bool non_unique = false;
    std::optional<std::string> group;
    std::optional<std::vector<std::string>> groups;  // an empty list: no supplementary groups
    bool append = false;
    std::optional<std::string> comment, home, shell, password, skeleton, umask;
    bool create_home = true, move_home = false, system = false, force = false, remove = false;
    bool update_password_always = true;
    std::optional<bool> password_lock;
};

struct AccountCommands {
    std::vector<std::vector<std::string>> argv;  // run in order; empty: nothing to do
    std::optional<std::string> password_hash;    // set afterwards with `chpasswd -e` (stdin, never argv)
    std::vector<std::string> what;               // "uid 1001 -> 1002", "created"...
    bool changed() const { return !argv.empty() || password_hash.has_value(); }
};

// Throws TaskError("Group X does not exist") as Ansible does.
AccountCommands plan_user(const UserRequest& req, const AccountDb& db);

struct GroupRequest {
    std::string name;
    bool present = true;
    std::optional<int64_t> gid;
    bool system = false, non_unique = false;
};

AccountCommands plan_group(const GroupRequest& req, const AccountDb& db);

}  // namespace upkeep
