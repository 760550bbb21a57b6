#include "engine/plan/reviewed_plan.hpp"

#include "engine/util/error.hpp"
#include "engine/value/yaml.hpp"

namespace upkeep {

namespace {

constexpr int k_format = 1;

Value strings(const std::vector<std::string>& v) {
    List l;
    for (const auto& s : v) l.push_back(Value(s));
    return Value(l);
}

std::vector<std::string> strings_of(const Value& v) {
    std::vector<std::string> out;
    if (v.is_list())
        for (const auto& s : v.as_list()) out.push_back(s.to_string());
    return out;
}

std::string text(const Value& v, const char* key) { return v.get(key).is_null() ? "" : v.get(key).to_string(); }

}  // namespace

std::string bytes_hash(const SharedText& bytes) { return bytes ? "sha256:" + sha256_hex(*bytes) : ""; }

std::string plan_text(const std::string& text, bool no_log) {
    return no_log ? "hidden (no_log) sha256:" + sha256_hex(text) : text;
}

Value ReviewedPlan::to_value() const {
    Value v(Map{});
    v["upkeep_plan"] = Value(k_format);
    v["created"] = Value(created);
    v["playbook"] = Value(playbook);
    v["playbook_sha256"] = Value(playbook_sha256);
    v["inventories"] = strings(inventories);
    v["limit"] = Value(limit);
    if (!shard.empty()) v["shard"] = Value(shard);
    v["tags"] = strings(tags);
    v["skip_tags"] = strings(skip_tags);
    Value hv(Map{});
    for (const auto& [name, h] : hosts) {
        Value x(Map{});
        x["status"] = Value(h.status);
        if (!h.msg.empty()) x["msg"] = Value(h.msg);
        Value paths(Map{});
        for (const auto& [p, st] : h.paths) paths[p] = st.to_value();
        x["before_state"] = paths;
        List tasks;
        for (const auto& t : h.tasks) {
            Value tv(Map{});
            tv["task"] = Value(t.task);
            tv["n"] = Value(t.n);
            List changes;
            for (const auto& c : t.changes) {
                Value cv(Map{});
                cv["target"] = Value(c.target);
                cv["summary"] = Value(c.summary);
                if (!c.before.empty()) cv["before"] = Value(c.before);
                if (!c.after.empty()) cv["after"] = Value(c.after);
                if (!c.diff.empty()) cv["diff"] = Value(c.diff);
                changes.push_back(cv);
            }
            tv["changes"] = Value(changes);
            tasks.push_back(tv);
        }
        x["tasks"] = Value(tasks);
        hv[name] = x;
    }
    v["hosts"] = hv;
    return v;
}

ReviewedPlan ReviewedPlan::load(const std::string& path) {
    Value v = load_yaml_file(path);  // JSON is YAML
    if (!v.is_map() || v.get("upkeep_plan").is_null())
        throw UserError(path + " is not an upkeep plan (write one with: upkeep play ... --check --save-plan FILE)");
    if (v.get("upkeep_plan").as_int() != k_format)
        throw UserError(path + ": plan format " + v.get("upkeep_plan").to_string() + " is not supported (expected " +
                        std::to_string(k_format) + ")");
    ReviewedPlan p;
    p.created = text(v, "created");
    p.playbook = text(v, "playbook");
    p.playbook_sha256 = text(v, "playbook_sha256");
    p.inventories = strings_of(v.get("inventories"));
    p.limit = text(v, "limit");
    p.shard = text(v, "shard");
    p.tags = strings_of(v.get("tags"));
    p.skip_tags = strings_of(v.get("skip_tags"));
    if (v.get("hosts").is_map())
        for (const auto& [name, x] : v.get("hosts").as_map()) {
            HostPlan h;
            h.status = text(x, "status");
            h.msg = text(x, "msg");
            if (x.get("before_state").is_map())
                for (const auto& [pth, st] : x.get("before_state").as_map()) h.paths[pth] = PathState::from_value(st);
            if (x.get("tasks").is_list())
                for (const auto& tv : x.get("tasks").as_list()) {
                    PlannedTask t;
                    t.task = text(tv, "task");
                    t.n = static_cast<int>(tv.get("n").as_int());
                    if (tv.get("changes").is_list())
                        for (const auto& cv : tv.get("changes").as_list())
                            t.changes.push_back({text(cv, "target"), text(cv, "summary"), text(cv, "before"),
                                                 text(cv, "after"), text(cv, "diff")});
                    h.tasks.push_back(std::move(t));
                }
            p.hosts[name] = std::move(h);
        }
    if (p.playbook.empty()) throw UserError(path + ": the plan names no playbook");
    return p;
}

}  // namespace upkeep
