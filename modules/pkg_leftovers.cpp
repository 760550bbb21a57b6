#include "modules/pkg_leftovers.hpp"

#include <cctype>
#include <map>

#include "engine/module/host_query.hpp"
#include "engine/util/strings.hpp"
#include "modules/formats/pkg_conffiles.hpp"

namespace upkeep {

namespace {

// name -> "the upgrade of name old -> new" for the packages whose files the
// transaction replaces (installs of new packages bring no edited files along).
std::map<std::string, std::string> replaced_packages(const std::vector<pkg::PkgOp>& ops) {
    std::map<std::string, std::string> out;
    for (const auto& op : ops) {
        if (op.kind == pkg::PkgOp::Kind::Install || op.kind == pkg::PkgOp::Kind::Remove) continue;
        std::string s = pkg::op_summary(op);  // "upgrade cloudstack-agent 4.2.0 -> 4.3.0"
        out[op.name] = "the " + (op.kind == pkg::PkgOp::Kind::Upgrade     ? std::string("upgrade")
                                 : op.kind == pkg::PkgOp::Kind::Downgrade ? std::string("downgrade")
                                                                          : std::string("reinstall")) +
                       " of " + s.substr(s.find(' ') + 1);
    }
    return out;
}

// True when the file on the host (or in the planned state) exists and differs from
// the packaged bytes: the operator edited it.
bool edited(Connection& conn, const std::string& path, const pkg::ConfFile& f) {
    if (!conn.stat(path, false).is_file()) return false;
    auto text = conn.read_file(path);
    if (!text) return false;
    std::string now = pkg::digest_hex(f.algo, *text);
    return !now.empty() && now != f.digest;
}

std::string names_quoted(const std::map<std::string, std::string>& pkgs) {
    std::string s;
    for (const auto& [name, why] : pkgs) s += " " + shell_quote(name);
    return s;
}

}  // namespace

std::vector<Leftover> dpkg_leftovers(Connection& conn, const std::vector<pkg::PkgOp>& ops) {
    auto pkgs = replaced_packages(ops);
    if (pkgs.empty()) return {};
    CommandResult r = query(conn, "dpkg-query -W -f=" + shell_quote(pkg::k_dpkg_conffiles_format) + names_quoted(pkgs));
    std::vector<Leftover> out;
    for (const auto& f : pkg::parse_dpkg_conffiles(r.out)) {
        auto it = pkgs.find(f.package);
        if (it != pkgs.end() && edited(conn, f.path, f)) out.push_back({f.path + ".dpkg-dist", it->second});
    }
    return out;
}

std::vector<Leftover> rpm_leftovers(Connection& conn, const std::string& rpm_root, const std::vector<pkg::PkgOp>& ops) {
    auto pkgs = replaced_packages(ops);
    if (pkgs.empty()) return {};
    std::string line = "rpm";
    if (!rpm_root.empty() && rpm_root != "/") line += " --root " + shell_quote(conn.command_path(rpm_root));
    line += " -q --qf " + shell_quote(pkg::k_rpm_config_format) + names_quoted(pkgs);
    CommandResult r = query(conn, line);
    std::string prefix = rpm_root == "/" ? "" : rpm_root;
    std::vector<Leftover> out;
    for (const auto& f : pkg::parse_rpm_config_files(r.out)) {
        auto it = pkgs.find(f.package);
        std::string path = prefix + f.path;
        if (it != pkgs.end() && edited(conn, path, f))
            out.push_back({path + (f.noreplace ? ".rpmnew" : ".rpmsave"), it->second});
    }
    return out;
}

std::vector<Leftover> rpm_new_package_files(Connection& conn, const std::string& base, const std::string& rpm_root,
                                            const std::vector<pkg::PkgOp>& ops) {
    std::map<std::string, std::string> why;  // name -> "the install of ..."
    std::string specs;
    for (const auto& op : ops) {
        if (op.kind != pkg::PkgOp::Kind::Install) continue;
        std::string spec = op.name;
        if (!op.new_version.empty()) {
            // name-[epoch:]version-release.arch: the exact build the transaction installs.
            std::string v = op.new_version;
            if (auto colon = v.find(':'); colon != std::string::npos) v = v.substr(colon + 1);
            spec += "-" + v + (op.arch.empty() ? "" : "." + op.arch);
        }
        specs += " " + shell_quote(spec);
        why[op.name] = "the install of " + pkg::op_summary(op).substr(8);  // past "install "
    }
    if (why.empty()) return {};
    // One query for every package: "name<TAB>first file", the package's other files on
    // the lines after it (dnf prints %{files} one a line).
    CommandResult r = query(conn, base + " -q repoquery --qf " + shell_quote("%{name}\t%{files}") + specs);
    if (r.rc != 0) return {};
    std::vector<Leftover> out;
    std::string prefix = rpm_root == "/" ? "" : rpm_root;
    const std::string* reason = nullptr;
    for (const auto& line : split(r.out, '\n')) {
        std::string f = line;
        if (auto tab = line.find('\t'); tab != std::string::npos) {
            auto it = why.find(line.substr(0, tab));
            reason = it == why.end() ? nullptr : &it->second;
            f = line.substr(tab + 1);
        }
        f = trim(f);
        if (reason && starts_with(f, "/")) out.push_back({prefix + f, *reason});
    }
    return out;
}

namespace {

// "%3a" -> ":" in the path of a file: URI (apt quotes an epoch's colon so).
std::string uri_unquote(const std::string& s) {
    std::string out;
    for (size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '%' && i + 2 < s.size() && std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
            std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
            out += static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16));
            i += 2;
        } else {
            out += s[i];
        }
    }
    return out;
}

// The regular files a `dpkg-deb -c` listing names ("-rw-r--r-- root/root 7 2026-11-27
// 21:00 ./etc/x/agent.properties"; directories end in /, links add " -> target").
void add_listed_files(const std::string& listing, const std::string& reason, std::vector<Leftover>& out) {
    for (const auto& entry : split(listing, '\n')) {
        auto at = entry.find(" ./");
        if (at == std::string::npos) continue;
        std::string path = entry.substr(at + 2);
        if (auto arrow = path.find(" -> "); arrow != std::string::npos) path = path.substr(0, arrow);
        if (path.empty() || path.back() == '/') continue;
        out.push_back({path, reason});
    }
}

// A .deb apt would fetch through a method (http, https, ...): the URI, its file name
// and the hash --print-uris gives, to fetch it the same way.
struct RemoteDeb {
    std::string uri, file, hash, reason;
};

const char* const k_deb_marker = "@@upkeep-deb ";

// Lists remote .debs in one command on the host: each fetched with apt's own helper
// (`apt-helper download-file`, apt's methods and apt.conf: proxies, auth) into a
// private temp dir, listed with dpkg-deb -c, and the dir removed however the command
// ends (the EXIT trap; HUP/INT/TERM exit through it). apt's cache is not touched. A
// .deb that cannot be fetched is left out: its files stay unknown, as before.
void list_remote_debs(Connection& conn, const std::vector<RemoteDeb>& debs, std::vector<Leftover>& out) {
    if (debs.empty()) return;
    std::string line =
        "d=$(mktemp -d \"${TMPDIR:-/tmp}/upkeep-deb.XXXXXXXX\") || exit 1; trap 'rm -rf \"$d\"' EXIT; "
        "trap 'exit 1' HUP INT TERM; ";
    for (size_t i = 0; i < debs.size(); ++i) {
        std::string file = "\"$d\"/" + std::to_string(i) + ".deb";
        line += "/usr/lib/apt/apt-helper download-file " + shell_quote(debs[i].uri) + " " + file +
                (debs[i].hash.empty() ? "" : " " + shell_quote(debs[i].hash)) + " >/dev/null 2>&1 && echo " +
                shell_quote(k_deb_marker + std::to_string(i)) + " && dpkg-deb -c " + file + "; rm -f " + file + "; ";
    }
    CommandResult r = query(conn, line);
    // Each listing follows its marker line.
    const RemoteDeb* current = nullptr;
    std::string listing;
    auto flush = [&] {
        if (current) add_listed_files(listing, current->reason, out);
        listing.clear();
    };
    for (const auto& l : split(r.out, '\n')) {
        if (starts_with(l, k_deb_marker)) {
            flush();
            size_t i = std::stoul(l.substr(std::string(k_deb_marker).size()));
            current = i < debs.size() ? &debs[i] : nullptr;
        } else {
            listing += l + "\n";
        }
    }
    flush();
}

}  // namespace

std::vector<Leftover> dpkg_new_package_files(Connection& conn, const std::string& apt_opts,
                                             const std::vector<pkg::PkgOp>& ops) {
    std::map<std::string, std::string> why;  // name -> "the install of ..."
    std::vector<std::string> specs;
    for (const auto& op : ops) {
        if (op.kind != pkg::PkgOp::Kind::Install || op.new_version.empty() || op.new_version[0] == '(') continue;
        specs.push_back(op.name + "=" + op.new_version);
        why[op.name] = "the install of " + pkg::op_summary(op).substr(8);  // past "install "
    }
    if (specs.empty()) return {};
    // 'file:/srv/mirror/./x_4.3.0_all.deb' x_4.3.0_all.deb 780 SHA256:...
    // 'http://mirror/pool/x_4.3.0_all.deb' x_4.3.0_all.deb 780 SHA256:...
    CommandResult r = query(conn, "apt-get --print-uris -qq" + apt_opts + " install" + [&] {
        std::string q;
        for (const auto& sp : specs) q += " " + shell_quote(sp);
        return q;
    }());
    if (r.rc != 0) return {};
    std::vector<Leftover> out;
    std::vector<RemoteDeb> remote;
    for (const auto& line : split(r.out, '\n')) {
        auto w = split_shell_words(line);
        if (w.size() < 2) continue;
        std::string name = w[1].substr(0, w[1].find('_'));
        auto it = why.find(name);
        if (it == why.end()) continue;
        if (!starts_with(w[0], "file:")) {
            remote.push_back({w[0], w[1], w.size() > 3 ? w[3] : "", it->second});
            continue;
        }
        // A local mirror: the .deb is already on the host, listed where it is.
        CommandResult list = query(conn, "dpkg-deb -c " + shell_quote(uri_unquote(w[0].substr(5))));
        if (list.rc == 0) add_listed_files(list.out, it->second, out);
    }
    list_remote_debs(conn, remote, out);
    return out;
}

void note_leftovers(Connection& conn, const std::vector<Leftover>& leftovers) {
    for (const auto& x : leftovers) conn.note_pending_file(x.path, x.reason);
}

}  // namespace upkeep
