// service: starts, stops, restarts or reloads a service and enables it at boot,
// with systemd when the host runs it and SysV init scripts otherwise (Ansible's service).
#include "engine/module/module.hpp"
#include "engine/module/host_query.hpp"
#include "engine/util/error.hpp"
#include "engine/util/strings.hpp"

namespace upkeep {

namespace {

bool has_tool(Connection& conn, const std::string& tool) {
    return query(conn, "command -v " + shell_quote(tool) + " >/dev/null 2>&1").rc == 0;
}

// One service manager: how to ask and how to act.
struct Manager {
    bool systemd = false;

    bool running(Connection& conn, const std::string& name) const {
        if (systemd) return query(conn, "systemctl is-active --quiet " + shell_quote(name)).rc == 0;
        return query(conn, "service " + shell_quote(name) + " status >/dev/null 2>&1").rc == 0;
    }

    bool enabled(Connection& conn, const std::string& name) const {
        if (systemd) return query(conn, "systemctl is-enabled --quiet " + shell_quote(name)).rc == 0;
        if (has_tool(conn, "chkconfig") && !has_tool(conn, "update-rc.d"))
            return query(conn, "chkconfig " + shell_quote(name)).rc == 0;
        // SysV: a start link in any multi-user runlevel means enabled.
        for (const char* rl : {"2", "3", "4", "5"}) {
            std::string dir = std::string("/etc/rc") + rl + ".d";
            for (const auto& entry : conn.list_dir(dir))
                if (entry.size() == name.size() + 3 && entry[0] == 'S' && entry.substr(3) == name) return true;
        }
        return false;
    }

    std::string action(const std::string& verb, const std::string& name) const {
        if (systemd) return "systemctl " + verb + " " + shell_quote(name);
        return "service " + shell_quote(name) + " " + verb;
    }

    std::string enable(Connection& conn, const std::string& name, bool on) const {
        std::string q = shell_quote(name);
        if (systemd) return std::string("systemctl ") + (on ? "enable " : "disable ") + q;
        if (has_tool(conn, "update-rc.d"))
            return on ? "update-rc.d " + q + " defaults && update-rc.d " + q + " enable" : "update-rc.d " + q + " disable";
        if (has_tool(conn, "chkconfig")) return "chkconfig " + q + (on ? " on" : " off");
        throw TaskError("cannot " + std::string(on ? "enable " : "disable ") + name +
                        ": neither systemctl, update-rc.d nor chkconfig is available");
    }
};

// check() -> apply(): the init system's command lines to run, in order, and
// whether the service runs afterwards (for the dry-run overlay), when the task has a state.
struct ServicePayload {
    std::vector<std::string> commands{};
    std::optional<bool> running_after{};
};

class ServiceModule : public Module {
public:
    const ModuleSpec& spec() const override {
        static const ModuleSpec s{
            .name = "service",
            .summary = "Start, stop, restart or reload a service; enable it at boot",
            .doc =
                "Uses systemd when /run/systemd/system exists, else SysV init scripts (service, update-rc.d\n"
                "or chkconfig). restarted and reloaded always count as a change.\n"
                "Example:\n"
                "  - service: name=cloudstack-agent state=restarted enabled=yes",
            .args =
                {
                    {.name = "name",
                     .type = ArgType::String,
                     .required = true,
                     .aliases = {"service"},
                     .doc = "the service"},
                    {.name = "state",
                     .type = ArgType::String,
                     .choices = {"started", "stopped", "restarted", "reloaded"},
                     .doc = "what to do"},
                    {.name = "enabled", .type = ArgType::Bool, .doc = "start at boot"},
                },
            .required_one_of = {{"state", "enabled"}},
        };
        return s;
    }

    Plan check(ModuleContext& ctx, const Args& args) const override {
        Manager m;
        m.systemd = ctx.conn.stat("/run/systemd/system", true).is_dir();
        std::string name = args.str("name");
        std::string target = "service " + name;
        Plan plan;
        ServicePayload payload;
        std::vector<std::string> why;
        if (args.has("state")) {
            std::string state = args.str("state");
            // In a dry run an earlier task may have planned this service's stop or
            // start; the overlay knows, the host does not.
            std::optional<bool> planned = ctx.conn.planned_service_running(name);
            bool running = planned ? *planned : m.running(ctx.conn, name);
            plan.result["status"] = Value(running ? "running" : "stopped");
            auto act = [&](const std::string& verb, const std::string& summary) {
                payload.commands.push_back(m.action(verb, name));
                plan.changes.push_back({target, summary, {}, {}, false});
            };
            if (state == "started") {
                if (running) why.push_back("already running");
                else act("start", "would start");
            } else if (state == "stopped") {
                if (!running) why.push_back("already stopped");
                else act("stop", "would stop");
            } else if (state == "restarted") {
                act(running ? "restart" : "start", "would restart");
            } else {
                act(running ? "reload" : "start", running ? "would reload" : "would start");
            }
            plan.result["state"] = Value(state);
            // restarted and reloaded are actions, not states: a check after them plans
            // them again, so --verify-convergence must not hold them to converging.
            plan.unpredictable = plan.changed() && (state == "restarted" || state == "reloaded");
        }
        if (args.has("enabled")) {
            bool want = args.flag("enabled");
            bool is = m.enabled(ctx.conn, name);
            if (is == want) {
                why.push_back(want ? "already enabled" : "already disabled");
            } else {
                payload.commands.push_back(m.enable(ctx.conn, name, want));
                plan.changes.push_back({target, want ? "would enable" : "would disable", {}, {}, false});
            }
            plan.result["enabled"] = Value(want);
        }
        plan.result["name"] = Value(name);
        if (args.has("state")) payload.running_after = args.str("state") != "stopped";
        plan.set_payload(std::move(payload));
        std::vector<std::string> summaries;
        for (const auto& c : plan.changes) summaries.push_back(c.summary);
        plan.msg = plan.changed() ? join(summaries, ", ") : join(why, ", ");
        return plan;
    }

    Value apply(ModuleContext& ctx, const Args& args, const Plan& plan) const override {
        const auto& p = plan.payload<ServicePayload>();
        Value out;
        for (const auto& c : p.commands) {
            Command cmd;
            cmd.cmdline = c;
            CommandResult r = ctx.conn.run(cmd);
            if (!r.executed) {
                out["skipped_run"] = Value(true);
                continue;
            }
            if (r.rc != 0)
                throw TaskError(cmd.cmdline + " failed (rc " + std::to_string(r.rc) + "): " +
                                trim(r.err.empty() ? r.out : r.err));
        }
        if (p.running_after) ctx.conn.note_service_state(args.str("name"), *p.running_after);
        out["name"] = Value(args.str("name"));
        return out;
    }
};

}  // namespace

std::unique_ptr<Module> make_service_module() { return std::make_unique<ServiceModule>(); }

}  // namespace upkeep
