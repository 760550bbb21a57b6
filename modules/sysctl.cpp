// sysctl: a kernel parameter in a sysctl.conf-style file, reloaded with `sysctl -p`
// (ansible.posix.sysctl: same arguments, same file edit, same changed rules).
#include "engine/module/file_edit.hpp"
#include "engine/module/module.hpp"
#include "engine/util/error.hpp"
#include "engine/util/strings.hpp"
#include "modules/formats/sysctl_conf.hpp"

namespace upkeep {

namespace {

// A sandbox (a directory posing as a host) shares this machine's kernel: `sysctl -w`
// or `sysctl -p` there would change the real machine, so only the file part runs.
bool is_sandbox(Connection& conn) { return conn.command_path("/") != "/"; }

Command sysctl_command(const std::string& line, bool mutating) {
    Command c;
    c.cmdline = line;
    c.mutating = mutating;
    c.env = {{"LANG", "C"}, {"LC_ALL", "C"}, {"LC_MESSAGES", "C"}};
    return c;
}

// Ansible's test for a failed write that still exits 0.
bool stderr_failed(const std::string& err) {
    for (const auto& l : split(err, '\n'))
        if (starts_with(l, "sysctl: setting key \"") &&
            (ends_with(l, "\": Invalid argument") || ends_with(l, "\": Read-only file system")))
            return true;
    return false;
}

// check() -> apply(): which of the three effects to carry out. The file write's
// own data is the FileEditPayload plan_file_content sets beside this one.
struct SysctlPayload {
    std::string file;   // the sysctl.conf-style file
    std::string value;  // the wanted value
    bool write = false;     // the file changes
    bool set_proc = false;  // sysctl -w now
    bool reload = false;    // sysctl -p the file after the write
};

class SysctlModule : public Module {
public:
    const ModuleSpec& spec() const override {
        static const ModuleSpec s{
            .name = "sysctl",
            .summary = "Set a kernel parameter in a sysctl file and (optionally) the running kernel",
            .doc =
                "ansible.posix.sysctl: keeps `name=value` in sysctl_file (default /etc/sysctl.conf; a role\n"
                "usually names a file under /etc/sysctl.d), then runs `sysctl -p FILE` when anything\n"
                "changed (reload) and `sysctl -w` when sysctl_set is true and the live value differs.\n"
                "As Ansible, a changed file is rewritten normalised (`k = v` becomes `k=v`, later\n"
                "duplicates of a key are dropped). On a sandbox host reload and sysctl_set are refused:\n"
                "the sandbox shares this machine's kernel.\n"
                "Example:\n"
                "  - sysctl:\n"
                "      name: net.ipv4.ip_forward\n"
                "      value: '1'\n"
                "      sysctl_file: /etc/sysctl.d/90-forward.conf",
            .args =
                {
                    {.name = "name",
                     .type = ArgType::String,
                     .required = true,
                     .aliases = {"key"},
                     .doc = "the parameter (net.ipv4.ip_forward)"},
                    {.name = "value",
                     .type = ArgType::String,
                     .aliases = {"val"},
                     .doc = "its value; yes/no/true/false become 1/0"},
                    {.name = "state",
                     .type = ArgType::String,
                     .default_value = Value("present"),
                     .choices = {"present", "absent"},
                     .doc = "absent removes the line from the file"},
                    {.name = "reload",
                     .type = ArgType::Bool,
                     .default_value = Value(true),
                     .doc = "run `sysctl -p FILE` after a change"},
                    {.name = "sysctl_set",
                     .type = ArgType::Bool,
                     .default_value = Value(false),
                     .doc = "also set the live value with `sysctl -w` when it differs"},
                    {.name = "ignoreerrors",
                     .type = ArgType::Bool,
                     .default_value = Value(false),
                     .doc = "pass -e (ignore unknown keys)"},
                    {.name = "sysctl_file",
                     .type = ArgType::Path,
                     .default_value = Value("/etc/sysctl.conf"),
                     .doc = "the file to keep the line in"},
                },
        };
        return s;
    }

    Plan check(ModuleContext& ctx, const Args& args) const override {
        std::string name = trim(args.str("name"));
        bool present = args.str("state") == "present";
        if (name.empty()) throw TaskError(args.get("name").mark(), "name cannot be blank");
        if (present && !args.has("value")) throw TaskError(args.get("name").mark(), "state=present needs a value");
        std::string value = args.has("value") ? sysctl_normalise_value(args.str("value")) : "";
        if (present && value.empty()) throw TaskError(args.get("value").mark(), "value cannot be blank");
        std::string file = args.str("sysctl_file");
        bool reload = args.flag("reload"), set = args.flag("sysctl_set");

        CommandResult live = ctx.conn.run(sysctl_command("sysctl -e -n " + shell_quote(name), false));
        std::optional<std::string> proc;
        if (live.rc == 0) proc = live.out;

        FileInfo info = ctx.conn.stat(file, true);
        if (info.is_dir()) throw TaskError(file + " is a directory");
        std::optional<std::string> current;
        if (info.is_file()) current = ctx.conn.read_file(file);
        SysctlEdit edit = sysctl_edit(current, name, value, present);

        // ansible.posix.sysctl's decision, in its order.
        bool changed = false, write = false, set_proc = false;
        const auto& fv = edit.file_value;
        if (!fv && present) changed = write = true;
        else if (!fv) changed = false;
        else if (!fv->empty() && !present) changed = write = true;
        else if (*fv != value) changed = write = true;
        else if (reload) changed = !proc || !sysctl_values_equal(*proc, value);
        if (set && present) {
            if (!proc) changed = true;
            else if (!sysctl_values_equal(*proc, value)) changed = set_proc = true;
        }

        Plan plan;
        if (write) {
            std::string msg = present ? (fv ? name + " set to " + value : name + "=" + value + " added") : name + " removed";
            plan = plan_file_content(ctx, args, file, edit.content, msg);
        }
        std::string target = "sysctl " + name;
        std::string live_text = proc ? trim(*proc) : "(unknown key)";
        if (set_proc) plan.changes.push_back({target, "live value " + live_text + " -> " + value, {}, {}, false});
        bool will_reload = changed && reload;
        if (changed && !plan.changed())
            plan.changes.push_back({target, will_reload ? "live value " + live_text + " differs: would reload " + file
                                                        : "live value unknown",
                                    {}, {}, false});
        if ((set_proc || will_reload) && is_sandbox(ctx.conn))
            throw TaskError("sysctl on a sandbox host: " + std::string(set_proc ? "sysctl_set" : "reload") +
                            " would change this machine's kernel, not the sandbox's; set reload: false and sysctl_set: false");
        plan.set_payload(SysctlPayload{.file = file, .value = value, .write = write, .set_proc = set_proc, .reload = will_reload});
        if (!plan.changed())
            plan.msg = present ? name + " already " + value + (reload ? " in " + file + " and live" : " in " + file)
                               : name + " not in " + file;
        else if (!write)
            plan.msg = plan.changes.front().summary;
        return plan;
    }

    Value apply(ModuleContext& ctx, const Args& args, const Plan& plan) const override {
        std::string name = trim(args.str("name"));
        const auto& p = plan.payload<SysctlPayload>();
        std::string e = args.flag("ignoreerrors") ? "-e " : "";
        Value out;
        auto run = [&](const std::string& line, const std::string& what) {
            CommandResult r = ctx.conn.run(sysctl_command(line, true));
            if (!r.executed) return;
            if (r.rc != 0 || stderr_failed(r.err)) throw TaskError(what + " failed: " + trim(r.out + r.err));
        };
        if (p.set_proc) run("sysctl " + e + "-w " + shell_quote(name + "=" + p.value), "setting " + name);
        if (p.write) out = apply_file_plan(ctx, plan);
        if (p.reload) run("sysctl " + e + "-p " + shell_quote(ctx.conn.command_path(p.file)), "reloading " + p.file);
        return out;
    }
};

}  // namespace

std::unique_ptr<Module> make_sysctl_module() { return std::make_unique<SysctlModule>(); }

}  // namespace upkeep
