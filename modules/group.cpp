// group: a local group through groupadd/groupmod/groupdel (ansible.builtin.group).
#include "engine/module/module.hpp"
#include "engine/util/error.hpp"
#include "engine/util/strings.hpp"
#include "modules/account_exec.hpp"

namespace upkeep {

namespace {

// check() -> apply(): the groupadd/groupmod/groupdel commands check() planned.
struct GroupPayload {
    AccountCommands commands{};
};

class GroupModule : public Module {
public:
    const ModuleSpec& spec() const override {
        static const ModuleSpec s{
            .name = "group",
            .summary = "Create, change the gid of, or remove a local group",
            .doc =
                "ansible.builtin.group: groupadd (-g gid, -o with non_unique, -r for system), groupmod -g\n"
                "when the gid differs, groupdel for state: absent. Groups are read from the host's\n"
                "/etc/group; on a sandbox host the tools run with --prefix SANDBOX.\n"
                "Example:\n"
                "  - group: name=docker gid=998 system=true",
            .args =
                {
                    {.name = "name", .type = ArgType::String, .required = true, .doc = "the group"},
                    {.name = "state",
                     .type = ArgType::String,
                     .default_value = Value("present"),
                     .choices = {"present", "absent"},
                     .doc = "absent removes it"},
                    {.name = "gid", .type = ArgType::Int, .doc = "group id"},
                    {.name = "system",
                     .type = ArgType::Bool,
                     .default_value = Value(false),
                     .doc = "a system group (groupadd -r)"},
                    {.name = "non_unique",
                     .type = ArgType::Bool,
                     .default_value = Value(false),
                     .doc = "allow a gid already in use (-o)"},
                    {.name = "local",
                     .type = ArgType::Bool,
                     .default_value = Value(false),
                     .doc = "accepted; groups are always local here"},
                },
        };
        return s;
    }

    Plan check(ModuleContext& ctx, const Args& args) const override {
        GroupRequest r;
        r.name = args.str("name");
        r.present = args.str("state") == "present";
        if (args.has("gid")) r.gid = args.integer("gid");
        r.system = args.flag("system");
        r.non_unique = args.flag("non_unique");
        if (r.non_unique && !r.gid) throw TaskError(args.get("non_unique").mark(), "non_unique is True but all of the following are missing: gid");
        AccountDb db = read_account_db(ctx.conn);
        AccountCommands cmds = plan_group(r, db);
        Plan plan;
        for (const auto& w : cmds.what) plan.changes.push_back({"group " + r.name, w, {}, {}, false});
        plan.set_payload(GroupPayload{.commands = cmds});
        plan.result["name"] = Value(r.name);
        plan.result["state"] = Value(args.str("state"));
        if (r.present) {
            plan.result["system"] = Value(r.system);
            if (const GroupEntry* g = db.group(r.name); g && g->name == r.name) plan.result["gid"] = Value(static_cast<int64_t>(g->gid));
        }
        plan.msg = plan.changed() ? join(cmds.what, ", ") : r.present ? "group " + r.name + " already as wanted"
                                                                      : "group " + r.name + " not present";
        return plan;
    }

    Value apply(ModuleContext& ctx, const Args& args, const Plan& plan) const override {
        run_account_commands(ctx.conn, plan.payload<GroupPayload>().commands, "");
        Value out;
        if (args.str("state") == "present") {
            AccountDb db = read_account_db(ctx.conn);
            for (const auto& g : db.groups)
                if (g.name == args.str("name")) out["gid"] = Value(static_cast<int64_t>(g.gid));
        }
        return out;
    }
};

}  // namespace

std::unique_ptr<Module> make_group_module() { return std::make_unique<GroupModule>(); }

}  // namespace upkeep
