#include "engine/report/json_reporter.hpp"

#include <ctime>
#include <utility>

#include "engine/util/error.hpp"
#include "engine/report/report_file.hpp"
#include "engine/report/diff_limit.hpp"
#include "engine/report/secret_registry.hpp"
#include "engine/report/unified_diff.hpp"

namespace upkeep {

JsonReporter::JsonReporter(std::string path) : m_path(std::move(path)) { check_report_path_writable(m_path); }

void JsonReporter::playbook_start(const std::string& path, bool check) {
    std::lock_guard<std::mutex> lock(m_mutex);
    m_doc["playbook"] = Value(path);
    m_doc["check"] = Value(check);
    std::time_t now = std::time(nullptr);
    char buf[64];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
    m_doc["started"] = Value(std::string(buf));
}

void JsonReporter::close_task() {
    if (m_task.is_null()) return;
    m_tasks.push_back(std::exchange(m_task, Value(nullptr)));
}

void JsonReporter::close_play() {
    close_task();
    if (!m_play.is_null()) {
        m_play["tasks"] = Value(m_tasks);
        m_plays.push_back(m_play);
    }
    m_tasks.clear();
    m_play = Value();
}

void JsonReporter::play_start(const Play&, const std::string& name, const std::vector<std::string>& hosts) {
    std::lock_guard<std::mutex> lock(m_mutex);
    close_play();
    m_play["name"] = Value(name);
    List hl;
    for (const auto& h : hosts) hl.push_back(Value(h));
    m_play["hosts"] = Value(hl);
}

void JsonReporter::task_start(const Task&, const std::string& name, bool handler) {
    std::lock_guard<std::mutex> lock(m_mutex);
    close_task();
    m_task["name"] = Value(name);
    m_task["handler"] = Value(handler);
    m_task["hosts"] = Value(Map{});
}

void JsonReporter::host_result(const Task&, const std::string&, const HostResult& r) {
    Value e(Map{});
    e["status"] = Value(status_name(r.status));
    e["changed"] = Value(r.status == Status::Changed);
    if (r.would_run) e["would_run"] = Value(true);
    if (r.probe_would_change) e["probe_would_change"] = Value(true);
    if (!r.depends_on.empty() && r.status == Status::Changed) e["depends_on"] = Value(secrets().mask(r.depends_on));
    if (r.ignored) e["ignored"] = Value(true);
    e["msg"] = Value(r.no_log ? std::string("hidden (no_log)") : secrets().mask(r.msg));
    List changes;
    for (const auto& c : r.changes) {
        Value cv(Map{});
        // A no_log task shows nothing of its arguments: a command's target is its command line.
        cv["target"] = Value(r.no_log ? std::string("hidden (no_log)") : secrets().mask(c.target));
        cv["summary"] = Value(r.no_log ? std::string("hidden (no_log)") : secrets().mask(c.summary));
        if (c.before || c.after) {
            if (c.secret || r.no_log || secrets().appears_in(c.before.or_empty()) ||
                secrets().appears_in(c.after.or_empty()))
                cv["diff"] = Value("hidden: contains secrets");
            else if (std::string skipped = diff_skipped(c); !skipped.empty()) {
                cv["diff_skipped"] = Value(skipped);
                if (c.before) cv["before_sha256"] = Value(c.before.sha256());
                if (c.after) cv["after_sha256"] = Value(c.after.sha256());
            } else
                cv["diff"] = Value(secrets().mask(unified_diff(c.before.or_empty(), c.after.or_empty(), c.target)));
        }
        changes.push_back(cv);
    }
    e["changes"] = Value(changes);
    std::lock_guard<std::mutex> lock(m_mutex);
    if (m_task.is_null()) return;
    Value& hosts = m_task["hosts"];
    if (r.is_item) {
        e["item"] = Value(r.item_label);
        Value& slot = hosts[r.host];
        if (slot.is_null()) slot = Value(Map{}), slot["items"] = Value(List{});
        slot["items"].as_list_mut().push_back(e);
    } else if (hosts.has(r.host) && hosts.get(r.host).has("items")) {
        for (const auto& [k, v] : e.as_map()) hosts[r.host][k] = v;
    } else {
        hosts[r.host] = e;
    }
}

void JsonReporter::warning(const std::string& msg) {
    std::lock_guard<std::mutex> lock(m_mutex);
    m_warnings.push_back(Value(secrets().mask(msg)));
}

void JsonReporter::recap(const std::vector<HostStats>& stats, bool check) {
    std::lock_guard<std::mutex> lock(m_mutex);
    close_play();
    m_doc["plays"] = Value(m_plays);
    m_doc["warnings"] = Value(m_warnings);
    Value s(Map{});
    bool drift = false;
    for (const auto& h : stats) {
        Value hv(Map{});
        hv["ok"] = Value(h.ok);
        hv["changed"] = Value(h.changed);
        hv["unreachable"] = Value(h.unreachable);
        hv["failed"] = Value(h.failed);
        hv["skipped"] = Value(h.skipped);
        hv["rescued"] = Value(h.rescued);
        hv["ignored"] = Value(h.ignored);
        s[h.host] = hv;
        drift = drift || h.changed > 0;
    }
    m_doc["stats"] = s;
    // In a dry run, "changed" means the host has drifted from the playbook.
    m_doc["drift"] = Value(check && drift);
    // Host data (file contents in diffs, command output) may hold any bytes: the
    // report stays valid UTF-8 JSON whatever they are.
    try {
        write_report_file(m_path, json_text_valid_utf8(secrets().mask(m_doc.to_json())) + "\n");
    } catch (const UserError& e) {
        m_write_error = e.what();
    }
}

}  // namespace upkeep
