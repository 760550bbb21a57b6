// package_facts: installed packages as ansible_facts.packages (ansible.builtin.
// package_facts for apt and rpm: packages[NAME] = [{name, version, arch, ...,
// source}], a list per name because several versions/arches can be installed).
// Read from the dpkg and rpm databases with dpkg-query / rpm -qa (on a sandbox host
// with --admindir / --dbpath under the sandbox), so no python-apt is needed.
#include <algorithm>
#include <map>

#include "engine/module/host_query.hpp"
#include "engine/module/module.hpp"
#include "engine/util/error.hpp"
#include "engine/util/strings.hpp"
#include "modules/formats/account_db.hpp"
#include "modules/formats/package_list.hpp"

namespace upkeep {

namespace {

bool has_tool(Connection& conn, const std::string& tool) {
    return query(conn, "command -v " + shell_quote(tool) + " >/dev/null 2>&1").rc == 0;
}

void add(Value& packages, const std::string& name, Value entry) {
    if (!packages.has(name)) packages[name] = Value(List{});
    List l = packages.get(name).as_list();
    l.push_back(std::move(entry));
    packages[name] = Value(std::move(l));
}

// apt's Packages indexes (any compression, through apt-helper cat-file) as
// "Origin:" lines (from each index's Release file) followed by its
// Package/Version/Section lines.
std::string apt_index(Connection& conn) {
    const std::string dir = "/var/lib/apt/lists";
    std::vector<std::string> files = conn.list_dir(dir);
    std::sort(files.begin(), files.end());
    std::string out;
    for (const auto& f : files) {
        if (f.find("_Packages") == std::string::npos) continue;
        std::string origin;
        for (const auto& r : files) {
            std::string base = ends_with(r, "_InRelease") ? r.substr(0, r.size() - 9) : ends_with(r, "_Release") ? r.substr(0, r.size() - 7) : "";
            if (base.empty() || !starts_with(f, base)) continue;
            std::string o = query(conn, "grep -m1 '^Origin:' " + shell_quote(conn.command_path(dir + "/" + r))).out;
            origin = trim(o.substr(std::min(o.size(), size_t{7})));
            break;
        }
        CommandResult r = query(conn, "/usr/lib/apt/apt-helper cat-file " + shell_quote(conn.command_path(dir + "/" + f)) +
                                          " | grep -E '^(Package|Version|Section):'");
        out += "Origin: " + origin + "\n" + r.out;
    }
    return out;
}

}  // namespace

// One line per package of `dpkg-query -W -f='${Package}\t${Version}\t${Architecture}\t${Section}\t${db:Status-Abbrev}\n'`.
// A package counts as installed (apt's is_installed) when its current state is
// neither not-installed nor config-files.
void parse_dpkg_packages(const std::string& out, Value& packages, const std::string& native_arch) {
    for (const auto& line : split(out, '\n')) {
        std::vector<std::string> f = split(line, '\t');
        if (f.size() < 5 || f[0].empty()) continue;
        std::string abbrev = f[4];
        if (abbrev.size() < 2 || abbrev[1] == 'n' || abbrev[1] == 'c' || abbrev[1] == ' ') continue;
        // apt names a package of the native arch (or arch all) without ":arch", a foreign one with it.
        std::string name = f[2] == native_arch || f[2] == "all" || native_arch.empty() ? f[0] : f[0] + ":" + f[2];
        Value e;
        e["name"] = Value(name);
        e["version"] = Value(f[1]);
        e["arch"] = Value(f[2]);
        e["category"] = Value(f[3]);
        e["source"] = Value("apt");
        add(packages, name, std::move(e));
    }
}

void apply_index_sections(const std::string& index, Value& packages) {
    std::map<std::string, std::pair<std::string, std::string>> found;  // "name version" -> section, origin; first wins
    std::string origin, name, version;
    for (const auto& line : split(index, '\n')) {
        if (starts_with(line, "Origin:")) {
            origin = trim(line.substr(7));
        } else if (starts_with(line, "Package: ")) {
            name = trim(line.substr(9));
            version.clear();
        } else if (starts_with(line, "Version: ")) {
            version = trim(line.substr(9));
            found.emplace(name + " " + version, std::pair{std::string(), origin});
        } else if (starts_with(line, "Section: ") && !name.empty()) {
            auto it = found.find(name + " " + version);
            if (it != found.end() && it->second.first.empty() && it->second.second == origin) it->second.first = trim(line.substr(9));
        }
    }
    for (const auto& [key, list] : packages.as_map()) {
        List l = list.as_list();
        for (auto& p : l) {
            if (p.get("source").to_string() != "apt") continue;
            auto it = found.find(p.get("name").as_string() + " " + p.get("version").as_string());
            p["origin"] = Value(it == found.end() ? std::string() : it->second.second);
            if (it != found.end() && !it->second.first.empty()) p["category"] = Value(it->second.first);
        }
        packages[key] = Value(std::move(l));
    }
}

// `rpm -qa --qf '%{NAME}\t%{VERSION}\t%{RELEASE}\t%{EPOCH}\t%{ARCH}\n'`; epoch "(none)" is null.
void parse_rpm_packages(const std::string& out, Value& packages) {
    for (const auto& line : split(out, '\n')) {
        std::vector<std::string> f = split(line, '\t');
        if (f.size() < 5 || f[0].empty()) continue;
        Value e;
        e["name"] = Value(f[0]);
        e["version"] = Value(f[1]);
        e["release"] = Value(f[2]);
        e["epoch"] = f[3] == "(none)" ? Value() : Value(static_cast<int64_t>(std::stoll(f[3])));
        e["arch"] = Value(f[4]);
        e["source"] = Value("rpm");
        add(packages, f[0], std::move(e));
    }
}

namespace {

class PackageFactsModule : public Module {
public:
    const ModuleSpec& spec() const override {
        static const ModuleSpec s{
            .name = "package_facts",
            .summary = "Gather installed packages into ansible_facts.packages",
            .doc =
                "ansible.builtin.package_facts for apt (dpkg) and rpm: packages[NAME] is a list of\n"
                "{name, version, arch, category, source: apt} or {name, version, release, epoch, arch,\n"
                "source: rpm}. apt entries take category and origin from apt's Packages indexes, as\n"
                "python-apt does. manager: auto tries apt then rpm (a database with packages);\n"
                "strategy: first stops at the first found, all merges them.\n"
                "Example:\n"
                "  - package_facts:\n"
                "  - debug: msg=\"{{ ansible_facts.packages['openssh-server'][0].version }}\"",
            .args =
                {
                    {.name = "manager",
                     .type = ArgType::List,
                     .default_value = Value(List{Value("auto")}),
                     .doc = "auto, apt or rpm"},
                    {.name = "strategy",
                     .type = ArgType::String,
                     .default_value = Value("first"),
                     .choices = {"first", "all"},
                     .doc = "first: the first manager found; all: every one"},
                },
        };
        return s;
    }

    Plan check(ModuleContext& ctx, const Args& args) const override {
        Connection& conn = ctx.conn;
        bool sandbox = is_sandbox_host(conn);
        std::vector<std::string> managers;
        for (const auto& m : args.strings("manager")) {
            if (m == "auto") {
                managers.push_back("apt");
                managers.push_back("rpm");
            } else if (m == "apt" || m == "rpm") {
                managers.push_back(m);
            } else {
                throw TaskError("Unsupported package managers requested: " + m + " (upkeep reads apt and rpm)");
            }
        }
        bool first = args.str("strategy") == "first";
        Value packages = Value(Map{});
        size_t found = 0;
        for (const auto& m : managers) {
            if (found && first) break;
            if (m == "apt") {
                if (!conn.stat("/var/lib/dpkg/status", true).is_file() || !has_tool(conn, "dpkg-query")) continue;
                std::string admin = sandbox ? " --admindir=" + shell_quote(conn.command_path("/var/lib/dpkg")) : "";
                std::string native = trim(query(conn, "dpkg --print-architecture").out);
                CommandResult r = query(conn, "dpkg-query" + admin +
                                                  " -W -f='${Package}\\t${Version}\\t${Architecture}\\t${Section}\\t${db:Status-Abbrev}\\n'");
                if (r.rc != 0) throw TaskError("dpkg-query failed: " + trim(r.err));
                parse_dpkg_packages(r.out, packages, native);
                // apt reports the section of the archive that carries the installed version
                // (its Packages index), which can differ from the one dpkg recorded, and
                // that archive's Origin ("" for a package no index carries).
                apply_index_sections(apt_index(conn), packages);
                ++found;
            } else if (m == "rpm") {
                std::string db;
                for (const char* d : {"/var/lib/rpm", "/usr/lib/sysimage/rpm"})
                    if (db.empty() && conn.stat(d, true).is_dir() && !conn.list_dir(d).empty()) db = d;
                if (db.empty() || !has_tool(conn, "rpm")) continue;
                std::string dbpath = sandbox ? " --dbpath " + shell_quote(conn.command_path(db)) : "";
                CommandResult r = query(conn, "rpm" + dbpath + " -qa --qf '%{NAME}\\t%{VERSION}\\t%{RELEASE}\\t%{EPOCH}\\t%{ARCH}\\n'");
                if (r.rc != 0) throw TaskError("rpm -qa failed: " + trim(r.err));
                parse_rpm_packages(r.out, packages);
                ++found;
            }
        }
        if (!found)
            throw TaskError("Could not detect a supported package manager from the following list: " + join(managers, ", ") +
                            " (no dpkg or rpm database on the host)");
        Plan plan;
        plan.msg = std::to_string(packages.as_map().size()) + " packages";
        Value facts;
        facts["packages"] = std::move(packages);
        plan.result["ansible_facts"] = facts;
        return plan;
    }

    Value apply(ModuleContext&, const Args&, const Plan&) const override { return Value(); }
};

}  // namespace

std::unique_ptr<Module> make_package_facts_module() { return std::make_unique<PackageFactsModule>(); }

}  // namespace upkeep
