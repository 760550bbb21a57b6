#include "modules/formats/service_list.hpp"

#include <algorithm>

#include "engine/util/py_regex.hpp"
#include "engine/util/strings.hpp"

namespace upkeep {

Value service_entry(const std::string& name, const std::string& state, const std::optional<std::string>& status,
              const std::string& source) {
    Value v;
    v["name"] = Value(name);
    v["state"] = Value(state);
    if (status) v["status"] = Value(*status);
    v["source"] = Value(source);
    return v;
}

std::vector<std::string> service_words(const std::string& line) {
    std::vector<std::string> out;
    for (const auto& w : split(line, ' '))
        for (const auto& t : split(w, '\t'))
            if (!t.empty()) out.push_back(t);
    return out;
}

// `service --status-all`: " [ + ]  cron" lines (Ansible's regexp; "?" lines are skipped).
void parse_status_all(const std::string& out, Value& services) {
    static const PyRegex re = compile_py_regex(R"(^\s*\[ (?P<state>\+|\-) \]\s+(?P<name>.+)$)");
    for (const auto& line : split(out, '\n')) {
        PyMatch m;
        if (!py_search(re, line, &m)) continue;
        std::string name = m.str(2), state = m.str(1) == "+" ? "running" : "stopped";
        services[name] = service_entry(name, state, std::nullopt, "sysv");
    }
}

// `systemctl list-units --no-pager --type service --all`.
void parse_list_units(const std::string& out, Value& services) {
    for (const auto& line : split(out, '\n')) {
        if (line.find(".service") == std::string::npos) continue;
        std::vector<std::string> f = service_words(line);
        std::string status = "unknown";
        bool bad = false;
        for (const char* b : {"not-found", "masked", "failed"})
            if (std::find(f.begin(), f.end(), b) != f.end()) {
                status = b;
                f.erase(f.begin());  // the leading marker ("●")
                bad = true;
                break;
            }
        if (f.size() < 4) continue;
        if (!bad) status = f[2];
        services[f[0]] = service_entry(f[0], f[3] == "running" ? "running" : "stopped", status, "systemd");
    }
}

}  // namespace upkeep
