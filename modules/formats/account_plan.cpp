#include "modules/formats/account_plan.hpp"

#include <algorithm>
#include <set>

#include "engine/util/error.hpp"
#include "engine/util/strings.hpp"

namespace upkeep {

namespace {

bool all_digits(const std::string& s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::string lstrip_bang(const std::string& s) { return s.substr(s.find_first_not_of('!') == std::string::npos ? s.size() : s.find_first_not_of('!')); }

}  // namespace

const PasswdEntry* AccountDb::user(const std::string& name) const {
    for (const auto& u : users)
        if (u.name == name) return &u;
    return nullptr;
}

const GroupEntry* AccountDb::group(const std::string& name_or_gid) const {
    if (all_digits(name_or_gid))
        for (const auto& g : groups)
            if (std::to_string(g.gid) == name_or_gid) return &g;
    for (const auto& g : groups)
        if (g.name == name_or_gid) return &g;
    return nullptr;
}

AccountDb parse_account_db(const std::string& passwd, const std::string& shadow, const std::string& group) {
    AccountDb db;
    db.users = parse_passwd(passwd);
    db.groups = parse_group(group);
    for (const auto& line : split(shadow, '\n')) {
        size_t c1 = line.find(':');
        if (c1 == std::string::npos) continue;
        size_t c2 = line.find(':', c1 + 1);
        db.shadow[line.substr(0, c1)] = line.substr(c1 + 1, c2 == std::string::npos ? std::string::npos : c2 - c1 - 1);
    }
    return db;
}

namespace {

void check_group(const AccountDb& db, const std::string& g) {
    if (!db.group(g)) throw TaskError("Group " + g + " does not exist");
}

// The requested supplementary groups as Ansible's get_groups_set: split, stripped, checked.
std::vector<std::string> requested_groups(const UserRequest& r, const AccountDb& db) {
    std::vector<std::string> groups;
    if (r.groups)
        for (const auto& item : *r.groups)
            for (const auto& g : split(item, ','))
                if (!trim(g).empty() && std::find(groups.begin(), groups.end(), trim(g)) == groups.end()) groups.push_back(trim(g));
    for (const auto& g : groups) check_group(db, g);
    return groups;
}

AccountCommands plan_useradd(const UserRequest& r, const AccountDb& db, const std::vector<std::string>& groups) {
    AccountCommands out;
    std::vector<std::string> cmd = {"useradd"};
    if (r.uid) {
        cmd.insert(cmd.end(), {"-u", std::to_string(*r.uid)});
        if (r.non_unique) cmd.push_back("-o");
    }
    if (r.group) {
        check_group(db, *r.group);
        cmd.insert(cmd.end(), {"-g", *r.group});
    } else if (db.group(r.name)) {
        cmd.push_back("-N");  // a group of the user's name exists: no new user group
    }
    if (!groups.empty()) {
        // Ansible drops the primary group only when the user already exists (never here).
        std::vector<std::string> sorted = groups;
        cmd.insert(cmd.end(), {"-G", join(sorted, ",")});
    }
    if (r.comment) cmd.insert(cmd.end(), {"-c", *r.comment});
    if (r.home) cmd.insert(cmd.end(), {"-d", *r.home});
    if (r.shell) cmd.insert(cmd.end(), {"-s", *r.shell});
    if (r.create_home) {
        cmd.push_back("-m");
        if (r.skeleton) cmd.insert(cmd.end(), {"-k", *r.skeleton});
        if (r.umask) cmd.insert(cmd.end(), {"-K", "UMASK=" + *r.umask});
    } else {
        cmd.push_back("-M");
    }
    if (r.system) cmd.push_back("-r");
    cmd.push_back(r.name);
    out.argv.push_back(cmd);
    out.what.push_back("created");
    if (r.password) out.password_hash = r.password_lock.value_or(false) ? "!" + *r.password : *r.password;
    return out;
}

// usermod -G [-a] when the groups listing the user differ from the request.
void usermod_groups(const UserRequest& r, const AccountDb& db, const std::vector<std::string>& groups,
                    std::vector<std::string>& cmd, AccountCommands& out) {
    // Every group listing the user, the primary one included (exclude_primary=False).
    std::set<std::string> current;
    for (const auto& g : db.groups)
        if (std::find(g.members.begin(), g.members.end(), r.name) != g.members.end()) current.insert(g.name);
    std::set<std::string> wanted(groups.begin(), groups.end());
    std::set<std::string> diff;
    std::set_symmetric_difference(current.begin(), current.end(), wanted.begin(), wanted.end(), std::inserter(diff, diff.end()));
    bool need = false;
    if (groups.empty()) {
        need = !current.empty() && !r.append;
    } else if (!diff.empty()) {
        if (r.append) {
            for (const auto& g : groups)
                if (diff.count(g)) {
                    cmd.push_back("-a");
                    need = true;
                    break;
                }
        } else {
            need = true;
        }
    }
    if (need) {
        cmd.insert(cmd.end(), {"-G", join(groups, ",")});
        out.what.push_back("groups -> " + (groups.empty() ? std::string("(none)") : join(groups, ",")));
    }
}

// A new hash (through chpasswd's stdin), or usermod -L / -U for the lock alone.
void usermod_password(const UserRequest& r, const AccountDb& db, const PasswdEntry& cur, std::vector<std::string>& cmd,
                      AccountCommands& out) {
    std::string hash = cur.password;
    if (hash.size() <= 1) {
        auto it = db.shadow.find(r.name);
        hash = it == db.shadow.end() ? "" : it->second;
    }
    bool lock = false, unlock = false;
    if (r.password_lock && *r.password_lock && !starts_with(hash, "!")) lock = true;
    else if (r.password_lock && !*r.password_lock && starts_with(hash, "!")) unlock = true;
    if (r.update_password_always && r.password && lstrip_bang(hash) != lstrip_bang(*r.password)) {
        // The hash goes through chpasswd's stdin, never argv; a lock is part of it.
        out.password_hash = r.password_lock.value_or(false) ? "!" + *r.password : *r.password;
        out.what.push_back("password");
    } else if (lock) {
        cmd.push_back("-L");
        out.what.push_back("password locked");
    } else if (unlock) {
        cmd.push_back("-U");
        out.what.push_back("password unlocked");
    }
}

AccountCommands plan_usermod(const UserRequest& r, const AccountDb& db, const PasswdEntry& cur,
                             const std::vector<std::string>& groups) {
    AccountCommands out;
    std::vector<std::string> cmd = {"usermod"};
    if (r.uid && cur.uid != static_cast<uint32_t>(*r.uid)) {
        cmd.insert(cmd.end(), {"-u", std::to_string(*r.uid)});
        if (r.non_unique) cmd.push_back("-o");
        out.what.push_back("uid " + std::to_string(cur.uid) + " -> " + std::to_string(*r.uid));
    }
    if (r.group) {
        check_group(db, *r.group);
        const GroupEntry* g = db.group(*r.group);
        if (cur.gid != g->gid) {
            cmd.insert(cmd.end(), {"-g", std::to_string(g->gid)});
            out.what.push_back("primary group -> " + g->name);
        }
    }
    if (r.groups) usermod_groups(r, db, groups, cmd, out);
    if (r.comment && cur.gecos != *r.comment) {
        cmd.insert(cmd.end(), {"-c", *r.comment});
        out.what.push_back("comment");
    }
    if (r.home && cur.home != *r.home) {
        cmd.insert(cmd.end(), {"-d", *r.home});
        if (r.move_home) cmd.push_back("-m");
        out.what.push_back("home " + cur.home + " -> " + *r.home);
    }
    if (r.shell && cur.shell != *r.shell) {
        cmd.insert(cmd.end(), {"-s", *r.shell});
        out.what.push_back("shell " + cur.shell + " -> " + *r.shell);
    }
    usermod_password(r, db, cur, cmd, out);
    if (cmd.size() > 1) {
        cmd.push_back(r.name);
        out.argv.push_back(cmd);
    }
    return out;
}

}  // namespace

AccountCommands plan_user(const UserRequest& r, const AccountDb& db) {
    const PasswdEntry* cur = db.user(r.name);
    std::vector<std::string> groups = requested_groups(r, db);
    if (!r.present) {
        AccountCommands out;
        if (!cur) return out;
        std::vector<std::string> cmd = {"userdel"};
        if (r.force) cmd.push_back("-f");
        if (r.remove) cmd.push_back("-r");
        cmd.push_back(r.name);
        out.argv.push_back(cmd);
        out.what.push_back(r.remove ? "removed with its home" : "removed");
        return out;
    }
    return cur ? plan_usermod(r, db, *cur, groups) : plan_useradd(r, db, groups);
}

AccountCommands plan_group(const GroupRequest& r, const AccountDb& db) {
    AccountCommands out;
    const GroupEntry* cur = nullptr;
    for (const auto& g : db.groups)
        if (g.name == r.name) cur = &g;
    if (!r.present) {
        if (cur) {
            out.argv.push_back({"groupdel", r.name});
            out.what.push_back("removed");
        }
        return out;
    }
    if (!cur) {
        std::vector<std::string> cmd = {"groupadd"};
        if (r.gid) {
            cmd.insert(cmd.end(), {"-g", std::to_string(*r.gid)});
            if (r.non_unique) cmd.push_back("-o");
        }
        if (r.system) cmd.push_back("-r");
        cmd.push_back(r.name);
        out.argv.push_back(cmd);
        out.what.push_back("created");
        return out;
    }
    if (r.gid && cur->gid != static_cast<uint32_t>(*r.gid)) {
        std::vector<std::string> cmd = {"groupmod", "-g", std::to_string(*r.gid)};
        if (r.non_unique) cmd.push_back("-o");
        cmd.push_back(r.name);
        out.argv.push_back(cmd);
        out.what.push_back("gid " + std::to_string(cur->gid) + " -> " + std::to_string(*r.gid));
    }
    return out;
}

}  // namespace upkeep
