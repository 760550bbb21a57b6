// user: a local account through useradd/usermod/userdel (ansible.builtin.user's
// Linux semantics: same arguments, same decisions, same results).
#include <optional>

#include "engine/module/module.hpp"
#include "engine/util/error.hpp"
#include "engine/util/strings.hpp"
#include "modules/account_exec.hpp"

namespace upkeep {

namespace {

// What `upkeep doc user` shows.
const char* const k_doc =
    "ansible.builtin.user on Linux: useradd (-m unless create_home: false; -N when a group of\n"
    "the user's name exists), usermod for uid, group, groups (append), comment, home\n"
    "(move_home), shell, password_lock; userdel (force, remove) for state: absent. password\n"
    "is a crypt hash, as in Ansible; it is set through `chpasswd -e` on stdin, never on a\n"
    "command line, and masked everywhere. Accounts are read from the host's /etc/passwd,\n"
    "/etc/shadow and /etc/group (local accounts). On a sandbox host the tools run with\n"
    "--prefix SANDBOX, so only the sandbox's files change.\n"
    "Not supported: expires, generate_ssh_key, SELinux seuser, macOS/BSD options.\n"
    "Example:\n"
    "  - user:\n"
    "      name: deploy\n"
    "      groups: [sudo, docker]\n"
    "      append: true\n"
    "      shell: /bin/bash";

// check() -> apply(): the account commands (the password hash only here, never in
// the plan's shown data) and the missing home directory to create.
struct UserPayload {
    AccountCommands commands{};
    std::optional<std::string> make_home{};  // the host path, when check() found it missing
};

class UserModule : public Module {
public:
    const ModuleSpec& spec() const override {
        static const ModuleSpec s{
            .name = "user",
            .summary = "Create, change or remove a local user account",
            .doc = k_doc,
            .args =
                {
                    {.name = "name",
                     .type = ArgType::String,
                     .required = true,
                     .aliases = {"user"},
                     .doc = "the account"},
                    {.name = "state",
                     .type = ArgType::String,
                     .default_value = Value("present"),
                     .choices = {"present", "absent"},
                     .doc = "absent removes it"},
                    {.name = "uid", .type = ArgType::Int, .doc = "user id"},
                    {.name = "non_unique",
                     .type = ArgType::Bool,
                     .default_value = Value(false),
                     .doc = "allow a uid already in use (-o)"},
                    {.name = "group", .type = ArgType::String, .doc = "primary group (name or gid)"},
                    {.name = "groups",
                     .type = ArgType::List,
                     .doc = "supplementary groups; [] removes all (unless append)"},
                    {.name = "append",
                     .type = ArgType::Bool,
                     .default_value = Value(false),
                     .doc = "add to groups instead of setting exactly them"},
                    {.name = "comment", .type = ArgType::String, .doc = "GECOS field"},
                    {.name = "home", .type = ArgType::Path, .doc = "home directory"},
                    {.name = "move_home",
                     .type = ArgType::Bool,
                     .default_value = Value(false),
                     .doc = "move the old home to the new one (usermod -m)"},
                    {.name = "shell", .type = ArgType::String, .doc = "login shell"},
                    {.name = "password",
                     .type = ArgType::String,
                     .secret = true,
                     .doc = "crypt hash (password_hash filter)"},
                    {.name = "update_password",
                     .type = ArgType::String,
                     .default_value = Value("always"),
                     .choices = {"always", "on_create"},
                     .doc = "on_create: set the password only for a new account"},
                    {.name = "password_lock",
                     .type = ArgType::Bool,
                     .doc = "lock (true) or unlock (false) the password"},
                    {.name = "create_home",
                     .type = ArgType::Bool,
                     .default_value = Value(true),
                     .aliases = {"createhome"},
                     .doc = "create the home directory"},
                    {.name = "skeleton", .type = ArgType::String, .doc = "skeleton directory (useradd -k)"},
                    {.name = "umask", .type = ArgType::String, .doc = "umask of the new home (useradd -K UMASK=)"},
                    {.name = "system",
                     .type = ArgType::Bool,
                     .default_value = Value(false),
                     .doc = "a system account (useradd -r)"},
                    {.name = "force", .type = ArgType::Bool, .default_value = Value(false), .doc = "userdel -f"},
                    {.name = "remove",
                     .type = ArgType::Bool,
                     .default_value = Value(false),
                     .doc = "userdel -r: remove home and mail spool"},
                    {.name = "local", .type = ArgType::Bool, .doc = "accepted; accounts are always local here"},
                },
        };
        return s;
    }

    Plan check(ModuleContext& ctx, const Args& args) const override {
        UserRequest r;
        r.name = args.str("name");
        r.present = args.str("state") == "present";
        if (args.has("uid")) r.uid = args.integer("uid");
        r.non_unique = args.flag("non_unique");
        r.group = args.opt_str("group");
        if (args.has("groups")) r.groups = args.strings("groups");
        r.append = args.flag("append");
        r.comment = args.opt_str("comment");
        r.home = args.opt_str("home");
        r.shell = args.opt_str("shell");
        r.password = args.opt_str("password");
        r.skeleton = args.opt_str("skeleton");
        r.umask = args.opt_str("umask");
        r.create_home = args.flag("create_home", true);
        r.move_home = args.flag("move_home");
        r.system = args.flag("system");
        r.force = args.flag("force");
        r.remove = args.flag("remove");
        r.update_password_always = args.str("update_password") == "always";
        if (args.has("password_lock")) r.password_lock = args.flag("password_lock");
        if (r.non_unique && !r.uid) throw TaskError(args.get("non_unique").mark(), "non_unique needs uid");

        AccountDb db = read_account_db(ctx.conn);
        AccountCommands cmds = plan_user(r, db);
        Plan plan;
        std::string target = "user " + r.name;
        for (const auto& w : cmds.what) plan.changes.push_back({target, w, {}, {}, false});
        const PasswdEntry* cur = db.user(r.name);
        std::optional<std::string> make_home;
        // An existing account whose home is missing gets it (Ansible's "missing homedirs"),
        // unless usermod -m moves the old home there.
        if (r.present && cur && r.create_home) {
            std::string home = r.home ? *r.home : cur->home;
            bool moved_there = r.move_home && home != cur->home && ctx.conn.stat(cur->home, true).exists();
            if (!home.empty() && !moved_there && !ctx.conn.stat(home, true).exists()) {
                plan.changes.push_back({home, "home directory created", {}, {}, false});
                make_home = home;
            }
        }
        plan.set_payload(UserPayload{.commands = std::move(cmds), .make_home = std::move(make_home)});
        plan.result["name"] = Value(r.name);
        plan.result["state"] = Value(args.str("state"));
        if (r.present) fill_result(plan.result, args, cur, db);
        if (r.password) plan.result["password"] = Value("NOT_LOGGING_PASSWORD");
        if (!r.present) {
            plan.result["force"] = Value(r.force);
            plan.result["remove"] = Value(r.remove);
        }
        std::vector<std::string> what;
        for (const auto& c : plan.changes) what.push_back(c.summary);
        plan.msg = plan.changed() ? join(what, ", ") : r.present ? "user " + r.name + " already as wanted"
                                                                 : "user " + r.name + " not present";
        return plan;
    }

    Value apply(ModuleContext& ctx, const Args& args, const Plan& plan) const override {
        std::string name = args.str("name");
        const auto& p = plan.payload<UserPayload>();
        run_account_commands(ctx.conn, p.commands, name);
        AccountDb db = read_account_db(ctx.conn);
        const PasswdEntry* u = db.user(name);
        if (p.make_home && u) {
            // /etc/skel copied (or an empty directory), then the user's, as Ansible's create_homedir.
            std::string home = ctx.conn.command_path(*p.make_home);
            Command c;
            // Only while it is still missing (Ansible looks again after usermod): cp -a into
            // an existing directory would nest the skeleton as home/skel.
            c.cmdline = "set -e; [ ! -e " + shell_quote(home) + " ] || exit 0; if [ -d " +
                        shell_quote(ctx.conn.command_path("/etc/skel")) + " ]; then cp -a " +
                        shell_quote(ctx.conn.command_path("/etc/skel")) + " " + shell_quote(home) + "; else mkdir -p " +
                        shell_quote(home) + "; fi; chown -R " + std::to_string(u->uid) + ":" + std::to_string(u->gid) +
                        " " + shell_quote(home);
            CommandResult r = ctx.conn.run(c);
            if (r.executed && r.rc != 0) throw TaskError("creating the home directory failed: " + trim(r.err));
        }
        Value out;
        if (args.str("state") == "present") fill_result(out, args, u, db);
        return out;
    }

private:
    static void fill_result(Value& out, const Args& args, const PasswdEntry* u, const AccountDb& db) {
        (void)db;
        if (u) {
            out["uid"] = Value(static_cast<int64_t>(u->uid));
            out["group"] = Value(static_cast<int64_t>(u->gid));
            out["comment"] = Value(u->gecos);
            out["home"] = Value(u->home);
            out["shell"] = Value(u->shell);
        }
        if (args.has("groups")) out["groups"] = Value(join(args.strings("groups"), ","));
        out["system"] = Value(args.flag("system"));
        out["create_home"] = Value(args.flag("create_home", true));
        out["append"] = Value(args.flag("append"));
        out["move_home"] = Value(args.flag("move_home"));
    }
};

}  // namespace

std::unique_ptr<Module> make_user_module() { return std::make_unique<UserModule>(); }

}  // namespace upkeep
