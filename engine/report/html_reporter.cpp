#include "engine/report/html_reporter.hpp"

#include <algorithm>
#include <cstdio>
#include <set>

#include "engine/report/host_ranges.hpp"
#include "engine/report/html_assets.hpp"
#include "engine/report/markup.hpp"
#include "engine/report/report_file.hpp"
#include "engine/report/secret_registry.hpp"
#include "engine/util/error.hpp"

namespace upkeep {

namespace {

std::string esc(const std::string& s) { return xml_escape(s); }

// A host's state for the whole run, worst first (as the exit code ranks them).
std::string host_state(const HostStats& s) {
    if (s.failed) return "failed";
    if (s.unreachable) return "unreachable";
    if (s.changed) return "changed";
    return "ok";
}

// A task column of the matrix: its play and its record.
struct Column {
    std::string id;  // "p<play>t<task>", the value of the task filter
    std::string label;
    const TaskRecord* task;
};

const char* cell_text(const HostOutcome& o, bool check) {
    switch (o.status) {
        case Status::Ok: return "ok";
        case Status::Changed: return check ? "drift" : "changed";
        case Status::Failed: return o.ignored ? "ignored" : "FAILED";
        case Status::Skipped: return "skip";
        case Status::Unreachable: return "UNREACH";
    }
    return "";
}

std::string status_class(const HostOutcome& o) {
    if (o.status == Status::Failed && o.ignored) return "ok";
    return status_name(o.status);
}

std::string diff_html(const std::vector<DiffLine>& lines) {
    std::string out = "<pre class=\"diff\">";
    for (const auto& l : lines) {
        const char* cls = l.kind == DiffLine::Added     ? "add"
                          : l.kind == DiffLine::Removed ? "del"
                          : l.kind == DiffLine::Hunk    ? "hunk"
                          : l.kind == DiffLine::Note    ? "note"
                          : l.kind == DiffLine::Header  ? "hdr"
                                                        : "";
        out += *cls ? "<span class=\"" + std::string(cls) + "\">" + esc(l.text) + "</span>\n" : esc(l.text) + "\n";
    }
    return out + "</pre>";
}

std::string host_list(const std::vector<std::string>& hosts) {
    std::vector<std::string> sorted = hosts;
    std::sort(sorted.begin(), sorted.end(), natural_less);
    std::string out;
    for (const auto& h : sorted) out += (out.empty() ? "" : " ") + h;
    return out;
}

std::string who(const std::vector<std::string>& hosts) {
    return hosts.size() == 1 ? "on " + hosts.front()
                             : "same on " + describe_hosts(hosts) + " (" + std::to_string(hosts.size()) + " hosts)";
}

// Columns of the matrix: one a task, in play order.
std::vector<Column> columns_of(const RunRecord& r) {
    std::vector<Column> columns;
    for (size_t p = 0; p < r.plays.size(); ++p)
        for (size_t t = 0; t < r.plays[p].tasks.size(); ++t) {
            const TaskRecord& task = r.plays[p].tasks[t];
            // Fact gathering gets a column only when it went wrong somewhere.
            if (task.name == "Gathering Facts" &&
                std::all_of(task.hosts.begin(), task.hosts.end(), [](const auto& kv) { return kv.second.status == Status::Ok; }))
                continue;
            std::string label = (task.handler ? "handler: " : "") + task.name;
            if (r.plays.size() > 1) label = r.plays[p].name + ": " + label;
            columns.push_back({"p" + std::to_string(p) + "t" + std::to_string(t), label, &task});
        }
    return columns;
}

// The document head and the title line.
std::string html_head(const RunRecord& r) {
    std::string h;
    std::string title = "upkeep report: " + r.playbook + (r.check ? " (dry run)" : "");
    h += "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n";
    h += "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
         "script-src 'unsafe-inline'\">\n";
    h += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
    h += "<title>" + esc(title) + "</title>\n<style>" + std::string(k_html_report_css) + "</style></head>\n<body>\n";
    char dur[32];
    std::snprintf(dur, sizeof dur, "%.1f s", r.seconds);
    h += "<h1>" + esc(title) + "</h1>\n<p class=\"meta\">started " + esc(r.started) + " UTC, took " + dur + ", " +
         (r.check ? "dry run (<code>--check</code>): changed means the host has drifted from the playbook"
                  : "real run") +
         "</p>\n";
    return h;
}

// Counts of hosts by state and the per-host statistics table.
std::string html_summary(const RunRecord& r, const std::vector<HostStats>& stats) {
    std::map<std::string, int> state_count;
    for (const auto& s : stats) state_count[host_state(s)]++;
    std::string h;
    h += "<h2>Summary</h2>\n<div class=\"cards\" id=\"summary\">\n";
    h += "<div class=\"card\"><span class=\"count\" id=\"count-hosts\">" + std::to_string(stats.size()) + "</span>hosts</div>\n";
    for (const char* s : {"ok", "changed", "failed", "unreachable"})
        h += "<div class=\"card s-" + std::string(s) + "\"><span class=\"count\" id=\"count-" + s + "\">" +
             std::to_string(state_count[s]) + "</span>" + (r.check && std::string(s) == "changed" ? "drifted" : s) +
             "</div>\n";
    h += "</div>\n<table id=\"stats\"><thead><tr><th>host</th><th>ok</th><th>changed</th><th>failed</th>"
         "<th>unreachable</th><th>skipped</th><th>rescued</th><th>ignored</th></tr></thead><tbody>\n";
    for (const auto& s : stats)
        h += "<tr class=\"s-" + host_state(s) + "\"><td>" + esc(s.host) + "</td><td>" + std::to_string(s.ok) + "</td><td>" +
             std::to_string(s.changed) + "</td><td>" + std::to_string(s.failed) + "</td><td>" +
             std::to_string(s.unreachable) + "</td><td>" + std::to_string(s.skipped) + "</td><td>" +
             std::to_string(s.rescued) + "</td><td>" + std::to_string(s.ignored) + "</td></tr>\n";
    h += "</tbody></table>\n";
    return h;
}

// The status, host and task filters and the search box.
std::string html_toolbar(const std::vector<HostStats>& stats, const std::vector<Column>& columns) {
    std::string h;
    h += "<div class=\"toolbar\">\n";
    for (const char* s : {"all", "changed", "failed"})
        h += "<button type=\"button\" class=\"status-filter" + std::string(std::string(s) == "all" ? " active" : "") +
             "\" id=\"filter-" + s + "\" data-status=\"" + s + "\">" + s + "</button>\n";
    h += "<select id=\"filter-host\"><option value=\"\">every host</option>";
    for (const auto& s : stats) h += "<option value=\"" + esc(s.host) + "\">" + esc(s.host) + "</option>";
    h += "</select>\n<select id=\"filter-task\"><option value=\"\">every task</option>";
    for (const auto& c : columns) h += "<option value=\"" + c.id + "\">" + esc(c.label) + "</option>";
    h += "</select>\n<input id=\"search\" type=\"search\" placeholder=\"search hosts, diffs, messages\">\n"
         "<span>showing <b id=\"shown-hosts\"></b> hosts, <b id=\"shown-entries\"></b> entries</span>\n</div>\n";
    return h;
}

// Host x task matrix: a row a host (its states and failure text for the filters), a cell a task.
std::string html_matrix(const RunRecord& r, const std::vector<HostStats>& stats, const std::vector<Column>& columns) {
    std::string h;
    h += "<h2>Hosts &times; tasks</h2>\n<table id=\"matrix\"><thead><tr><th>host</th>";
    for (size_t i = 0; i < columns.size(); ++i)
        h += "<th data-task=\"" + columns[i].id + "\" title=\"" + esc(columns[i].label) + "\">" + std::to_string(i + 1) + "</th>";
    h += "</tr></thead><tbody>\n";
    for (const auto& s : stats) {
        std::set<std::string> states;
        std::string cells, text;
        for (const auto& c : columns) {
            auto it = c.task->hosts.find(s.host);
            if (it == c.task->hosts.end()) {
                cells += "<td class=\"cell s-none\" data-task=\"" + c.id + "\"></td>";
                continue;
            }
            const HostOutcome& o = it->second;
            std::string cls = status_class(o);
            states.insert(cls);
            if (cls == "unreachable") states.insert("failed");  // the "failed" filter shows both
            if (o.status != Status::Ok && o.status != Status::Skipped) text += " " + c.task->name + " " + o.msg;
            cells += "<td class=\"cell s-" + cls + "\" data-task=\"" + c.id + "\" title=\"" +
                     esc(s.host + " / " + c.label + ": " + cell_text(o, r.check) + (o.msg.empty() ? "" : " (" + o.msg + ")")) +
                     "\">" + cell_text(o, r.check) + "</td>";
        }
        std::string st;
        for (const auto& x : states) st += (st.empty() ? "" : " ") + x;
        h += "<tr data-host=\"" + esc(s.host) + "\" data-states=\"" + esc(st) + "\" data-text=\"" + esc(text) + "\"><th>" +
             esc(s.host) + "</th>" + cells + "</tr>\n";
    }
    h += "</tbody></table>\n<ol class=\"legend\">";
    for (const auto& c : columns) h += "<li>" + esc(c.label) + "</li>";
    h += "</ol>\n";
    return h;
}

// Problems and changes, grouped across hosts: identical failures and diffs show once.
std::string html_entries(const RunRecord& r, const std::vector<Column>& columns) {
    std::string h;
    std::string problems, changes;
    int n_problems = 0, n_changes = 0;
    for (const auto& c : columns) {
        std::vector<std::string> hosts = c.task->host_order;
        std::sort(hosts.begin(), hosts.end(), natural_less);
        DiffGrouper diffs;
        std::vector<std::pair<std::string, std::vector<std::string>>> failures;  // "status\nmsg" -> hosts
        for (const auto& host : hosts) {
            const HostOutcome& o = c.task->hosts.at(host);
            if ((o.status == Status::Failed && !o.ignored) || o.status == Status::Unreachable) {
                std::string key = std::string(status_name(o.status)) + "\n" + o.msg;
                auto f = std::find_if(failures.begin(), failures.end(), [&](const auto& x) { return x.first == key; });
                if (f == failures.end()) failures.push_back({key, {host}});
                else f->second.push_back(host);
            }
            if (o.status == Status::Changed || !o.diff.empty()) diffs.add(host, "", o.diff.empty() ? std::vector<DiffLine>{{DiffLine::Note, o.would_run ? "would run" : "changed"}} : o.diff);
        }
        for (const auto& [key, fh] : failures) {
            std::string st = key.substr(0, key.find('\n'));
            problems += "<div class=\"entry s-" + st + "\" data-task=\"" + c.id + "\" data-status=\"failed " + st +
                        "\" data-hosts=\"" + esc(host_list(fh)) + "\"><h3>" + esc(c.label) + " <span class=\"hosts\">" +
                        esc(st + " " + who(fh)) + "</span></h3><div class=\"msg\">" + esc(key.substr(key.find('\n') + 1)) +
                        "</div></div>\n";
            ++n_problems;
        }
        for (const auto& g : diffs.groups()) {
            changes += "<div class=\"entry\" data-task=\"" + c.id + "\" data-status=\"changed\" data-hosts=\"" +
                       esc(host_list(g.hosts)) + "\"><h3>" + esc(c.label) + " <span class=\"hosts\">" +
                       esc((r.check ? "would change " : "changed ") + who(g.hosts)) + "</span></h3>" + diff_html(g.lines) +
                       "</div>\n";
            ++n_changes;
        }
    }
    h += "<h2>Failures <span id=\"count-problem-entries\">" + std::to_string(n_problems) + "</span></h2>\n<div id=\"problems\">\n" +
         (problems.empty() ? "<p>none</p>\n" : problems) + "</div>\n";
    h += "<h2>" + std::string(r.check ? "Drift" : "Changes") + " <span id=\"count-change-entries\">" +
         std::to_string(n_changes) + "</span></h2>\n<div id=\"changes\">\n" + (changes.empty() ? "<p>none</p>\n" : changes) +
         "</div>\n";
    return h;
}

}  // namespace

std::string html_report(const RunRecord& r) {
    std::vector<Column> columns = columns_of(r);
    std::vector<HostStats> stats = r.stats;
    std::sort(stats.begin(), stats.end(), [](const HostStats& a, const HostStats& b) { return natural_less(a.host, b.host); });
    std::string h = html_head(r);
    h += html_summary(r, stats);
    h += html_toolbar(stats, columns);
    h += html_matrix(r, stats, columns);
    h += html_entries(r, columns);
    if (!r.warnings.empty()) {
        h += "<h2>Warnings</h2>\n<ul id=\"warnings\">";
        for (const auto& w : r.warnings) h += "<li class=\"msg\">" + esc(w) + "</li>";
        h += "</ul>\n";
    }
    h += "<script>" + std::string(k_html_report_js) + "</script>\n</body></html>\n";
    return h;
}

HtmlReporter::HtmlReporter(std::string path) : m_path(std::move(path)) { check_report_path_writable(m_path, "HTML"); }

void HtmlReporter::finish(const RunRecord& record) {
    try {
        write_report_file(m_path, secrets().mask(html_report(record)), "HTML");
    } catch (const UserError& e) {
        m_write_error = e.what();
    }
}

}  // namespace upkeep
