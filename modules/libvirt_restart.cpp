// libvirt_restart: restarts the host's libvirt daemon and proves it came back.
// Before the restart it records the daemon's running domains through the libvirt
// C API; it restarts (systemd, SysV or a given command), waits until the
// connection opened before the restart is dropped and a new one answers, and
// fails if a domain that was running is gone. Without a URI (a sandbox host, or
// verify: false) it only restarts and says so in the result.
#include <chrono>
#include <set>
#include <thread>

#include "engine/util/error.hpp"
#include "engine/util/strings.hpp"
#include "modules/libvirt_common.hpp"

namespace upkeep {

namespace {

using Clock = std::chrono::steady_clock;

std::string restart_command(ModuleContext& ctx, const Args& args) {
    std::string method = args.str("method", "auto");
    std::string name = shell_quote(args.str("name", "libvirtd"));
    if (method == "command") return args.str("command");
    if (method == "auto") method = ctx.conn.stat("/run/systemd/system", true).is_dir() ? "systemd" : "sysv";
    if (method == "systemd") return "systemctl restart " + name;
    return "service " + name + " restart";
}

std::string names(const std::vector<LibvirtDomain>& ds) {
    std::vector<std::string> n;
    for (const auto& d : ds) n.push_back(d.name);
    return n.empty() ? "none" : join(n, ", ");
}

void sleep_ms(int ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }

// check() -> apply(): the restart command line and the URI that verifies the
// daemon through the API ("" when the restart goes unverified).
struct LibvirtRestartPayload {
    std::string command{};
    std::string uri{};          // "" when the restart is not verified through the API...
    std::string unverified{};   // ...and why ("without API verification (verify: false)")
};

class LibvirtRestartModule : public Module {
public:
    const ModuleSpec& spec() const override {
        static const ModuleSpec s{
            .name = "libvirt_restart",
            .summary = "Restart libvirtd and verify through the libvirt API that it answers with every running domain",
            .doc =
                "Records the running domains through the libvirt C API, restarts the daemon, waits until the\n"
                "connection opened before the restart drops and a new one answers (up to `timeout`\n"
                "seconds), and fails if a domain that was running is gone. The URI is `uri`, else the host\n"
                "variable libvirt_uri, else qemu:///system (local host) or\n"
                "qemu+libssh://USER@HOST:PORT/system?keyfile=...&known_hosts=... (SSH host, from the\n"
                "inventory). A sandbox host, or verify: false, is restarted through the service only and\n"
                "the result says verified: false. method auto uses systemd when /run/systemd/system exists,\n"
                "else `service NAME restart`; method command runs `command`. A restart always counts as a change.\n"
                "Example (the KVM seed's handler):\n"
                "  - libvirt_restart:\n"
                "      name: libvirtd",
            .args =
                {
                    {.name = "name",
                     .type = ArgType::String,
                     .default_value = Value("libvirtd"),
                     .aliases = {"service"},
                     .doc = "the daemon's service name"},
                    {.name = "uri", .type = ArgType::String, .doc = "libvirt connection URI"},
                    {.name = "verify",
                     .type = ArgType::Bool,
                     .default_value = Value(true),
                     .doc = "check the daemon through the API"},
                    {.name = "method",
                     .type = ArgType::String,
                     .default_value = Value("auto"),
                     .choices = {"auto", "systemd", "sysv", "command"},
                     .doc = "how to restart"},
                    {.name = "command", .type = ArgType::String, .doc = "restart command line for method: command"},
                    {.name = "timeout",
                     .type = ArgType::Int,
                     .default_value = Value(int64_t{60}),
                     .doc = "seconds to wait for the daemon to answer again"},
                },
        };
        return s;
    }

    Plan check(ModuleContext& ctx, const Args& args) const override {
        if (args.str("method") == "command" && args.str("command").empty())
            throw TaskError("method: command needs `command` (the restart command line)");
        Plan plan;
        std::string name = args.str("name", "libvirtd");
        LibvirtRestartPayload payload{.command = restart_command(ctx, args)};
        std::string how = "would restart";
        if (args.flag("verify", true)) {
            LibvirtTarget t = libvirt_target_for(ctx, args);
            if (t.uri) {
                payload.uri = *t.uri;
                plan.result["uri"] = Value(*t.uri);
                // Read-only: what the restart must keep. A daemon that is down now is
                // not an error here: the restart starts it, and apply() verifies that.
                try {
                    LibvirtClient c(*t.uri);
                    auto running = active_domains(c.domains());
                    plan.result["libvirt_version"] = Value(c.lib_version());
                    plan.result["running_domains"] = domains_value(running);
                    how += ", then verify " + std::to_string(running.size()) + " running domain(s) (" +
                           names(running) + ")";
                } catch (const TaskError& e) {
                    how += " (libvirt does not answer now: " + std::string(e.what()) + ")";
                }
            } else {
                plan.result["verified"] = Value(false);
                payload.unverified = "without API verification: " + t.why_none;
            }
        } else {
            payload.unverified = "without API verification (verify: false)";
        }
        if (!payload.unverified.empty()) how += " " + payload.unverified;
        plan.set_payload(std::move(payload));
        plan.changes.push_back({"service " + name, how, {}, {}, false});
        plan.msg = how;
        plan.result["name"] = Value(name);
        // A restart is an action, not a state: the next check plans it again.
        plan.unpredictable = true;
        return plan;
    }

    Value apply(ModuleContext& ctx, const Args& args, const Plan& plan) const override {
        const auto& p = plan.payload<LibvirtRestartPayload>();
        const std::string& uri = p.uri;
        Value out;
        out["name"] = Value(args.str("name", "libvirtd"));
        // The connection opened before the restart: when it stops answering, the
        // old daemon is gone (so an init script that returns early cannot fool us).
        std::unique_ptr<LibvirtClient> before;
        std::vector<LibvirtDomain> running;
        if (!uri.empty()) {
            try {
                before = std::make_unique<LibvirtClient>(uri);
                running = active_domains(before->domains());
            } catch (const TaskError&) {
                before.reset();  // down before the restart: nothing running to lose through it
            }
        }
        Command cmd;
        cmd.cmdline = p.command;
        CommandResult r = ctx.conn.run(cmd);
        if (!r.executed) {
            out["skipped_run"] = Value(true);
            return out;
        }
        if (r.rc != 0)
            throw TaskError(cmd.cmdline + " failed (rc " + std::to_string(r.rc) + "): " +
                            trim(r.err.empty() ? r.out : r.err));
        out["restarted"] = Value(true);
        if (uri.empty()) {
            out["verified"] = Value(false);
            out["msg"] = Value("restarted; " + p.unverified);
            return out;
        }
        auto start = Clock::now();
        auto deadline = start + std::chrono::seconds(args.integer("timeout", 60));
        if (before) wait_until_old_daemon_gone(*before, uri, cmd.cmdline, deadline);
        before.reset();
        std::unique_ptr<LibvirtClient> after = connect_when_answering(uri, deadline, args.integer("timeout", 60));
        report_domains_kept(out, running, *after, std::chrono::duration<double>(Clock::now() - start).count());
        return out;
    }

private:
    // The connection opened before the restart stops answering once the old daemon
    // is gone; still answering at the deadline means the restart did not happen.
    static void wait_until_old_daemon_gone(LibvirtClient& before, const std::string& uri, const std::string& cmdline,
                                           Clock::time_point deadline) {
        while (before.answers()) {
            if (Clock::now() > deadline)
                throw TaskError("`" + cmdline + "` returned but the libvirt daemon at " + uri +
                                " still answers on the connection opened before it: it did not restart");
            sleep_ms(100);
        }
    }

    // A new connection, retried until the new daemon answers or the deadline passes.
    static std::unique_ptr<LibvirtClient> connect_when_answering(const std::string& uri, Clock::time_point deadline,
                                                                 int64_t timeout) {
        std::string last_error;
        for (;;) {
            try {
                auto c = std::make_unique<LibvirtClient>(uri);
                c->lib_version();
                return c;
            } catch (const TaskError& e) {
                last_error = e.what();
                if (Clock::now() > deadline)
                    throw TaskError("libvirtd did not answer within " + std::to_string(timeout) +
                                    " s after the restart: " + last_error);
                sleep_ms(200);
            }
        }
    }

    // The result: the domains running before and after; any that was running before
    // and is gone now fails the task.
    static void report_domains_kept(Value& out, const std::vector<LibvirtDomain>& running, LibvirtClient& after,
                                    double waited) {
        auto now_running = active_domains(after.domains());
        std::set<std::string> alive;
        for (const auto& d : now_running) alive.insert(d.uuid);
        std::vector<LibvirtDomain> lost;
        for (const auto& d : running)
            if (!alive.count(d.uuid)) lost.push_back(d);
        out["verified"] = Value(true);
        out["libvirt_version"] = Value(after.lib_version());
        out["running_domains_before"] = domains_value(running);
        out["running_domains"] = domains_value(now_running);
        out["wait_seconds"] = Value(static_cast<double>(static_cast<int64_t>(waited * 1000)) / 1000.0);
        if (!lost.empty()) {
            out["lost_domains"] = domains_value(lost);
            throw TaskError("libvirtd restarted and answers again, but " + std::to_string(lost.size()) +
                                " domain(s) that were running are gone: " + names(lost),
                            out);
        }
        out["msg"] = Value("libvirtd " + out.get("libvirt_version").as_string() + " answers again after " +
                           fmt_seconds(waited) + ", " + std::to_string(running.size()) +
                           " running domain(s) kept (" + names(running) + ")");
    }

    static std::string fmt_seconds(double s) {
        char buf[32];
        std::snprintf(buf, sizeof buf, "%.1f s", s);
        return buf;
    }
};

}  // namespace

std::unique_ptr<Module> make_libvirt_restart_module() { return std::make_unique<LibvirtRestartModule>(); }

}  // namespace upkeep
