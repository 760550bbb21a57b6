// reboot: reboots the host and waits until it is back, like ansible.builtin.reboot:
// the seeds' "If the update upgraded any kernel packages, reboot the system" (oVirt
// engine) and "After the update, the host is rebooted" (oVirt hosts).
//
// "Back" means: the host answers again AND its boot id changed (the kernel's
// /proc/sys/kernel/random/boot_id is new on every boot), so a host that never went
// down is not mistaken for one that came back. A reboot is an action, not a
// state: the task always plans it (guard it with `when:`, e.g. on
// needs-restarting -r), and the dry run says "would reboot" and waits for nothing.
#include <chrono>
#include <thread>

#include "engine/module/module.hpp"
#include "engine/util/error.hpp"
#include "engine/util/strings.hpp"

namespace upkeep {
namespace {

// The boot id, or "" when the host cannot be asked right now (going down, sshd
// not up yet): the caller retries until its deadline.
std::string boot_id(Connection& conn, const std::string& path) {
    try {
        auto id = conn.read_file(path);
        return id ? trim(*id) : "";
    } catch (const ConnectionError&) {
        conn.close();
        return "";
    } catch (const TaskError&) {
        return "";
    }
}

// check() -> apply(): the boot id before the reboot; a different one means the host came back.
struct RebootPayload {
    std::string boot_id{};
};

class RebootModule : public Module {
public:
    const ModuleSpec& spec() const override {
        static const ModuleSpec s{
            .name = "reboot",
            .summary = "Reboot the host and wait until it is back with a new boot id",
            .doc =
                "Reads the boot id (boot_id_path), runs reboot_command (detached, so the connection may\n"
                "drop under it), then reconnects every second until the boot id differs and test_command\n"
                "succeeds, or fails after reboot_timeout seconds. Always a change when it runs: guard it\n"
                "with `when:` (the seeds reboot only when the update changed the kernel). In a dry run\n"
                "it plans 'would reboot' and does not wait.\n"
                "Example (oVirt 4.3 engine: reboot when needs-restarting -r says so):\n"
                "  - command: needs-restarting -r\n"
                "    register: reboot_check\n"
                "    changed_when: false\n"
                "    failed_when: reboot_check.rc not in [0, 1]\n"
                "  - reboot:\n"
                "      reboot_timeout: 900\n"
                "    when: reboot_check.rc == 1",
            .args =
                {
                    {.name = "reboot_command",
                     .type = ArgType::String,
                     .default_value = Value("shutdown -r now"),
                     .doc = "the command that reboots the host"},
                    {.name = "reboot_timeout",
                     .type = ArgType::Int,
                     .default_value = Value(600),
                     .doc = "seconds to wait for the host to come back"},
                    {.name = "boot_id_path",
                     .type = ArgType::Path,
                     .default_value = Value("/proc/sys/kernel/random/boot_id"),
                     .doc = "file holding the boot id"},
                    {.name = "test_command",
                     .type = ArgType::String,
                     .default_value = Value("true"),
                     .doc = "must succeed before the host counts as back (e.g. systemctl is-system-running)"},
                    {.name = "msg",
                     .type = ArgType::String,
                     .default_value = Value("Reboot initiated by upkeep"),
                     .doc = "logged on the host before the reboot"},
                },
        };
        return s;
    }

    Plan check(ModuleContext& ctx, const Args& args) const override {
        std::string path = args.str("boot_id_path");
        Plan plan;
        std::string id = boot_id(ctx.conn, path);
        if (id.empty()) throw TaskError("reboot: cannot read the boot id from " + path + " on " + ctx.conn.host_name());
        plan.set_payload(RebootPayload{.boot_id = id});
        plan.result["boot_id_before"] = Value(id);
        plan.changes.push_back({"host " + ctx.conn.host_name(), "would reboot", {}, {}, false});
        plan.msg = "would reboot (" + args.str("reboot_command") + ") and wait up to " +
                   std::to_string(args.integer("reboot_timeout")) + " s for a new boot id";
        // An action: a check after it plans it again, like service restarted.
        plan.unpredictable = true;
        return plan;
    }

    Value apply(ModuleContext& ctx, const Args& args, const Plan& plan) const override {
        using Clock = std::chrono::steady_clock;
        std::string path = args.str("boot_id_path");
        const std::string& before = plan.payload<RebootPayload>().boot_id;
        Command c;
        // Detached and delayed a little, so the command returns before the host goes down
        // and the connection does not die mid-call.
        c.cmdline = "logger -t upkeep " + shell_quote(args.str("msg")) + " 2>/dev/null; (sleep 1; " +
                    args.str("reboot_command") + ") >/dev/null 2>&1 </dev/null &";
        Value out;
        auto start = Clock::now();
        try {
            CommandResult r = ctx.conn.run(c);
            if (!r.executed) return out;
            if (r.rc != 0) throw TaskError("reboot: '" + args.str("reboot_command") + "' failed (rc " +
                                           std::to_string(r.rc) + "): " + trim(r.err));
        } catch (const ConnectionError&) {
            ctx.conn.close();  // the host went down under us: expected
        }
        auto deadline = start + std::chrono::seconds(args.integer("reboot_timeout"));
        std::string last_error;
        while (Clock::now() < deadline) {
            std::this_thread::sleep_for(std::chrono::milliseconds(500));
            std::string now = boot_id(ctx.conn, path);
            if (now.empty() || now == before) continue;
            Command t;
            t.cmdline = args.str("test_command");
            t.mutating = false;
            try {
                CommandResult tr = ctx.conn.run(t);
                if (tr.rc == 0) {
                    out["boot_id"] = Value(now);
                    out["elapsed"] = Value(static_cast<int64_t>(
                        std::chrono::duration_cast<std::chrono::seconds>(Clock::now() - start).count()));
                    out["rebooted"] = Value(true);
                    return out;
                }
                last_error = "test_command rc " + std::to_string(tr.rc) + ": " + trim(tr.err);
            } catch (const ConnectionError& e) {
                ctx.conn.close();
                last_error = e.what();
            }
        }
        throw TaskError("reboot: " + ctx.conn.host_name() + " did not come back with a new boot id within " +
                        std::to_string(args.integer("reboot_timeout")) + " s" +
                        (last_error.empty() ? "" : " (last: " + last_error + ")"));
    }
};

}  // namespace

std::unique_ptr<Module> make_reboot_module() { return std::make_unique<RebootModule>(); }

}  // namespace upkeep
