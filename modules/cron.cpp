// cron: a job or variable in a user's crontab or in a /etc/cron.d file
// (ansible.builtin.cron: same arguments, "#Ansible: <name>" markers, same results).
#include <ctime>

#include "engine/module/module.hpp"
#include "engine/util/error.hpp"
#include "engine/util/py_regex.hpp"
#include "engine/util/strings.hpp"
#include "modules/formats/crontab.hpp"

namespace upkeep {

namespace {

std::string crontab_cmd(const std::optional<std::string>& user) {
    return user ? "crontab -u " + shell_quote(*user) : std::string("crontab");
}

std::string base_name(const std::string& p) {
    size_t s = p.find_last_of('/');
    return s == std::string::npos ? p : p.substr(s + 1);
}

// check() -> apply(): the table as read (for the backup) and as it will be.
struct CronPayload {
    SharedText existing = {};                // the crontab or cron_file before
    std::optional<std::string> file = std::nullopt;  // cron_file's path; none = the user's crontab
    bool remove_file = false;                // cron_file: its last job goes, so the file does
    SharedText content = {};                 // the whole new table (none when unchanged)
};

// The crontab as it was, kept in /tmp (Ansible keeps a mkstemp "crontab*" file there).
// Written through the connection, so a dry run only plans it.
std::string write_backup(ModuleContext& ctx, const CronPayload& plan, const std::optional<std::string>& user) {
    std::string base = "/tmp/crontab." + (user ? *user : std::string("self")) + "." + std::to_string(::time(nullptr));
    std::string path = base + "~";
    for (int n = 1; ctx.conn.stat(path, false).exists(); ++n) path = base + "." + std::to_string(n) + "~";
    WriteOptions o;
    o.mode = 0600;
    ctx.conn.write_shared(path, plan.existing, o);
    return path;
}

class CronModule : public Module {
public:
    const ModuleSpec& spec() const override {
        static const ModuleSpec s{
            .name = "cron",
            .summary = "Manage a cron job or variable in a user's crontab or a /etc/cron.d file",
            .doc =
                "ansible.builtin.cron: each job sits under a '#Ansible: <name>' line, so crontabs written\n"
                "by Ansible roles stay managed (and the other way round). A user's crontab is read with\n"
                "`crontab -l` and installed with `crontab FILE` (-u USER when user is given); cron_file\n"
                "(a name under /etc/cron.d, or an absolute path) is edited directly, needs user, and is\n"
                "deleted when its last job is removed. env: true manages NAME=\"job\" lines instead.\n"
                "Example:\n"
                "  - cron:\n"
                "      name: rotate exports\n"
                "      minute: '15'\n"
                "      hour: '3'\n"
                "      user: root\n"
                "      job: /usr/local/bin/rotate-exports\n"
                "      cron_file: rotate-exports",
            .args =
                {
                    {.name = "name",
                     .type = ArgType::String,
                     .required = true,
                     .doc = "the job's name (its '#Ansible: ' marker) or the variable"},
                    {.name = "user",
                     .type = ArgType::String,
                     .doc = "whose crontab; the user field of a cron_file line"},
                    {.name = "job",
                     .type = ArgType::String,
                     .aliases = {"value"},
                     .doc = "the command (env: the variable's value)"},
                    {.name = "cron_file",
                     .type = ArgType::Path,
                     .doc = "a file under /etc/cron.d (or absolute path) instead of a user's crontab"},
                    {.name = "state",
                     .type = ArgType::String,
                     .default_value = Value("present"),
                     .choices = {"present", "absent"},
                     .doc = "absent removes it"},
                    {.name = "backup",
                     .type = ArgType::Bool,
                     .default_value = Value(false),
                     .doc = "keep a copy of the crontab before changing it"},
                    {.name = "minute", .type = ArgType::String, .default_value = Value("*"), .doc = "minute field"},
                    {.name = "hour", .type = ArgType::String, .default_value = Value("*"), .doc = "hour field"},
                    {.name = "day",
                     .type = ArgType::String,
                     .default_value = Value("*"),
                     .aliases = {"dom"},
                     .doc = "day of month field"},
                    {.name = "month", .type = ArgType::String, .default_value = Value("*"), .doc = "month field"},
                    {.name = "weekday",
                     .type = ArgType::String,
                     .default_value = Value("*"),
                     .aliases = {"dow"},
                     .doc = "day of week field"},
                    {.name = "special_time",
                     .type = ArgType::String,
                     .choices = {"reboot", "yearly", "annually", "monthly", "weekly", "daily", "hourly"},
                     .doc = "@reboot, @daily... instead of the time fields"},
                    {.name = "disabled",
                     .type = ArgType::Bool,
                     .default_value = Value(false),
                     .doc = "write the job commented out"},
                    {.name = "env",
                     .type = ArgType::Bool,
                     .default_value = Value(false),
                     .doc = "manage an environment variable line"},
                    {.name = "insertafter", .type = ArgType::String, .doc = "env: put a new variable after this one"},
                    {.name = "insertbefore", .type = ArgType::String, .doc = "env: put a new variable before this one"},
                },
            .mutually_exclusive = {{"insertafter", "insertbefore"}},
        };
        return s;
    }

    Plan check(ModuleContext& ctx, const Args& args) const override {
        CronRequest req;
        req.name = args.str("name");
        req.job = args.opt_str("job");
        req.present = args.str("state") == "present";
        req.user = args.opt_str("user");
        req.minute = args.str("minute");
        req.hour = args.str("hour");
        req.day = args.str("day");
        req.month = args.str("month");
        req.weekday = args.str("weekday");
        req.special_time = args.opt_str("special_time");
        req.disabled = args.flag("disabled");
        req.env = args.flag("env");
        req.insertafter = args.opt_str("insertafter");
        req.insertbefore = args.opt_str("insertbefore");
        Plan plan;
        List warnings;
        std::string target, raw;
        std::optional<std::string> file;
        if (args.has("cron_file")) {
            std::string f = args.str("cron_file");
            if (f == "/etc/crontab") throw TaskError("Will not manage /etc/crontab via cron_file, see documentation.");
            static const PyRegex good = compile_py_regex("^[A-Z0-9_-]+$", PyRegexFlags{false, false, true});
            std::string base = base_name(f);
            if (!py_search(good, base))
                warnings.push_back(Value("Filename portion of cron_file (\"" + base +
                                         "\") should consist solely of upper- and lower-case letters, digits, "
                                         "underscores, and hyphens"));
            file = f.empty() || f[0] != '/' ? "/etc/cron.d/" + f : f;
            req.cron_file = true;
            target = *file;
            FileInfo info = ctx.conn.stat(*file, true);
            if (info.is_dir()) throw TaskError(*file + " is a directory");
            if (info.is_file()) raw = ctx.conn.read_file(*file).value_or("");
            plan.result["cron_file"] = Value(f);
        } else {
            target = req.user ? "crontab for user \"" + *req.user + "\"" : std::string("crontab");
            Command c;
            c.cmdline = crontab_cmd(req.user) + " -l";
            c.mutating = false;
            CommandResult r = ctx.conn.run(c);
            // rc 1 is "no crontab for <user>".
            if (r.rc != 0 && r.rc != 1) throw TaskError("Unable to read crontab: " + trim(r.err));
            raw = r.rc == 0 ? r.out : "";
        }
        std::string existing = crontab_existing(raw, !file);
        CronOutcome out = cron_edit(existing, req);
        for (auto& w : out.warnings) warnings.push_back(Value(w));
        plan.result["state"] = Value(args.str("state"));
        if (!warnings.empty()) plan.result["warnings"] = Value(std::move(warnings));
        CronPayload payload{.existing = SharedText(existing), .file = file};
        std::string what = req.env ? "variable " + req.name : "job \"" + req.name + "\"";
        if (out.remove_file) {
            // Ansible reports a change only when the file is there to delete.
            if (ctx.conn.stat(*file, false).exists())
                plan.changes.push_back({*file, "last job removed: file deleted", payload.existing, std::string(), false});
            payload.remove_file = true;
            plan.set_payload(std::move(payload));
            plan.msg = plan.changed() ? what + " removed, " + *file + " deleted" : *file + " already absent";
            return plan;
        }
        List jobs, envs;
        for (auto& j : out.jobs) jobs.push_back(Value(j));
        for (auto& e : out.envs) envs.push_back(Value(e));
        plan.result["jobs"] = Value(std::move(jobs));
        plan.result["envs"] = Value(std::move(envs));
        if (out.changed) {
            std::string summary = req.present ? what + " set" : what + " removed";
            payload.content = SharedText(std::move(out.content));
            plan.changes.push_back({target, summary, payload.existing, payload.content, false});
            plan.msg = summary;
        } else {
            plan.msg = req.present ? what + " already as wanted" : what + " not present";
        }
        plan.set_payload(std::move(payload));
        return plan;
    }

    Value apply(ModuleContext& ctx, const Args& args, const Plan& plan) const override {
        Value out;
        std::optional<std::string> user = args.opt_str("user");
        bool backup = args.flag("backup");
        const auto& p = plan.payload<CronPayload>();
        if (p.file) {
            const std::string& file = *p.file;
            if (p.remove_file) {
                if (backup) out["backup_file"] = Value(write_backup(ctx, p, user));
                ctx.conn.remove(file, false);
                return out;
            }
            WriteOptions opts;
            opts.backup = backup;  // the old file beside it, Ansible's <path>.<pid>.<time>~ naming
            WriteResult w = ctx.conn.write_shared(file, p.content, opts);
            if (!w.backup_path.empty()) out["backup_file"] = Value(w.backup_path);
            return out;
        }
        if (backup) out["backup_file"] = Value(write_backup(ctx, p, user));
        // `crontab FILE` installs the whole table (cron's own checks run, the daemon is told).
        std::string tmp = ctx.conn.write_temp_file("/tmp", p.content.or_empty());
        Command c;
        c.cmdline = crontab_cmd(user) + " " + shell_quote(ctx.conn.command_path(tmp));
        CommandResult r;
        try {
            r = ctx.conn.run(c);
        } catch (...) {
            ctx.conn.remove_temp_file(tmp);
            throw;
        }
        ctx.conn.remove_temp_file(tmp);
        if (r.executed && r.rc != 0) throw TaskError(c.cmdline + " failed (rc " + std::to_string(r.rc) + "): " + trim(r.err));
        return out;
    }
};

}  // namespace

std::unique_ptr<Module> make_cron_module() { return std::make_unique<CronModule>(); }

}  // namespace upkeep
