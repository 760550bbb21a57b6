// dnf (also registered as yum): installs, upgrades and removes RPM packages
// (Ansible's dnf/yum). check() asks rpm what is installed and runs the
// transaction with --assumeno, which resolves it and stops before changing
// anything, so the plan names every package with its versions.
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

std::string join_quoted(const std::vector<std::string>& v) {
    std::string s;
    for (const auto& x : v) s += " " + shell_quote(x);
    return s;
}

// A name rpm can look up directly: not a pattern, a file, a URL or a version
// constraint. Only these take the fast path (rpm -q without dnf).
bool is_plain(const std::string& n) {
    return !pkg::is_glob(n) && n.find('/') == std::string::npos && !ends_with(n, ".rpm") &&
           n.find_first_of("<>= ") == std::string::npos;
}

bool is_file_or_url(const std::string& n) { return n.find('/') != std::string::npos || ends_with(n, ".rpm"); }

// check() -> apply(): the dnf command with its options and, per verb, the names
// whose simulation found work (only those verbs run), and the files the
// transaction may leave.
struct DnfPayload {
    std::string base{};  // "dnf --installroot=... --refresh"
    std::vector<std::string> install{};
    std::vector<std::string> upgrade{};
    std::vector<std::string> remove{};
    std::vector<Leftover> leftovers{};  // noted on the connection afterwards
};

class DnfModule : public Module {
public:
    explicit DnfModule(const std::string& name) : m_spec(make_spec(name)) {}

    const ModuleSpec& spec() const override { return m_spec; }

    static ModuleSpec make_spec(const std::string& name) {
        return ModuleSpec{
            .name = name,
            .summary = "Install, upgrade or remove RPM packages with dnf (or yum)",
            .doc =
                "check() runs only rpm -q and the transaction with --assumeno, so the plan lists every\n"
                "package it touches, dependencies included, with old and new versions. Names may be\n"
                "patterns (`ovirt-engine-setup*`), .rpm files or URLs. Uses dnf, or yum where dnf is\n"
                "missing. A configuration file marked %config(noreplace) that the operator changed is\n"
                "kept by rpm, the packaged one is left as <file>.rpmnew (see config_merge); a dry run\n"
                "notes that file for every edited config file of an upgraded package as \"may appear\".\n"
                "update_cache adds --refresh (metadata is always fetched as needed, in a dry run too).\n"
                "Example (oVirt engine upgrade, `yum install ovirt-release43.rpm; yum update "
                "\"ovirt-engine-setup*\"`):\n"
                // (one line of the example a source line)
                // clang-format off
                "  - " + name + ":\n"
                "      name: https://resources.ovirt.org/pub/yum-repo/ovirt-release43.rpm\n"
                "  - " + name + ":\n"
                "      name: ovirt-engine-setup*\n"
                "      state: latest",
                // clang-format on
            .args =
                {
                    {.name = "name",
                     .type = ArgType::List,
                     .required = true,
                     .aliases = {"pkg"},
                     .doc = "packages, patterns, .rpm paths or URLs"},
                    {.name = "state",
                     .type = ArgType::String,
                     .default_value = Value("present"),
                     .choices = {"present", "installed", "latest", "absent", "removed"},
                     .doc = "present: installed; latest: newest version; absent: removed"},
                    {.name = "update_cache",
                     .type = ArgType::Bool,
                     .default_value = Value(false),
                     .aliases = {"expire-cache"},
                     .doc = "refresh the repository metadata first"},
                    {.name = "update_only",
                     .type = ArgType::Bool,
                     .default_value = Value(false),
                     .doc = "with latest: upgrade installed packages, never install new ones"},
                    {.name = "enablerepo", .type = ArgType::List, .doc = "repositories to enable for this run"},
                    {.name = "disablerepo", .type = ArgType::List, .doc = "repositories to disable for this run"},
                    {.name = "exclude", .type = ArgType::List, .doc = "packages never to touch"},
                    {.name = "installroot",
                     .type = ArgType::String,
                     .default_value = Value("/"),
                     .doc = "the root to install into (dnf --installroot)"},
                    {.name = "releasever", .type = ArgType::String, .doc = "the $releasever for the repositories"},
                    {.name = "conf_file", .type = ArgType::String, .doc = "dnf's configuration file"},
                    {.name = "disable_gpg_check",
                     .type = ArgType::Bool,
                     .default_value = Value(false),
                     .doc = "do not check package signatures"},
                },
        };
    }

    Plan check(ModuleContext& ctx, const Args& args) const override {
        Plan plan;
        std::string tool = find_tool(ctx.conn);
        std::string state = args.str("state", "present");
        bool remove = state == "absent" || state == "removed";
        std::vector<std::string> install, upgrade, erase;
        std::vector<std::string> names = args.strings("name");

        std::vector<std::string> plain;
        for (const auto& n : names)
            if (is_plain(n)) plain.push_back(n);
        pkg::InstalledMap have = rpm_query(ctx.conn, args, plain, false);
        for (const auto& n : names) {
            bool is_in;
            if (is_plain(n)) is_in = have.count(n) > 0;
            else if (pkg::is_glob(n)) is_in = !rpm_query(ctx.conn, args, {n}, true).empty();
            else is_in = false;  // files, URLs, constraints: dnf decides
            if (remove) {
                if (is_in || (!is_plain(n) && !pkg::is_glob(n))) erase.push_back(n);
            } else if (state == "latest" && is_in) {
                upgrade.push_back(n);
            } else if (!is_in && !(state == "latest" && args.flag("update_only") && !is_file_or_url(n))) {
                install.push_back(n);
            }
        }

        std::vector<PkgOp> ops;
        std::string base = tool + options(ctx.conn, args);
        DnfPayload payload{.base = base};
        auto simulate = [&](const char* verb, const std::vector<std::string>& list, std::vector<std::string>& runs) {
            if (list.empty()) return;
            std::string line = base + " --assumeno " + verb + join_quoted(list);
            CommandResult r = query(ctx.conn, line);
            auto found = pkg::parse_dnf_transaction(r.out);
            // --assumeno answers "no" (exit 1, "Operation aborted") when there is
            // a transaction; exit 0 is "Nothing to do"; anything else failed.
            if (r.rc != 0 && (found.empty() || r.err.find("Error:") != std::string::npos))
                throw TaskError(tool + " " + verb + join_quoted(list) + " failed (rc " + std::to_string(r.rc) +
                                "):\n" + pkg::tail_lines(r.err.empty() ? r.out : r.err));
            ops.insert(ops.end(), found.begin(), found.end());
            // Only a verb whose simulation found work runs for real.
            if (!found.empty()) runs = list;
        };
        simulate("install", install, payload.install);
        simulate("upgrade", upgrade, payload.upgrade);
        simulate("remove", erase, payload.remove);

        // The table shows only the new versions; rpm knows the installed ones.
        std::vector<std::string> changed_names;
        for (const auto& op : ops)
            if (op.kind == PkgOp::Kind::Upgrade || op.kind == PkgOp::Kind::Downgrade) changed_names.push_back(op.name);
        pkg::InstalledMap old = rpm_query(ctx.conn, args, changed_names, false);
        List summaries;
        for (auto& op : ops) {
            if (old.count(op.name) && op.old_version.empty() && op.kind != PkgOp::Kind::Install)
                op.old_version = old[op.name];
            plan.changes.push_back({"packages", pkg::op_summary(op), {}, {}, false});
            summaries.push_back(Value(pkg::op_summary(op)));
        }
        plan.result["changes"] = Value(std::move(summaries));
        // Config files the operator edited: the upgrade may leave .rpmnew (.rpmsave) beside them.
        // And the files a fresh install creates (a rename's whole new config tree): a dry
        // run's later tasks plan on them as depending on this install.
        std::vector<Leftover> pending = rpm_leftovers(ctx.conn, args.str("installroot", "/"), ops);
        for (auto& f : rpm_new_package_files(ctx.conn, base, args.str("installroot", "/"), ops)) pending.push_back(std::move(f));
        payload.leftovers = std::move(pending);
        plan.set_payload(std::move(payload));
        plan.msg = plan.changed() ? join([&] {
            std::vector<std::string> s;
            for (const auto& c : plan.changes) s.push_back(c.summary);
            return s;
        }(), ", ")
                                  : "all packages already at the wanted state";
        return plan;
    }

    Value apply(ModuleContext& ctx, const Args& /*args*/, const Plan& plan) const override {
        const auto& p = plan.payload<DnfPayload>();
        std::string out_text, err_text;
        int rc = 0;
        const std::pair<const char*, const std::vector<std::string>*> verbs[] = {
            {"install", &p.install}, {"upgrade", &p.upgrade}, {"remove", &p.remove}};
        for (const auto& [verb, list] : verbs) {
            if (list->empty()) continue;
            Command c;
            c.cmdline = p.base + " -y " + verb + join_quoted(*list);
            c.env["LC_ALL"] = "C";
            CommandResult r = ctx.conn.run(c);
            out_text += r.out;
            err_text += r.err;
            if (!r.executed) continue;
            rc = r.rc;
            if (r.rc != 0)
                throw TaskError(c.cmdline + " failed (rc " + std::to_string(r.rc) + "):\n" +
                                pkg::tail_lines(r.err.empty() ? r.out : r.err));
        }
        note_leftovers(ctx.conn, p.leftovers);
        Value out;
        out["rc"] = Value(rc);
        out["stdout"] = Value(out_text);
        out["stderr"] = Value(err_text);
        return out;
    }

private:
    // dnf where it exists (yum is dnf on EL8+), else the classic yum of EL7.
    static std::string find_tool(Connection& conn) {
        CommandResult r = query(conn, "command -v dnf || command -v yum");
        std::string path = trim(r.out);
        if (r.rc != 0 || path.empty()) throw TaskError("neither dnf nor yum is installed on this host");
        return ends_with(path, "yum") ? "yum" : "dnf";
    }

    static std::string options(Connection& conn, const Args& args) {
        std::string o;
        std::string root = args.str("installroot", "/");
        if (root != "/") o += " --installroot=" + shell_quote(conn.command_path(root));
        if (args.has("releasever")) o += " --releasever=" + shell_quote(args.str("releasever"));
        if (args.has("conf_file")) o += " -c " + shell_quote(args.str("conf_file"));
        if (args.has("enablerepo")) o += " --enablerepo=" + shell_quote(join(args.strings("enablerepo"), ","));
        if (args.has("disablerepo")) o += " --disablerepo=" + shell_quote(join(args.strings("disablerepo"), ","));
        for (const auto& x : args.has("exclude") ? args.strings("exclude") : std::vector<std::string>{})
            o += " --exclude=" + shell_quote(x);
        if (args.flag("disable_gpg_check")) o += " --nogpgcheck";
        if (args.flag("update_cache")) o += " --refresh";
        return o;
    }

    // Installed packages among `names` (with `all`, each name is an rpm -qa pattern).
    static pkg::InstalledMap rpm_query(Connection& conn, const Args& args, const std::vector<std::string>& names,
                                       bool all) {
        if (names.empty()) return {};
        std::string line = "rpm";
        std::string root = args.str("installroot", "/");
        if (root != "/") line += " --root " + shell_quote(conn.command_path(root));
        line += std::string(all ? " -qa" : " -q") + " --qf " + shell_quote(pkg::k_rpm_query_format) + join_quoted(names);
        // rpm -q exits with the number of names not installed: not an error here.
        return pkg::parse_rpm_query(query(conn, line).out);
    }

    ModuleSpec m_spec;
};

}  // namespace

std::unique_ptr<Module> make_dnf_module() { return std::make_unique<DnfModule>("dnf"); }
std::unique_ptr<Module> make_yum_module() { return std::make_unique<DnfModule>("yum"); }

}  // namespace upkeep
