// package: the generic package module (Ansible's package). It picks the
// host's package manager and hands name and state to the apt or dnf/yum module,
// whose plan and result it returns unchanged.
#include "engine/module/module.hpp"
#include "engine/util/error.hpp"
#include "engine/util/strings.hpp"
#include "modules/registry.hpp"

namespace upkeep {

namespace {

// The package manager named by the facts, or "" when facts were not gathered.
std::string manager_from_vars(const Value& vars) {
    const Value& direct = vars.get("ansible_pkg_mgr");
    if (direct.is_string() && !direct.as_string().empty()) return direct.as_string();
    const Value& facts = vars.get("ansible_facts");
    if (facts.is_map() && facts.get("pkg_mgr").is_string()) return facts.get("pkg_mgr").as_string();
    return "";
}

// Asks the host: dpkg's database decides for apt first, so a Debian host with
// dnf installed (for building RPMs) still counts as an apt host.
std::string probe_manager(Connection& conn) {
    Command c;
    c.mutating = false;
    c.cmdline =
        "if [ -f /var/lib/dpkg/status ] && command -v apt-get >/dev/null 2>&1; then echo apt; "
        "elif command -v dnf >/dev/null 2>&1; then echo dnf; "
        "elif command -v yum >/dev/null 2>&1; then echo yum; fi";
    return trim(conn.run(c).out);
}

// check() -> apply(): which module planned. The plan is otherwise the apt or dnf
// module's own, its payload included, and goes back to that module unchanged.
struct PackagePayload {
    std::string mgr{};  // "apt", "dnf" or "yum"
};

class PackageModule : public Module {
public:
    const ModuleSpec& spec() const override {
        static const ModuleSpec s{
            .name = "package",
            .summary = "Install, upgrade or remove packages with the host's package manager",
            .doc =
                "Dispatches to the apt or dnf/yum module by the fact pkg_mgr (ansible_pkg_mgr), or, when\n"
                "facts were not gathered, by asking the host which tool it has. `use` forces one.\n"
                "Example (CloudStack agent upgrade on either family, `yum update cloudstack-agent`):\n"
                "  - package:\n"
                "      name: cloudstack-agent\n"
                "      state: latest",
            .args =
                {
                    {.name = "name", .type = ArgType::List, .required = true, .aliases = {"pkg"}, .doc = "packages"},
                    {.name = "state",
                     .type = ArgType::String,
                     .default_value = Value("present"),
                     .choices = {"present", "installed", "latest", "absent", "removed"},
                     .doc = "the wanted state"},
                    {.name = "use",
                     .type = ArgType::String,
                     .default_value = Value("auto"),
                     .choices = {"auto", "apt", "dnf", "yum"},
                     .doc = "the package manager; auto: from the facts or the host"},
                },
        };
        return s;
    }

    Plan check(ModuleContext& ctx, const Args& args) const override {
        std::string mgr = resolve(ctx, args);
        Plan plan = delegate(mgr).check(ctx, inner_args(mgr, args));
        plan.set_payload(PackagePayload{.mgr = mgr});
        plan.result["pkg_mgr"] = Value(mgr);
        return plan;
    }

    Value apply(ModuleContext& ctx, const Args& args, const Plan& plan) const override {
        const std::string& mgr = plan.payload<PackagePayload>().mgr;
        return delegate(mgr).apply(ctx, inner_args(mgr, args), plan);
    }

private:
    static std::string resolve(ModuleContext& ctx, const Args& args) {
        std::string mgr = args.str("use", "auto");
        if (mgr == "auto") mgr = manager_from_vars(ctx.vars);
        if (mgr.empty() || mgr == "unknown") mgr = probe_manager(ctx.conn);
        if (mgr == "apt-get") mgr = "apt";
        if (mgr != "apt" && mgr != "dnf" && mgr != "yum")
            throw TaskError("package: no supported package manager on this host (found '" + mgr +
                            "'; supported: apt, dnf, yum)");
        return mgr;
    }

    static const Module& delegate(const std::string& mgr) {
        const Module* m = find_module(mgr);
        if (!m) throw ContractError("package: module '" + mgr + "' is not registered");
        return *m;
    }

    // name and state in the words the target module takes.
    static Args inner_args(const std::string& mgr, const Args& args) {
        std::string state = args.str("state", "present");
        if (mgr == "apt") {
            if (state == "installed") state = "present";
            if (state == "removed") state = "absent";
        }
        Value raw;
        raw["name"] = args.get("name");
        raw["state"] = Value(state);
        return validate_args(delegate(mgr).spec(), raw);
    }
};

}  // namespace

std::unique_ptr<Module> make_package_module() { return std::make_unique<PackageModule>(); }

}  // namespace upkeep
