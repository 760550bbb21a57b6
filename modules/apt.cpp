// apt: installs, upgrades and removes Debian packages with apt-get (Ansible's
// apt). check() asks dpkg-query what is installed and `apt-get -s` (the
// simulation) what a transaction would do, so the plan names every package
// with its versions, dependencies included.
#include <fnmatch.h>

#include <set>

#include "engine/module/module.hpp"
#include "engine/module/host_query.hpp"
#include "engine/util/error.hpp"
#include "engine/util/strings.hpp"
#include "modules/formats/pkg_query.hpp"
#include "modules/pkg_leftovers.hpp"

namespace upkeep {

namespace {

using pkg::PkgOp;

// Where apt-get update leaves its mark (Ubuntu's convention, which Ansible reads
// too); the lists directory is the fallback.
const char* const k_update_stamp = "/var/lib/apt/periodic/update-success-stamp";

// A requested package: "name", "name=1.2-1" or "name=1.2*" (a pinned version).
struct Wanted {
    std::string name;
    std::string version;  // "" when not pinned
    std::string arg;      // as given, passed to apt-get
};

Wanted parse_wanted(const std::string& s) {
    Wanted w{s, "", s};
    if (size_t eq = s.find('='); eq != std::string::npos) {
        w.name = s.substr(0, eq);
        w.version = s.substr(eq + 1);
    }
    return w;
}

bool version_matches(const std::string& installed, const std::string& pin) {
    if (pin.empty()) return true;
    return fnmatch(pin.c_str(), installed.c_str(), 0) == 0;
}

pkg::InstalledMap installed(Connection& conn, const std::vector<std::string>& names) {
    if (names.empty()) return {};
    std::string line = "dpkg-query -W -f=" + shell_quote(pkg::k_dpkg_query_format);
    for (const auto& n : names) line += " " + shell_quote(n);
    // Exit 1 only says some name is unknown to dpkg: that is "not installed".
    return pkg::parse_dpkg_query(query(conn, line).out);
}

// Options shared by the simulation and the real run, so both resolve alike.
std::string apt_options(const Args& args) {
    std::string o;
    if (args.has("default_release")) o += " -t " + shell_quote(args.str("default_release"));
    if (args.has("install_recommends"))
        o += std::string(" -o APT::Install-Recommends=") + (args.flag("install_recommends") ? "yes" : "no");
    if (args.flag("allow_downgrade")) o += " --allow-downgrades";
    if (args.flag("only_upgrade")) o += " --only-upgrade";
    return o;
}

// check() -> apply(): the transaction check() resolved, run as is unless a real
// cache refresh comes first, and the files it may leave.
struct AptPayload {
    bool update_cache = false;                // apt-get update first
    std::vector<std::string> install_args{};  // for apt-get install
    std::vector<std::string> remove_args{};   // for apt-get remove/purge
    std::vector<Leftover> leftovers{};        // noted on the connection afterwards
};

// What the task would do to the packages, computed against the current cache.
struct Ops {
    std::vector<std::string> install_args;  // for apt-get install
    std::vector<std::string> remove_args;   // for apt-get remove/purge
    std::vector<PkgOp> ops;
};

std::string join_quoted(const std::vector<std::string>& v) {
    std::string s;
    for (const auto& x : v) s += " " + shell_quote(x);
    return s;
}

// Runs one simulation; a failure (unknown package, conflicts) becomes a TaskError
// unless `tolerate` (the cache is about to be refreshed), then returns false.
bool simulate(Connection& conn, const std::string& line, std::vector<PkgOp>& ops, bool tolerate) {
    CommandResult r = query(conn, line);
    if (r.rc != 0) {
        if (tolerate) return false;
        throw TaskError(line + " failed (rc " + std::to_string(r.rc) + "):\n" +
                        pkg::tail_lines(r.err.empty() ? r.out : r.err));
    }
    auto found = pkg::parse_apt_simulation(r.out);
    ops.insert(ops.end(), found.begin(), found.end());
    return true;
}

Ops compute_ops(ModuleContext& ctx, const Args& args, bool cache_update_pending) {
    Connection& conn = ctx.conn;
    Ops o;
    std::string state = args.str("state", "present");
    std::vector<Wanted> wanted;
    for (const auto& s : args.strings("name")) wanted.push_back(parse_wanted(s));

    if (args.has("deb")) {
        std::string path = conn.command_path(args.str("deb"));
        CommandResult r = query(conn, "dpkg-deb -f " + shell_quote(path) + " Package Version");
        if (r.rc != 0) throw TaskError("cannot read " + args.str("deb") + ": " + pkg::tail_lines(r.err, 3));
        std::string name, version;
        for (const auto& l : split(r.out, '\n')) {
            if (starts_with(l, "Package: ")) name = trim(l.substr(9));
            if (starts_with(l, "Version: ")) version = trim(l.substr(9));
        }
        auto have = installed(conn, {name});
        // A local .deb is installed unless exactly its version is there already.
        if (!have.count(name) || have[name] != version) o.install_args.push_back(path);
    }

    std::vector<std::string> names;
    for (const auto& w : wanted) names.push_back(w.name);
    auto have = installed(conn, names);
    for (const auto& w : wanted) {
        bool is_in = have.count(w.name) > 0;
        if (state == "absent") {
            if (is_in) o.remove_args.push_back(w.name);
        } else if (state == "latest") {
            o.install_args.push_back(w.arg);
        } else if (!is_in || !version_matches(have[w.name], w.version)) {
            if (!(args.flag("only_upgrade") && !is_in)) o.install_args.push_back(w.arg);
        }
    }

    std::string opts = apt_options(args);
    if (!o.install_args.empty()) {
        std::string line = "apt-get -s -q" + opts + " install" + join_quoted(o.install_args);
        if (!simulate(conn, line, o.ops, cache_update_pending)) {
            // The stale cache does not know a package yet; the refreshed one may.
            for (const auto& a : o.install_args) o.ops.push_back({PkgOp::Kind::Install, a, "", "", "(after apt cache update)", {}});
        }
    }
    if (!o.remove_args.empty()) {
        std::string verb = args.flag("purge") ? " purge" : " remove";
        simulate(conn, "apt-get -s -q" + verb + join_quoted(o.remove_args), o.ops, false);
    }
    return o;
}

// True when the package lists are older than cache_valid_time (or it is unset).
bool cache_update_due(Connection& conn, const Args& args, Value& result) {
    if (!args.flag("update_cache")) return false;
    int64_t valid = args.integer("cache_valid_time", 0);
    CommandResult r = query(conn, std::string("date +%s; stat -c %Y ") + k_update_stamp +
                                      " 2>/dev/null || stat -c %Y /var/lib/apt/lists 2>/dev/null || echo 0");
    auto f = split(trim(r.out), '\n');
    int64_t now = 0, mtime = 0;
    try {
        if (f.size() >= 2) {
            now = std::stoll(f[0]);
            mtime = std::stoll(f[1]);
        }
    } catch (const std::exception&) {
    }
    result["cache_update_time"] = Value(mtime);
    if (valid <= 0) return true;
    return now - mtime > valid;
}

Command mutating(const std::string& line) {
    Command c;
    c.cmdline = line;
    c.env["DEBIAN_FRONTEND"] = "noninteractive";
    c.env["APT_LISTCHANGES_FRONTEND"] = "none";
    c.env["LC_ALL"] = "C";
    return c;
}

std::string dpkg_options(const Args& args) {
    std::string o;
    for (const auto& opt : split(args.str("dpkg_options"), ','))
        if (!trim(opt).empty()) o += " -o " + shell_quote("Dpkg::Options::=--" + trim(opt));
    return o;
}

Value ops_value(const std::vector<PkgOp>& ops) {
    List l;
    for (const auto& op : ops) l.push_back(Value(pkg::op_summary(op)));
    return Value(std::move(l));
}

void plan_ops(Plan& plan, const std::vector<PkgOp>& ops) {
    for (const auto& op : ops) plan.changes.push_back({"packages", pkg::op_summary(op), {}, {}, false});
}

class AptModule : public Module {
public:
    const ModuleSpec& spec() const override {
        static const ModuleSpec s{
            .name = "apt",
            .summary = "Install, upgrade or remove Debian packages with apt-get",
            .doc =
                "check() runs only dpkg-query and `apt-get -s` (the simulation), so the plan lists every\n"
                "package the transaction touches, dependencies included, with old and new versions.\n"
                "Packages are installed with DEBIAN_FRONTEND=noninteractive and dpkg_options\n"
                "(default force-confdef,force-confold): a configuration file the operator changed is\n"
                "kept and the packaged one is left beside it as <file>.dpkg-dist for config_merge.\n"
                "Whether that happens depends on the new package's file, which a dry run cannot see:\n"
                "it notes <file>.dpkg-dist of every edited conffile of an upgraded package as \"may\n"
                "appear\", and a later config_merge plans the merge as depending on the upgrade.\n"
                "update_cache runs `apt-get update` when the lists are older than cache_valid_time\n"
                "seconds (always when it is unset). A dry run cannot refresh the cache, so its package\n"
                "plan is computed against the current cache; the real run refreshes first and then\n"
                "resolves again, and may therefore install newer versions than the dry run showed.\n"
                "Example (CloudStack upgrade, `apt-get update; apt-get install cloudstack-management`):\n"
                "  - apt:\n"
                "      name: cloudstack-management\n"
                "      state: latest\n"
                "      update_cache: yes",
            .args =
                {
                    {.name = "name",
                     .type = ArgType::List,
                     .aliases = {"package", "pkg"},
                     .doc = "packages, optionally pinned: name=1.2-1 or name=1.2*"},
                    {.name = "state",
                     .type = ArgType::String,
                     .default_value = Value("present"),
                     .choices = {"present", "absent", "latest"},
                     .doc = "present: installed; latest: newest version; absent: removed"},
                    {.name = "update_cache",
                     .type = ArgType::Bool,
                     .default_value = Value(false),
                     .aliases = {"update-cache"},
                     .doc = "run apt-get update first"},
                    {.name = "cache_valid_time",
                     .type = ArgType::Int,
                     .default_value = Value(0),
                     .doc = "skip the update when the lists are younger than this (seconds)"},
                    {.name = "default_release",
                     .type = ArgType::String,
                     .aliases = {"default-release"},
                     .doc = "apt-get -t: the release to install from"},
                    {.name = "install_recommends",
                     .type = ArgType::Bool,
                     .aliases = {"install-recommends"},
                     .doc = "install recommended packages (unset: apt's default)"},
                    {.name = "only_upgrade",
                     .type = ArgType::Bool,
                     .default_value = Value(false),
                     .doc = "only upgrade installed packages, never install new ones"},
                    {.name = "allow_downgrade",
                     .type = ArgType::Bool,
                     .default_value = Value(false),
                     .aliases = {"allow-downgrade", "allow_downgrades"},
                     .doc = "allow a pinned version older than the installed one"},
                    {.name = "purge",
                     .type = ArgType::Bool,
                     .default_value = Value(false),
                     .doc = "with absent: also remove config files"},
                    {.name = "deb", .type = ArgType::Path, .doc = "a .deb file on the host to install"},
                    {.name = "dpkg_options",
                     .type = ArgType::String,
                     .default_value = Value("force-confdef,force-confold"),
                     .doc = "comma-separated dpkg options"},
                },
            .required_one_of = {{"name", "deb", "update_cache"}},
        };
        return s;
    }

    Plan check(ModuleContext& ctx, const Args& args) const override {
        Plan plan;
        bool update = cache_update_due(ctx.conn, args, plan.result);
        if (update) plan.changes.push_back({"apt cache", "update apt cache", {}, {}, false});
        Ops o = compute_ops(ctx, args, update);
        plan_ops(plan, o.ops);
        plan.result["changes"] = ops_value(o.ops);
        plan.result["cache_updated"] = Value(false);
        // Conffiles the operator edited: the upgrade may leave .dpkg-dist beside them.
        // And the files a fresh install from a local repository creates (a rename's new
        // tree, cloud-agent -> cloudstack-agent): later tasks of a dry run plan on them.
        std::vector<Leftover> pending = dpkg_leftovers(ctx.conn, o.ops);
        for (auto& f : dpkg_new_package_files(ctx.conn, apt_options(args), o.ops)) pending.push_back(std::move(f));
        plan.set_payload(AptPayload{.update_cache = update,
                                    .install_args = std::move(o.install_args),
                                    .remove_args = std::move(o.remove_args),
                                    .leftovers = std::move(pending)});
        if (!plan.changed()) {
            plan.msg = "all packages already at the wanted state";
        } else {
            std::vector<std::string> s;
            for (const auto& c : plan.changes) s.push_back(c.summary);
            plan.msg = join(s, ", ");
        }
        return plan;
    }

    Value apply(ModuleContext& ctx, const Args& args, const Plan& plan) const override {
        const auto& p = plan.payload<AptPayload>();
        Value out;
        Connection& conn = ctx.conn;
        bool refreshed = false;
        if (p.update_cache) {
            CommandResult r = conn.run(mutating("apt-get update -q && mkdir -p /var/lib/apt/periodic && touch " +
                                                std::string(k_update_stamp)));
            if (r.executed && r.rc != 0)
                throw TaskError("apt-get update failed (rc " + std::to_string(r.rc) + "):\n" +
                                pkg::tail_lines(r.err.empty() ? r.out : r.err));
            refreshed = r.executed;
            out["cache_updated"] = Value(true);
        }
        // After a real refresh the transaction is resolved again: the new lists
        // may offer other versions than the ones check() saw.
        Ops o;
        if (refreshed) {
            o = compute_ops(ctx, args, false);
            out["changes"] = ops_value(o.ops);
        } else {
            o.install_args = p.install_args;
            o.remove_args = p.remove_args;
        }
        std::string opts = apt_options(args) + dpkg_options(args);
        std::string stdout_text, stderr_text;
        auto run = [&](const std::string& line) {
            CommandResult r = conn.run(mutating(line));
            stdout_text += r.out;
            stderr_text += r.err;
            if (r.executed && r.rc != 0)
                throw TaskError(line + " failed (rc " + std::to_string(r.rc) + "):\n" +
                                pkg::tail_lines(r.err.empty() ? r.out : r.err));
        };
        if (!o.install_args.empty()) run("apt-get -y -q" + opts + " install" + join_quoted(o.install_args));
        if (!o.remove_args.empty())
            run("apt-get -y -q" + dpkg_options(args) + (args.flag("purge") ? " purge" : " remove") +
                join_quoted(o.remove_args));
        note_leftovers(conn, p.leftovers);
        out["stdout"] = Value(stdout_text);
        out["stderr"] = Value(stderr_text);
        return out;
    }
};

}  // namespace

std::unique_ptr<Module> make_apt_module() { return std::make_unique<AptModule>(); }

}  // namespace upkeep
