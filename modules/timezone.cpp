// timezone: the system time zone (community.general.timezone, `name` on Linux).
// With a working timedatectl (systemd as PID 1) it asks and sets through it;
// otherwise, as Ansible's NosystemdTimezone on Debian: /etc/timezone, the
// /etc/localtime link into /usr/share/zoneinfo, then dpkg-reconfigure tzdata.
#include "engine/module/host_query.hpp"
#include "engine/module/module.hpp"
#include "engine/util/error.hpp"
#include "engine/util/py_regex.hpp"
#include "engine/util/strings.hpp"
#include "modules/formats/account_db.hpp"

namespace upkeep {

namespace {

}  // namespace

// Ansible's _edit_file for /etc/timezone: the first line starting with a non-space
// character becomes `tz`, every other such line goes (nothing matched: `tz` first).
std::string timezone_file_edit(const std::optional<std::string>& current, const std::string& tz) {
    std::vector<std::string> lines = current ? split_lines_keep(*current) : std::vector<std::string>{};
    std::vector<std::string> out;
    bool placed = false;
    size_t insert_at = 0;
    for (const auto& l : lines) {
        bool match = !l.empty() && l[0] != ' ' && l[0] != '\t' && l[0] != '\n' && l[0] != '\r';
        if (!match) {
            out.push_back(l);
            continue;
        }
        if (!placed) {
            insert_at = out.size();
            placed = true;
        }
    }
    out.insert(out.begin() + static_cast<long>(insert_at), tz + "\n");
    return join(out, "");
}

namespace {

// check() -> apply(): how the zone is set and, the Debian way, the exact files.
struct TimezonePayload {
    enum class Way { Timedatectl, DebianFiles };
    Way way = Way::Timedatectl;
    SharedText timezone_file = {};  // DebianFiles: /etc/timezone's new bytes
    std::string zonefile = "";      // DebianFiles: /etc/localtime's link target
    bool reconfigure = false;       // DebianFiles: dpkg-reconfigure tzdata afterwards
};

class TimezoneModule : public Module {
public:
    const ModuleSpec& spec() const override {
        static const ModuleSpec s{
            .name = "timezone",
            .summary = "Set the system time zone",
            .doc =
                "community.general.timezone (name only). With systemd running: timedatectl\n"
                "set-timezone. Without it (Debian): /etc/timezone gets the name, /etc/localtime links to\n"
                "/usr/share/zoneinfo/NAME and `dpkg-reconfigure --frontend noninteractive tzdata` runs\n"
                "(not on a sandbox host, whose tzdata is this machine's). The zone must exist under\n"
                "/usr/share/zoneinfo on the host. Not supported: hwclock.\n"
                "Example:\n"
                "  - timezone: name=Etc/UTC",
            .args =
                {
                    {.name = "name",
                     .type = ArgType::String,
                     .required = true,
                     .doc = "the zone (Europe/Paris, Etc/UTC)"},
                },
        };
        return s;
    }

    Plan check(ModuleContext& ctx, const Args& args) const override {
        Connection& conn = ctx.conn;
        std::string tz = args.str("name");
        std::string zonefile = "/usr/share/zoneinfo/" + tz;
        if (tz.find("..") != std::string::npos || !conn.stat(zonefile, true).is_file())
            throw TaskError("given timezone \"" + tz + "\" is not available");
        Plan plan;
        plan.result["name"] = Value(tz);
        bool sandbox = is_sandbox_host(conn);
        bool systemd = !sandbox && conn.stat("/run/systemd/system", true).is_dir();
        if (systemd) {
            CommandResult r = query(conn, "timedatectl");
            static const PyRegex re = compile_py_regex(R"(^\s*Time ?zone\s*:\s*([^\s]+))", PyRegexFlags{true, false, false});
            PyMatch m;
            if (r.rc == 0 && py_search(re, r.out, &m)) {
                std::string before = m.str(1);
                plan.result["before"] = Value(before);
                if (before != tz) {
                    plan.changes.push_back({"timezone", before + " -> " + tz, {}, {}, false});
                    plan.set_payload(TimezonePayload{.way = TimezonePayload::Way::Timedatectl});
                }
                plan.msg = plan.changed() ? "timezone " + before + " -> " + tz : "timezone already " + tz;
                return plan;
            }
        }
        // The Debian way, as Ansible's NosystemdTimezone reads it.
        std::optional<std::string> file;
        if (conn.stat("/etc/timezone", true).is_file()) file = conn.read_file("/etc/timezone");
        std::string before = "n/a";
        if (file) {
            std::string first = trim(*file);
            std::string word = first.substr(0, first.find_first_of(" \t\n"));
            if (!word.empty()) before = word;
        }
        FileInfo link = conn.stat("/etc/localtime", false);
        std::string link_tz = "n/a";
        if (link.is_link() && conn.stat("/etc/localtime", true).exists()) {
            static const PyRegex re = compile_py_regex(R"((?:/(?:usr/share|etc)/zoneinfo/)(.*))");
            PyMatch m;
            if (py_search(re, link.link_target, &m)) link_tz = m.str(1);
        }
        plan.result["before"] = Value(before == tz ? link_tz : before);
        std::string new_file = timezone_file_edit(file, tz);
        bool file_ok = before == tz;
        bool link_ok = link.is_link() && link.link_target == zonefile;
        if (file_ok && link_ok) {
            plan.msg = "timezone already " + tz;
            return plan;
        }
        // Ansible rewrites the file and the link together whenever the zone differs.
        TimezonePayload payload{.way = TimezonePayload::Way::DebianFiles,
                                .timezone_file = SharedText(std::move(new_file)),
                                .zonefile = zonefile,
                                .reconfigure = !sandbox && query(conn, "command -v dpkg-reconfigure >/dev/null").rc == 0};
        plan.changes.push_back({"/etc/timezone", "zone " + before + " -> " + tz, file.value_or(""), payload.timezone_file, false});
        plan.changes.push_back({"/etc/localtime", "link -> " + zonefile, {}, {}, false});
        plan.set_payload(std::move(payload));
        plan.msg = "timezone " + (before == tz ? link_tz : before) + " -> " + tz;
        return plan;
    }

    Value apply(ModuleContext& ctx, const Args& args, const Plan& plan) const override {
        Connection& conn = ctx.conn;
        std::string tz = args.str("name");
        auto run = [&](const std::string& line) {
            Command c;
            c.cmdline = line;
            c.env = {{"DEBIAN_FRONTEND", "noninteractive"}};
            CommandResult r = conn.run(c);
            if (r.executed && r.rc != 0) throw TaskError(line + " failed (rc " + std::to_string(r.rc) + "): " + trim(r.err));
        };
        const auto& p = plan.payload<TimezonePayload>();
        if (p.way == TimezonePayload::Way::Timedatectl) {
            run("timedatectl set-timezone " + shell_quote(tz));
        } else {
            conn.write_shared("/etc/timezone", p.timezone_file, WriteOptions{});
            conn.symlink(p.zonefile, "/etc/localtime");
            if (p.reconfigure) run("dpkg-reconfigure --frontend noninteractive tzdata");
        }
        Value out;
        out["name"] = Value(tz);
        return out;
    }
};

}  // namespace

std::unique_ptr<Module> make_timezone_module() { return std::make_unique<TimezoneModule>(); }

}  // namespace upkeep
