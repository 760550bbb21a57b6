#include "modules/formats/account_db.hpp"

#include "engine/util/strings.hpp"

namespace upkeep {

namespace {

uint32_t to_id(const std::string& s) {
    try {
        return static_cast<uint32_t>(std::stoul(s));
    } catch (...) {
        return 0;
    }
}

CommandResult query(Connection& conn, const std::string& line) {
    Command c;
    c.cmdline = line;
    c.mutating = false;
    return conn.run(c);
}

}  // namespace

bool is_sandbox_host(Connection& conn) { return conn.command_path("/") != "/"; }

std::vector<PasswdEntry> parse_passwd(const std::string& text) {
    std::vector<PasswdEntry> out;
    for (const auto& line : split(text, '\n')) {
        std::vector<std::string> f = split(line, ':');
        if (f.size() < 7 || f[0].empty() || f[0][0] == '#' || f[0][0] == '+' || f[0][0] == '-') continue;
        out.push_back({f[0], f[1], to_id(f[2]), to_id(f[3]), f[4], f[5], f[6]});
    }
    return out;
}

std::vector<GroupEntry> parse_group(const std::string& text) {
    std::vector<GroupEntry> out;
    for (const auto& line : split(text, '\n')) {
        std::vector<std::string> f = split(line, ':');
        if (f.size() < 4 || f[0].empty() || f[0][0] == '#' || f[0][0] == '+' || f[0][0] == '-') continue;
        GroupEntry g{f[0], f[1], to_id(f[2]), {}};
        for (const auto& m : split(f[3], ','))
            if (!m.empty()) g.members.push_back(m);
        out.push_back(std::move(g));
    }
    return out;
}

std::optional<PasswdEntry> lookup_user(Connection& conn, const std::string& name) {
    for (auto& e : parse_passwd(conn.read_file("/etc/passwd").value_or("")))
        if (e.name == name) return e;
    if (is_sandbox_host(conn)) return std::nullopt;
    CommandResult r = query(conn, "getent passwd " + shell_quote(name));
    if (r.rc != 0) return std::nullopt;
    auto v = parse_passwd(r.out);
    if (v.empty()) return std::nullopt;
    return v.front();
}

std::vector<GroupEntry> host_groups(Connection& conn) { return parse_group(conn.read_file("/etc/group").value_or("")); }

std::optional<GroupEntry> lookup_group(Connection& conn, const std::string& name) {
    for (auto& g : host_groups(conn))
        if (g.name == name) return g;
    if (is_sandbox_host(conn)) return std::nullopt;
    CommandResult r = query(conn, "getent group " + shell_quote(name));
    if (r.rc != 0) return std::nullopt;
    auto v = parse_group(r.out);
    if (v.empty()) return std::nullopt;
    return v.front();
}

std::optional<GroupEntry> lookup_group_by_gid(Connection& conn, uint32_t gid) {
    for (auto& g : host_groups(conn))
        if (g.gid == gid) return g;
    return std::nullopt;
}

}  // namespace upkeep
