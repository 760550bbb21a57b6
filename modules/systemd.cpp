// systemd / systemd_service: a unit's state, enablement and mask through systemctl
// (ansible.builtin.systemd: same arguments, same decisions, same results).
// enabled and masked work without a running systemd (systemctl edits the unit
// symlinks offline; on a sandbox host with --root=SANDBOX); state, daemon_reload
// and daemon_reexec need systemd as PID 1 and fail with a clear error otherwise.
#include "engine/module/host_query.hpp"
#include "engine/module/module.hpp"
#include "engine/util/error.hpp"
#include "engine/util/strings.hpp"
#include "modules/formats/account_db.hpp"

namespace upkeep {

namespace {

// `systemctl show` output as a map (multi-line values in { } are joined, as Ansible does).
Value parse_show(const std::string& out) {
    Value m = Value(Map{});
    std::string key, value;
    bool in_block = false;
    for (const auto& line : split(out, '\n')) {
        if (in_block) {
            value += "\n" + line;
            if (ends_with(trim(line), "}")) {
                m[key] = Value(value);
                in_block = false;
            }
            continue;
        }
        size_t eq = line.find('=');
        if (eq == std::string::npos) continue;
        key = line.substr(0, eq);
        value = line.substr(eq + 1);
        if (starts_with(value, "{") && !ends_with(trim(value), "}")) {
            in_block = true;
            continue;
        }
        m[key] = Value(value);
    }
    return m;
}

bool is_running(const Value& status) {
    std::string s = status.get("ActiveState").is_string() ? status.get("ActiveState").as_string() : "";
    return s == "active" || s == "activating";
}

// check() -> apply(): the systemctl lines to run, in order, and whether the unit
// runs afterwards (for the dry-run overlay), when the task has a state.
struct SystemdPayload {
    std::vector<std::string> commands{};
    std::optional<bool> running_after{};
};

// What check() reads and plans for one task, kept together so that each decision
// (daemon actions, mask, enablement, state) is a step of its own.
struct UnitPlanner {
    Connection& conn;
    const Args& args;
    std::optional<std::string> unit;
    bool sandbox;
    bool running;
    std::string systemctl = "systemctl";
    std::string target;
    std::string q;  // the unit, shell-quoted
    Plan plan;
    SystemdPayload payload;
    std::vector<std::string> why;
    Value status = Value(Map{});
    bool is_initd = false;
    bool found = false;

    UnitPlanner(Connection& c, const Args& a, std::optional<std::string> u)
        : conn(c), args(a), unit(std::move(u)), sandbox(is_sandbox_host(c)),
          running(c.stat("/run/systemd/system", true).is_dir() && !sandbox),
          target("unit " + unit.value_or("(daemon)")), q(unit ? shell_quote(*unit) : "") {
        if (sandbox) systemctl += " --root=" + shell_quote(conn.command_path("/"));
        if (args.str("scope") != "system") systemctl += " --" + args.str("scope");
        if (args.flag("no_block")) systemctl += " --no-block";
        if (args.flag("force")) systemctl += " --force";
    }

    TaskError offline_error(const std::string& what) const {
        return TaskError(what + ": systemd is not running on " + conn.host_name() +
                         " (PID 1 is not systemd, no /run/systemd/system" + (sandbox ? "; a sandbox host has no init" : "") +
                         "). Only enabled and masked work offline.");
    }

    void act(const std::string& cmd, const std::string& summary) {
        payload.commands.push_back(cmd);
        plan.changes.push_back({target, summary, {}, {}, false});
    }

    void need_found() const {
        if (!found) throw TaskError("Could not find the requested service " + *unit + ": host");
    }

    void plan_daemon() {
        if (args.flag("daemon_reload")) {
            if (!running) throw offline_error("daemon_reload");
            payload.commands.push_back(systemctl + " daemon-reload");
        }
        if (args.flag("daemon_reexec")) {
            if (!running) throw offline_error("daemon_reexec");
            payload.commands.push_back(systemctl + " daemon-reexec");
        }
    }

    // status (systemctl show, with systemd running), and whether the unit exists at all.
    void look_up_unit() {
        bool is_systemd = false;
        if (running) {
            CommandResult r = query(conn, systemctl + " show " + q);
            if (r.rc == 0 && !r.out.empty()) {
                status = parse_show(r.out);
                std::string load = status.get("LoadState").is_string() ? status.get("LoadState").as_string() : "";
                is_systemd = !load.empty() && load != "not-found";
                if (is_systemd && load != "masked" && status.has("LoadError"))
                    throw TaskError("Error loading unit file '" + *unit + "': " + status.get("LoadError").to_string());
            }
        } else {
            static const char* valid[] = {"enabled", "enabled-runtime", "linked", "linked-runtime", "masked",
                                          "masked-runtime", "static", "indirect", "disabled", "generated", "transient"};
            std::string st = trim(query(conn, systemctl + " is-enabled " + q).out);
            for (const char* v : valid) is_systemd = is_systemd || st == v;
            if (!is_systemd) is_systemd = query(conn, systemctl + " list-unit-files " + q).rc == 0 &&
                                          query(conn, systemctl + " list-unit-files " + q).out.find(*unit) != std::string::npos;
        }
        is_initd = conn.stat("/etc/init.d/" + *unit, true).is_file();
        found = is_systemd || is_initd;
        plan.result["status"] = status;
    }

    void plan_masked() {
        bool masked = trim(query(conn, systemctl + " is-enabled " + q).out) == "masked";
        bool want = args.flag("masked");
        if (masked != want) act(systemctl + (want ? " mask " : " unmask ") + q, want ? "would mask" : "would unmask");
        else why.push_back(want ? "already masked" : "not masked");
    }

    void plan_enabled() {
        need_found();
        CommandResult r = query(conn, systemctl + " is-enabled " + q + " -l");
        bool enabled = false;
        if (r.rc == 0) {
            std::string o = trim(r.out);
            enabled = o != "indirect" && o != "alias";
        } else if (r.rc == 1 && args.str("scope") == "system" && is_initd && !ends_with(trim(r.out), "disabled")) {
            // A SysV script: a start link in a multi-user runlevel counts as enabled.
            for (const char* rl : {"2", "3", "4", "5"})
                for (const auto& e : conn.list_dir(std::string("/etc/rc") + rl + ".d"))
                    if (e.size() == unit->size() + 3 && e[0] == 'S' && e.substr(3) == *unit) enabled = true;
        }
        bool want = args.flag("enabled");
        plan.result["enabled"] = Value(want);
        if (enabled != want) act(systemctl + (want ? " enable " : " disable ") + q, want ? "would enable" : "would disable");
        else why.push_back(want ? "already enabled" : "already disabled");
    }

    void plan_state() {
        need_found();
        std::string state = args.str("state");
        if (!running) throw offline_error("state=" + state + " of " + *unit);
        std::optional<bool> planned = conn.planned_service_running(*unit);
        bool up = planned ? *planned : is_running(status);
        std::string deact = status.get("ActiveState").is_string() ? status.get("ActiveState").as_string() : "";
        plan.result["state"] = Value(state == "stopped" ? "stopped" : "started");
        if (state == "started") {
            if (!up) act(systemctl + " start " + q, "would start");
            else why.push_back("already running");
        } else if (state == "stopped") {
            if (up || deact == "deactivating") act(systemctl + " stop " + q, "would stop");
            else why.push_back("already stopped");
        } else {
            std::string verb = !up ? "start" : state == "restarted" ? "restart" : "reload";
            act(systemctl + " " + verb + " " + q, "would " + verb);
            plan.unpredictable = true;  // restarted/reloaded are actions, not states
        }
        payload.running_after = state != "stopped";
    }

    Plan finish() {
        plan.set_payload(std::move(payload));
        std::vector<std::string> summaries;
        for (const auto& c : plan.changes) summaries.push_back(c.summary);
        plan.msg = plan.changed() ? join(summaries, ", ") : why.empty() ? "nothing to change" : join(why, ", ");
        // Deliberate difference: Ansible runs daemon-reload/-reexec without counting it
        // as a change; here check() is read-only and apply() runs only for a change, so
        // it is one (an action, like restarted: never held to converging).
        if (!plan.changed() && (args.flag("daemon_reload") || args.flag("daemon_reexec"))) {
            plan.changes.push_back({"systemd", args.flag("daemon_reload") ? "daemon-reload" : "daemon-reexec", {}, {}, false});
            plan.unpredictable = true;
            plan.msg = plan.changes.back().summary;
        }
        return std::move(plan);
    }
};

class SystemdModule : public Module {
public:
    explicit SystemdModule(std::string name) : m_name(std::move(name)) {}

    const ModuleSpec& spec() const override {
        if (m_name == "systemd_service") {
            static const ModuleSpec s = make_spec("systemd_service");
            return s;
        }
        static const ModuleSpec s = make_spec("systemd");
        return s;
    }

    Plan check(ModuleContext& ctx, const Args& args) const override {
        std::optional<std::string> unit = args.opt_str("name");
        if (!unit && (args.has("state") || args.has("enabled") || args.has("masked")))
            throw TaskError(args.raw().mark(), "state, enabled and masked need name");
        if (unit && unit->find_first_of("*?[") != std::string::npos)
            throw TaskError("This module does not currently support using glob patterns, found in service name: " + *unit);
        UnitPlanner p(ctx.conn, args, unit);
        // daemon-reload runs before anything else is looked at, as in Ansible; it is an
        // action, never a state, so it is planned every time.
        p.plan_daemon();
        p.plan.result["name"] = unit ? Value(*unit) : Value();
        p.plan.result["status"] = Value(Map{});
        if (unit) {
            p.look_up_unit();
            if (args.has("masked")) p.plan_masked();
            if (args.has("enabled")) p.plan_enabled();
            if (args.has("state")) p.plan_state();
        }
        return p.finish();
    }

    Value apply(ModuleContext& ctx, const Args& args, const Plan& plan) const override {
        const auto& p = plan.payload<SystemdPayload>();
        Value out;
        for (const auto& c : p.commands) {
            Command cmd;
            cmd.cmdline = c;
            cmd.env = {{"LANG", "C"}, {"LC_ALL", "C"}};
            CommandResult r = ctx.conn.run(cmd);
            if (!r.executed) continue;
            if (r.rc != 0) throw TaskError(cmd.cmdline + " failed (rc " + std::to_string(r.rc) + "): " + trim(r.err.empty() ? r.out : r.err));
        }
        if (p.running_after && args.has("name")) ctx.conn.note_service_state(args.str("name"), *p.running_after);
        out["name"] = args.get("name");
        return out;
    }

private:
    static ModuleSpec make_spec(const std::string& name) {
        return ModuleSpec{
            .name = name,
            .summary = "Manage a systemd unit: start/stop/restart/reload, enable, mask, daemon-reload",
            .doc =
                "ansible.builtin.systemd (also systemd_service). enabled and masked are read and changed\n"
                "with systemctl is-enabled/enable/disable/mask/unmask, which work without a running\n"
                "systemd (a container, a chroot; on a sandbox host with --root=SANDBOX). state and\n"
                "daemon_reload/daemon_reexec need systemd as PID 1: without it the task fails saying so.\n"
                "restarted and reloaded always count as a change.\n"
                "Example:\n"
                "  - systemd:\n"
                "      name: ntpsec\n"
                "      state: started\n"
                "      enabled: true\n"
                "      daemon_reload: true",
            .args =
                {
                    {.name = "name",
                     .type = ArgType::String,
                     .aliases = {"service", "unit"},
                     .doc = "the unit (foo or foo.service)"},
                    {.name = "state",
                     .type = ArgType::String,
                     .choices = {"reloaded", "restarted", "started", "stopped"},
                     .doc = "what to do"},
                    {.name = "enabled", .type = ArgType::Bool, .doc = "start at boot"},
                    {.name = "masked", .type = ArgType::Bool, .doc = "masked (cannot be started at all)"},
                    {.name = "force", .type = ArgType::Bool, .doc = "systemctl --force"},
                    {.name = "daemon_reload",
                     .type = ArgType::Bool,
                     .default_value = Value(false),
                     .aliases = {"daemon-reload"},
                     .doc = "systemctl daemon-reload first (after a unit file changed)"},
                    {.name = "daemon_reexec",
                     .type = ArgType::Bool,
                     .default_value = Value(false),
                     .aliases = {"daemon-reexec"},
                     .doc = "systemctl daemon-reexec first"},
                    {.name = "scope",
                     .type = ArgType::String,
                     .default_value = Value("system"),
                     .choices = {"system", "user", "global"},
                     .doc = "systemctl --user/--global"},
                    {.name = "no_block",
                     .type = ArgType::Bool,
                     .default_value = Value(false),
                     .doc = "systemctl --no-block"},
                },
            .required_one_of = {{"state", "enabled", "masked", "daemon_reload", "daemon_reexec"}},
        };
    }

    std::string m_name;
};

}  // namespace

std::unique_ptr<Module> make_systemd_module() { return std::make_unique<SystemdModule>("systemd"); }
std::unique_ptr<Module> make_systemd_service_module() { return std::make_unique<SystemdModule>("systemd_service"); }

}  // namespace upkeep
