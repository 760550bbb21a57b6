// service_facts: the host's services as ansible_facts.services (ansible.builtin.
// service_facts on Linux: SysV scripts from `service --status-all`, systemd units
// from systemctl when systemd is PID 1; same keys and fields).
#include "engine/module/host_query.hpp"
#include "engine/module/module.hpp"
#include "engine/util/strings.hpp"
#include "modules/formats/service_list.hpp"

namespace upkeep {

namespace {

bool has_tool(Connection& conn, const std::string& tool) {
    return query(conn, "command -v " + shell_quote(tool) + " >/dev/null 2>&1").rc == 0;
}

class ServiceFactsModule : public Module {
public:
    const ModuleSpec& spec() const override {
        static const ModuleSpec s{
            .name = "service_facts",
            .summary = "Gather the host's services into ansible_facts.services",
            .doc =
                "ansible.builtin.service_facts: services[NAME] = {name, state, status, source}. SysV\n"
                "scripts come from `service --status-all` (source sysv: running/stopped), systemd units\n"
                "from `systemctl list-units` and `list-unit-files` when systemd is PID 1 (source systemd,\n"
                "status enabled/disabled/static/masked/not-found...). A role reads it as Ansible's:\n"
                "  when: '\"systemd-timesyncd.service\" in services'\n"
                "Example:\n"
                "  - service_facts:",
        };
        return s;
    }

    Plan check(ModuleContext& ctx, const Args& args) const override {
        (void)args;
        Connection& conn = ctx.conn;
        Value services = Value(Map{});
        if (has_tool(conn, "service") && !has_tool(conn, "chkconfig") && !has_tool(conn, "rc-status")) {
            CommandResult r = query(conn, "service --status-all");
            parse_status_all(r.out + "\n" + r.err, services);
        }
        std::optional<std::string> comm;
        try {
            comm = conn.read_file("/proc/1/comm");
        } catch (const std::exception&) {
        }
        if (comm && comm->find("systemd") != std::string::npos && has_tool(conn, "systemctl")) {
            CommandResult r = query(conn, "systemctl list-units --no-pager --type service --all");
            if (r.rc == 0) parse_list_units(r.out, services);
            CommandResult f = query(conn, "systemctl list-unit-files --no-pager --type service --all");
            if (f.rc == 0)
                for (const auto& line : split(f.out, '\n')) {
                    if (line.find(".service") == std::string::npos) continue;
                    std::vector<std::string> w = service_words(line);
                    if (w.size() < 2) continue;
                    if (!services.has(w[0])) {
                        CommandResult s = query(conn, "systemctl show " + shell_quote(w[0]) + " --property=ActiveState");
                        std::string state = "unknown";
                        if (s.rc == 0 && !s.out.empty()) {
                            state = s.out;
                            if (starts_with(state, "ActiveState=")) state = state.substr(12);
                            while (!state.empty() && std::isspace(static_cast<unsigned char>(state.back()))) state.pop_back();
                        }
                        services[w[0]] = service_entry(w[0], state, w[1], "systemd");
                    } else {
                        std::string st = services.get(w[0]).get("status").to_string();
                        if (st != "not-found" && st != "masked" && st != "failed") services[w[0]]["status"] = Value(w[1]);
                    }
                }
        }
        Plan plan;
        if (services.as_map().empty()) {
            plan.result["skipped"] = Value(true);
            plan.msg = "Failed to find any services. This can be due to privileges or some other configuration issue.";
            return plan;
        }
        size_t n = services.as_map().size();
        Value facts;
        facts["services"] = std::move(services);
        plan.result["ansible_facts"] = facts;
        plan.msg = std::to_string(n) + " services";
        return plan;
    }

    Value apply(ModuleContext&, const Args&, const Plan&) const override { return Value(); }
};

}  // namespace

std::unique_ptr<Module> make_service_facts_module() { return std::make_unique<ServiceFactsModule>(); }

}  // namespace upkeep
