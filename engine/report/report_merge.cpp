#include "engine/report/report_merge.hpp"

#include "engine/util/error.hpp"
#include "engine/util/strings.hpp"

namespace upkeep {

namespace {

std::string text(const Value& v, const char* key) { return v.get(key).is_null() ? "" : v.get(key).to_string(); }

Status status_from(const std::string& s) {
    if (s == "changed") return Status::Changed;
    if (s == "failed") return Status::Failed;
    if (s == "skipped") return Status::Skipped;
    if (s == "unreachable") return Status::Unreachable;
    return Status::Ok;
}

// The diff lines of one JSON host entry (or loop item), as diff_lines() made them.
void add_diff(const Value& entry, std::vector<DiffLine>& out) {
    if (!entry.get("changes").is_list()) return;
    for (const auto& c : entry.get("changes").as_list()) {
        std::string diff = text(c, "diff");
        if (diff.empty()) {
            if (!text(c, "summary").empty()) out.push_back({DiffLine::Note, text(c, "target") + ": " + text(c, "summary")});
            continue;
        }
        if (starts_with(diff, "hidden")) {
            out.push_back({DiffLine::Note, "diff of " + text(c, "target") + " " + diff});
            continue;
        }
        append_unified_diff(diff, out);
    }
}

}  // namespace

Value merge_json_reports(const std::vector<Value>& docs, const std::vector<std::string>& names) {
    if (docs.empty()) throw UserError("report merge: no reports given");
    Value out = docs.front();
    for (size_t d = 1; d < docs.size(); ++d) {
        const Value& doc = docs[d];
        if (text(doc, "playbook") != text(out, "playbook") || doc.get("check").truthy() != out.get("check").truthy())
            throw UserError("report merge: " + names[d] + " is a report of another run (" + text(doc, "playbook") +
                            (doc.get("check").truthy() ? ", dry run" : "") + ") than " + names[0] + " (" +
                            text(out, "playbook") + (out.get("check").truthy() ? ", dry run" : "") + ")");
        if (text(doc, "started") < text(out, "started")) out["started"] = doc.get("started");
        List plays = out.get("plays").is_list() ? out.get("plays").as_list() : List{};
        const List& more = doc.get("plays").is_list() ? doc.get("plays").as_list() : List{};
        for (size_t p = 0; p < more.size(); ++p) {
            if (p >= plays.size()) {
                plays.push_back(more[p]);
                continue;
            }
            Value& play = plays[p];
            List hosts = play.get("hosts").as_list();
            for (const auto& h : more[p].get("hosts").as_list()) hosts.push_back(h);
            play["hosts"] = Value(hosts);
            List tasks = play.get("tasks").is_list() ? play.get("tasks").as_list() : List{};
            const List& mt = more[p].get("tasks").is_list() ? more[p].get("tasks").as_list() : List{};
            for (size_t t = 0; t < mt.size(); ++t) {
                if (t < tasks.size() && text(tasks[t], "name") == text(mt[t], "name")) {
                    for (const auto& [h, e] : mt[t].get("hosts").as_map()) {
                        if (tasks[t].get("hosts").has(h))
                            throw UserError("report merge: host " + h + " is in " + names[d] +
                                            " and in an earlier report: shards must not overlap");
                        tasks[t]["hosts"][h] = e;
                    }
                } else {
                    tasks.push_back(mt[t]);  // a task only this shard's hosts ran
                }
            }
            play["tasks"] = Value(tasks);
        }
        out["plays"] = Value(plays);
        if (doc.get("stats").is_map())
            for (const auto& [h, s] : doc.get("stats").as_map()) out["stats"][h] = s;
        List warnings = out.get("warnings").is_list() ? out.get("warnings").as_list() : List{};
        if (doc.get("warnings").is_list())
            for (const auto& w : doc.get("warnings").as_list()) warnings.push_back(w);
        out["warnings"] = Value(warnings);
        out["drift"] = Value(out.get("drift").truthy() || doc.get("drift").truthy());
    }
    return out;
}

RunRecord run_record_from_json(const Value& doc) {
    RunRecord r;
    r.playbook = text(doc, "playbook");
    r.check = doc.get("check").truthy();
    r.started = text(doc, "started");
    if (doc.get("plays").is_list())
        for (const auto& p : doc.get("plays").as_list()) {
            PlayRecord play;
            play.name = text(p, "name");
            if (p.get("hosts").is_list())
                for (const auto& h : p.get("hosts").as_list()) play.hosts.push_back(h.to_string());
            if (p.get("tasks").is_list())
                for (const auto& t : p.get("tasks").as_list()) {
                    TaskRecord task;
                    task.name = text(t, "name");
                    task.handler = t.get("handler").truthy();
                    if (t.get("hosts").is_map())
                        for (const auto& [h, e] : t.get("hosts").as_map()) {
                            HostOutcome o;
                            bool first = true;
                            auto fold = [&](const Value& x, bool item) {
                                Status s = status_from(text(x, "status"));
                                if (item) o.items++;
                                if (first || status_weight(s) > status_weight(o.status)) {
                                    o.status = s;
                                    o.ignored = x.get("ignored").truthy();
                                    o.msg = text(x, "msg");
                                }
                                first = false;
                                o.would_run = o.would_run || x.get("would_run").truthy();
                                std::vector<DiffLine> d;
                                add_diff(x, d);
                                if (item && !d.empty()) d.insert(d.begin(), {DiffLine::Note, "(item=" + text(x, "item") + ")"});
                                o.diff.insert(o.diff.end(), d.begin(), d.end());
                            };
                            if (e.get("items").is_list())
                                for (const auto& it : e.get("items").as_list()) fold(it, true);
                            if (!e.get("status").is_null()) fold(e, false);
                            task.host_order.push_back(h);
                            task.hosts[h] = std::move(o);
                        }
                    play.tasks.push_back(std::move(task));
                }
            r.plays.push_back(std::move(play));
        }
    if (doc.get("stats").is_map())
        for (const auto& entry : doc.get("stats").as_map()) {
            // Not a structured binding: clang 14 (clang-tidy) cannot capture one in a lambda.
            const Value& s = entry.second;
            HostStats st;
            st.host = entry.first;
            auto n = [&](const char* k) { return s.get(k).is_null() ? 0 : static_cast<int>(s.get(k).as_int()); };
            st.ok = n("ok"), st.changed = n("changed"), st.unreachable = n("unreachable"), st.failed = n("failed");
            st.skipped = n("skipped"), st.rescued = n("rescued"), st.ignored = n("ignored");
            r.stats.push_back(st);
        }
    if (doc.get("warnings").is_list())
        for (const auto& w : doc.get("warnings").as_list()) r.warnings.push_back(w.to_string());
    return r;
}

}  // namespace upkeep
