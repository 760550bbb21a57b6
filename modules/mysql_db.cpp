// mysql_db: state=dump, like community.mysql.mysql_db's dump: a mysqldump of the
// named databases into one file on the host, the seeds' "mysqldump -u root -p
// cloud > cloudstack-backup.sql" (and cloud_usage where it exists) before an
// upgrade touches the schema.
//
// Unlike mysql_query (which connects from the controller), mysqldump runs ON THE
// HOST, because the dump must land there (on the database master) and be as
// large as the database: nothing travels through the controller. Credentials go
// to mysqldump on stdin as an option file (--defaults-extra-file=/dev/stdin),
// never in argv; without login_user the host's ~/.my.cnf applies, as with the
// seed's interactive `mysqldump -u root -p`.
//
// Idempotence: the dump is a point-in-time backup, written to TARGET.part and
// renamed only when mysqldump succeeded, so an existing target is a complete
// dump and the task is converged (name the target per upgrade, e.g. with the
// target version). The dry run lists the databases it would dump, those it skips
// because they do not exist (skip_missing), and the file it would write.
#include <set>

#include "engine/module/module.hpp"
#include "engine/util/error.hpp"
#include "engine/util/strings.hpp"

namespace upkeep {
namespace {

// The [client] option file that carries the login to mysql/mysqldump on stdin.
std::string option_file(const Args& args) {
    std::string f = "[client]\n";
    auto put = [&](const char* key, const std::string& v) {
        if (!v.empty()) f += std::string(key) + "=" + v + "\n";
    };
    put("user", args.str("login_user"));
    put("password", args.str("login_password"));
    put("host", args.str("login_host"));
    if (args.has("login_port")) put("port", std::to_string(args.integer("login_port", 3306)));
    put("socket", args.str("login_unix_socket"));
    return f;
}

bool has_login(const Args& args) {
    for (const char* k : {"login_user", "login_password", "login_host", "login_port", "login_unix_socket"})
        if (args.has(k)) return true;
    return false;
}

// "mysql --defaults-extra-file=/dev/stdin" (the option must come first), fed the
// option file; or the bare tool, reading ~/.my.cnf.
Command client_command(const Args& args, const std::string& tool, const std::string& rest, bool mutating) {
    Command c;
    c.mutating = mutating;
    if (has_login(args)) {
        c.cmdline = tool + " --defaults-extra-file=/dev/stdin " + rest;
        c.stdin_data = option_file(args);
    } else {
        c.cmdline = tool + " " + rest;
    }
    return c;
}

std::vector<std::string> wanted_names(const Args& args) {
    std::vector<std::string> out;
    const Value& v = args.get("name");
    if (v.is_list()) {
        for (const auto& x : v.as_list()) out.push_back(trim(x.to_string()));
    } else {
        for (const auto& x : split(v.to_string(), ',')) out.push_back(trim(x));
    }
    for (const auto& n : out)
        if (n.empty() || n.find_first_of(" \t\n'\"`;$\\") != std::string::npos)
            throw TaskError(v.mark(), "mysql_db: not a database name: '" + n + "'");
    if (out.empty()) throw TaskError(v.mark(), "mysql_db: name lists no database");
    return out;
}

// check() -> apply(): the databases that exist and are dumped, in the task's order.
struct MysqlDbPayload {
    std::vector<std::string> databases{};
};

class MysqlDbModule : public Module {
public:
    const ModuleSpec& spec() const override {
        static const ModuleSpec s{
            .name = "mysql_db",
            .summary = "Dump MariaDB/MySQL databases to a file on the host (state=dump), with an exact dry run",
            .doc =
                "Like community.mysql.mysql_db state=dump. mysqldump runs on the inventory host (the\n"
                "database master: run it once, with run_once or a host group of its own), with\n"
                "--single-transaction --routines --events --databases NAME... and writes TARGET.part,\n"
                "renamed to TARGET when mysqldump succeeded. An existing TARGET is a finished dump: the\n"
                "task is then converged, so name the target per upgrade. login_* reach the server AS\n"
                "SEEN FROM THE HOST and travel to mysqldump on stdin (never argv); without them the\n"
                "host's ~/.my.cnf applies. skip_missing leaves out databases that do not exist (the\n"
                "seeds' cloud_usage exists only where a usage server was installed); the dry run says\n"
                "which databases it would dump and which it skips.\n"
                "Example (CloudStack 3.0.x -> 4.3: back up cloud and cloud_usage, once):\n"
                "  - mysql_db:\n"
                "      state: dump\n"
                "      name: [cloud, cloud_usage]\n"
                "      skip_missing: true\n"
                "      target: /var/backups/cloudstack/cloudstack-before-4.3.sql\n"
                "    run_once: true",
            .args =
                {
                    {.name = "name",
                     .type = ArgType::Any,
                     .required = true,
                     .aliases = {"db"},
                     .doc = "database name or list of names"},
                    {.name = "state",
                     .type = ArgType::String,
                     .required = true,
                     .choices = {"dump"},
                     .doc = "dump (the only state so far)"},
                    {.name = "target", .type = ArgType::Path, .required = true, .doc = "the dump file on the host"},
                    {.name = "skip_missing",
                     .type = ArgType::Bool,
                     .default_value = Value(false),
                     .doc = "leave out databases that do not exist instead of failing"},
                    {.name = "mode",
                     .type = ArgType::String,
                     .default_value = Value("0600"),
                     .doc = "mode of the dump file"},
                    {.name = "login_host", .type = ArgType::String, .doc = "server address as seen from the host"},
                    {.name = "login_port", .type = ArgType::Int, .doc = "TCP port of the server"},
                    {.name = "login_user", .type = ArgType::String, .doc = "user to connect as"},
                    {.name = "login_password",
                     .type = ArgType::String,
                     .secret = true,
                     .doc = "password of login_user"},
                    {.name = "login_unix_socket", .type = ArgType::Path, .doc = "Unix socket on the host"},
                },
        };
        return s;
    }

    Plan check(ModuleContext& ctx, const Args& args) const override {
        std::vector<std::string> wanted = wanted_names(args);
        std::string target = args.str("target");
        Plan plan;
        plan.result["target"] = Value(target);
        FileInfo fi = ctx.conn.stat(target, true);
        if (fi.exists()) {
            if (!fi.is_file()) throw TaskError("mysql_db: " + target + " exists and is not a file");
            plan.msg = target + " exists: the dump was made";
            return plan;
        }
        // Which of the wanted databases exist (a read: runs in a dry run too).
        CommandResult r = ctx.conn.run(client_command(args, "mysql", "-N -B -e 'SHOW DATABASES'", false));
        if (r.rc != 0)
            throw TaskError("mysql_db: cannot list the databases on " + ctx.conn.host_name() + " (rc " +
                            std::to_string(r.rc) + "): " + trim(r.err.empty() ? r.out : r.err));
        std::set<std::string> present;
        for (const auto& line : split(r.out, '\n'))
            if (!trim(line).empty()) present.insert(trim(line));
        std::vector<std::string> dump, missing;
        for (const auto& n : wanted) (present.count(n) ? dump : missing).push_back(n);
        if (!missing.empty() && !args.flag("skip_missing"))
            throw TaskError("mysql_db: database(s) " + join(missing, ", ") + " do not exist on " +
                            ctx.conn.host_name() + " (set skip_missing: true to dump the others)");
        if (dump.empty()) throw TaskError("mysql_db: none of " + join(wanted, ", ") + " exists: nothing to dump");
        List names;
        for (const auto& n : dump) names.push_back(Value(n));
        List skipped;
        for (const auto& n : missing) skipped.push_back(Value(n));
        plan.set_payload(MysqlDbPayload{.databases = dump});
        plan.result["databases"] = Value(names);
        plan.result["skipped"] = Value(skipped);
        std::string summary = "would dump " + join(dump, ", ");
        if (!missing.empty()) summary += " (" + join(missing, ", ") + " absent: skipped)";
        plan.changes.push_back({target, summary, {}, {}, false});
        plan.msg = summary + " to " + target;
        return plan;
    }

    Value apply(ModuleContext& ctx, const Args& args, const Plan& plan) const override {
        const auto& p = plan.payload<MysqlDbPayload>();
        std::string target = args.str("target");
        std::string host_target = ctx.conn.command_path(target);
        std::string part = shell_quote(host_target + ".part");
        std::string names;
        for (const auto& n : p.databases) names += " " + n;
        std::string mode = args.str("mode", "0600");
        if (mode.find_first_not_of("01234567") != std::string::npos) throw TaskError("mysql_db: mode must be octal");
        Command c = client_command(args, "mysqldump",
                                   "--single-transaction --routines --events --databases" + names + " > " + part, true);
        // umask first: the dump holds every password hash of the cloud; never readable on the way.
        c.cmdline = "umask 077 && " + c.cmdline + " && chmod " + mode + " " + part + " && mv -f " + part + " " +
                    shell_quote(host_target) + " || { rc=$?; rm -f " + part + "; exit $rc; }";
        CommandResult r = ctx.conn.run(c);
        Value out;
        if (!r.executed) return out;
        if (r.rc != 0)
            throw TaskError("mysql_db: mysqldump failed on " + ctx.conn.host_name() + " (rc " + std::to_string(r.rc) +
                            "): " + trim(r.err.empty() ? r.out : r.err));
        out["size"] = Value(static_cast<int64_t>(ctx.conn.stat(target, true).size));
        return out;
    }
};

}  // namespace

std::unique_ptr<Module> make_mysql_db_module() { return std::make_unique<MysqlDbModule>(); }

}  // namespace upkeep
