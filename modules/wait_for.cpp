// wait_for: waits for a TCP port, a file, or a regexp in either, as seen FROM
// THE HOST (Ansible's wait_for runs there): every probe goes over the host's
// connection. A port is probed with bash's /dev/tcp under `timeout` (coreutils),
// a file with stat/read over the connection, `drained` by reading the host's
// /proc/net/tcp{,6}. Nothing changes, so the dry run waits too (as Ansible's
// check mode does); a timeout is a failure with Ansible's message and `elapsed`.
#include <chrono>
#include <cstdio>
#include <map>
#include <set>
#include <thread>

#include "engine/module/module.hpp"
#include "engine/util/error.hpp"
#include "engine/util/py_regex.hpp"
#include "engine/util/strings.hpp"

namespace upkeep {

namespace {

using Clock = std::chrono::steady_clock;

const std::map<std::string, std::string>& tcp_states() {
    static const std::map<std::string, std::string> m = {
        {"ESTABLISHED", "01"}, {"SYN_SENT", "02"}, {"SYN_RECV", "03"}, {"FIN_WAIT1", "04"}, {"FIN_WAIT2", "05"},
        {"TIME_WAIT", "06"},   {"CLOSE", "07"},    {"CLOSE_WAIT", "08"}, {"LAST_ACK", "09"}, {"LISTEN", "0A"},
        {"CLOSING", "0B"},
    };
    return m;
}

class WaitForModule : public Module {
public:
    const ModuleSpec& spec() const override {
        static const ModuleSpec s = {
            .name = "wait_for",
            .summary = "Wait for a port, a file or a regexp, as seen from the host",
            .doc =
                "Ansible's wait_for. Probes run on the host over its connection: `host: 127.0.0.1` is\n"
                "the host's own loopback. Ports need bash and coreutils' timeout on the host.\n"
                "Returns elapsed (seconds), match_groups, match_groupdict, state, port, path, search_regex.\n"
                "Example:\n"
                "  - wait_for:\n"
                "      port: 8080\n"
                "      timeout: 120\n"
                "  - wait_for:\n"
                "      path: /var/log/cloudstack/management/management-server.log\n"
                "      search_regex: 'Started'",
            .args =
                {
                    {.name = "host",
                     .type = ArgType::String,
                     .default_value = Value("127.0.0.1"),
                     .doc = "address to connect to, from the host"},
                    {.name = "port", .type = ArgType::Int, .doc = "TCP port"},
                    {.name = "path", .type = ArgType::Path, .doc = "file on the host"},
                    {.name = "state",
                     .type = ArgType::String,
                     .default_value = Value("started"),
                     .choices = {"absent", "drained", "present", "started", "stopped"},
                     .doc = "what to wait for"},
                    {.name = "search_regex",
                     .type = ArgType::String,
                     .doc = "Python regexp (MULTILINE) in the file or in what the port sends"},
                    {.name = "timeout",
                     .type = ArgType::Int,
                     .default_value = Value(300),
                     .doc = "seconds before failing"},
                    {.name = "connect_timeout",
                     .type = ArgType::Int,
                     .default_value = Value(5),
                     .doc = "seconds per connection attempt"},
                    {.name = "delay",
                     .type = ArgType::Int,
                     .default_value = Value(0),
                     .doc = "seconds to wait before the first probe"},
                    {.name = "sleep", .type = ArgType::Int, .default_value = Value(1), .doc = "seconds between probes"},
                    {.name = "msg", .type = ArgType::String, .doc = "message instead of the timeout's"},
                    {.name = "active_connection_states",
                     .type = ArgType::List,
                     .default_value = Value(List{Value("ESTABLISHED"), Value("FIN_WAIT1"), Value("FIN_WAIT2"),
                                                 Value("SYN_RECV"), Value("SYN_SENT"), Value("TIME_WAIT")}),
                     .doc = "connection states `drained` waits out"},
                    {.name = "exclude_hosts", .type = ArgType::List, .doc = "drained: peers (IPv4) not counted"},
                },
        };
        return s;
    }

    Plan check(ModuleContext& ctx, const Args& args) const override {
        Target t = target(args);
        auto start = Clock::now();
        auto elapsed = [&] { return std::chrono::duration_cast<std::chrono::seconds>(Clock::now() - start).count(); };
        std::this_thread::sleep_for(std::chrono::seconds(args.integer("delay")));
        auto end = start + std::chrono::seconds(args.integer("timeout"));
        Value groups(List{}), groupdict(Map{});
        std::string fail;
        if (!t.port && t.path.empty() && t.state != "drained") std::this_thread::sleep_until(end);
        else if (t.state == "absent" || t.state == "stopped") fail = wait_gone(ctx, args, t, end);
        else if (t.state == "started" || t.state == "present") fail = wait_present(ctx, args, t, end, groups, groupdict);
        else fail = wait_drained(ctx, args, t, end);
        Plan p;
        p.result["elapsed"] = Value(static_cast<int64_t>(elapsed()));
        if (!fail.empty()) throw TaskError(args.has("msg") ? args.str("msg") : fail, p.result);
        p.result["state"] = Value(t.state);
        p.result["port"] = t.port ? Value(t.port) : Value();
        p.result["path"] = t.path.empty() ? Value() : Value(t.path);
        p.result["search_regex"] = args.get("search_regex");
        p.result["match_groups"] = groups;
        p.result["match_groupdict"] = groupdict;
        return p;
    }

    Value apply(ModuleContext&, const Args&, const Plan&) const override { return Value(); }

private:
    // What to wait for, with the argument combinations Ansible refuses refused.
    struct Target {
        std::string state, path, host;
        int64_t port = 0;
        std::optional<PyRegex> re;
    };

    static Target target(const Args& args) {
        Target t{args.str("state"), args.str("path"), args.str("host"), args.integer("port", 0), std::nullopt};
        if (args.has("search_regex")) {
            PyRegexFlags f;
            f.multiline = true;
            t.re = compile_py_regex(args.str("search_regex"), f);
        }
        if (t.port && !t.path.empty()) throw TaskError("port and path parameter can not both be passed to wait_for");
        if (!t.path.empty() && (t.state == "stopped" || t.state == "drained"))
            throw TaskError("state=" + t.state + " should only be used for checking a port in the wait_for module");
        if (args.has("exclude_hosts") && t.state != "drained") throw TaskError("exclude_hosts should only be with state=drained");
        for (const auto& s : args.strings("active_connection_states"))
            if (!tcp_states().count(s)) throw TaskError("unknown active_connection_state (" + s + ") defined");
        return t;
    }

    static void pause(const Args& args) { std::this_thread::sleep_for(std::chrono::seconds(args.integer("sleep"))); }

    // absent / stopped: until the file is gone or the port closed; the timeout message otherwise.
    static std::string wait_gone(ModuleContext& ctx, const Args& args, const Target& t, Clock::time_point end) {
        for (;; pause(args)) {
            if (Clock::now() >= end)
                return t.port ? "Timeout when waiting for " + t.host + ":" + std::to_string(t.port) + " to stop."
                              : "Timeout when waiting for " + t.path + " to be absent.";
            if (t.port ? !port_open(ctx, t.host, t.port, args.integer("connect_timeout")) : !ctx.conn.stat(t.path, false).exists())
                return "";
        }
    }

    // started / present: until the file exists or the port accepts, and (with
    // search_regex) what it holds or sends matches, filling the match groups.
    static std::string wait_present(ModuleContext& ctx, const Args& args, const Target& t, Clock::time_point end,
                                    Value& groups, Value& groupdict) {
        for (;; pause(args)) {
            if (Clock::now() >= end) {
                std::string what = t.port ? t.host + ":" + std::to_string(t.port) : t.path;
                return t.re ? "Timeout when waiting for search string " + args.str("search_regex") + " in " + what
                            : t.port ? "Timeout when waiting for " + what : "Timeout when waiting for file " + what;
            }
            std::optional<std::string> data;
            if (t.port) {
                int64_t left = std::chrono::duration_cast<std::chrono::seconds>(end - Clock::now()).count() + 1;
                if (!t.re) {
                    if (port_open(ctx, t.host, t.port, std::min(args.integer("connect_timeout"), left))) return "";
                    continue;
                }
                data = port_read(ctx, t.host, t.port, std::min(args.integer("connect_timeout"), left));
            } else {
                if (!ctx.conn.stat(t.path, true).exists()) continue;
                if (!t.re) return "";
                data = ctx.conn.read_file(t.path);
            }
            PyMatch m;
            if (data && py_search(*t.re, *data, &m)) {
                record_groups(*t.re, m, groups, groupdict);
                return "";
            }
        }
    }

    // The match's groups (null when a group did not take part), by number and by name.
    static void record_groups(const PyRegex& re, const PyMatch& m, Value& groups, Value& groupdict) {
        for (size_t i = 1; i < m.size(); ++i) {
            Value g;
            if (m[i].matched) g = Value(m.str(i));
            groups.as_list_mut().push_back(std::move(g));
        }
        for (size_t i = 0; i < re.group_names.size(); ++i) {
            if (re.group_names[i].empty()) continue;
            Value g;
            if (m[i + 1].matched) g = Value(m.str(i + 1));
            groupdict[re.group_names[i]] = std::move(g);
        }
    }

    // drained: until no connection to the port is in an active state.
    static std::string wait_drained(ModuleContext& ctx, const Args& args, const Target& t, Clock::time_point end) {
        for (;; pause(args)) {
            if (Clock::now() >= end) return "Timeout when waiting for " + t.host + ":" + std::to_string(t.port) + " to drain";
            if (active_connections(ctx, args, t.port) == 0) return "";
        }
    }

    static std::string tcp_cmd(const std::string& host, int64_t port, int64_t secs, const std::string& then) {
        std::string script = "exec 3<>/dev/tcp/" + host + "/" + std::to_string(port) + then;
        return "timeout " + std::to_string(std::max<int64_t>(secs, 1)) + " bash -c " + shell_quote(script) + " 2>/dev/null";
    }

    static void check_host(const std::string& host) {
        for (char c : host)
            if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-' && c != ':' && c != '_')
                throw TaskError("wait_for: bad host '" + host + "'");
    }

    static bool port_open(ModuleContext& ctx, const std::string& host, int64_t port, int64_t secs) {
        check_host(host);
        Command c;
        c.mutating = false;
        c.cmdline = tcp_cmd(host, port, secs, "");
        return ctx.conn.run(c).rc == 0;
    }

    // What the port sends until it closes, a second of silence, or `secs`.
    static std::optional<std::string> port_read(ModuleContext& ctx, const std::string& host, int64_t port, int64_t secs) {
        check_host(host);
        Command c;
        c.mutating = false;
        c.cmdline = tcp_cmd(host, port, secs,
                            " && while IFS= read -r -t 1 -u 3 l || [ -n \"$l\" ]; do printf \"%s\\n\" \"$l\"; l=; done");
        CommandResult r = ctx.conn.run(c);
        if (r.out.empty() && r.rc != 0) return std::nullopt;
        return r.out;
    }

    static int active_connections(ModuleContext& ctx, const Args& args, int64_t port) {
        std::set<std::string> states;
        for (const auto& s : args.strings("active_connection_states")) states.insert(tcp_states().at(s));
        std::set<std::string> excluded;
        if (args.has("exclude_hosts"))
            for (const auto& h : args.strings("exclude_hosts")) {
                unsigned a, b, c, d;
                if (std::sscanf(h.c_str(), "%u.%u.%u.%u", &a, &b, &c, &d) != 4) continue;
                char hex[9];
                std::snprintf(hex, sizeof hex, "%02X%02X%02X%02X", d & 255, c & 255, b & 255, a & 255);
                excluded.insert(hex);
            }
        int count = 0;
        for (const char* file : {"/proc/net/tcp", "/proc/net/tcp6"}) {
            Command c;
            c.mutating = false;
            c.cmdline = std::string("cat ") + file + " 2>/dev/null";
            std::string text = ctx.conn.run(c).out;
            bool header = true;
            for (const auto& line : split(text, '\n')) {
                if (header || trim(line).empty()) {
                    header = false;
                    continue;
                }
                std::vector<std::string> f;
                for (const auto& w : split(trim(line), ' '))
                    if (!w.empty()) f.push_back(w);
                if (f.size() < 4) continue;
                std::string local = f[1], remote = f[2], st = f[3];
                size_t lc = local.find(':'), rc = remote.find(':');
                if (lc == std::string::npos || rc == std::string::npos) continue;
                if (std::stol(local.substr(lc + 1), nullptr, 16) != port || !states.count(st)) continue;
                std::string peer = remote.substr(0, rc);
                if (peer.size() > 8) peer = peer.substr(peer.size() - 8);  // ::ffff:a.b.c.d
                if (excluded.count(peer)) continue;
                ++count;
            }
        }
        return count;
    }
};

}  // namespace

std::unique_ptr<Module> make_wait_for_module() { return std::make_unique<WaitForModule>(); }

}  // namespace upkeep
