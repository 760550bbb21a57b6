#include "engine/report/junit_reporter.hpp"

#include <algorithm>
#include <cstdio>

#include "engine/report/host_ranges.hpp"
#include "engine/report/markup.hpp"
#include "engine/report/report_file.hpp"
#include "engine/report/secret_registry.hpp"
#include "engine/util/error.hpp"

namespace upkeep {

namespace {

std::string seconds(double s) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.3f", s);
    return buf;
}

std::string attr(const char* name, const std::string& value) { return std::string(" ") + name + "=\"" + xml_escape(value) + "\""; }

struct Counts {
    int tests = 0, failures = 0, errors = 0, skipped = 0;
    double time = 0;
};

// Task names repeat (two "restart" tasks, a task per serial batch): a suffix keeps
// each host's test cases distinct, as CI systems key them by classname + name.
std::string case_name(const TaskRecord& t) { return t.handler ? "handler: " + t.name : t.name; }

std::string testcase(const std::string& host, const std::string& name, const HostOutcome& o, bool check, Counts& c) {
    std::string x = "    <testcase" + attr("classname", host) + attr("name", name) + attr("time", seconds(o.seconds));
    c.tests++;
    c.time += o.seconds;
    std::string diff = join_diff_lines(o.diff);
    std::string body;
    switch (o.status) {
        case Status::Failed:
            if (o.ignored) {
                body = "      <system-out>" + xml_escape("failed (ignored): " + o.msg) + "</system-out>\n";
            } else {
                c.failures++;
                body = "      <failure" + attr("type", "failed") + attr("message", o.msg) + ">" + xml_escape(o.msg) +
                       "</failure>\n";
            }
            break;
        case Status::Unreachable:
            c.errors++;
            body = "      <error" + attr("type", "unreachable") + attr("message", o.msg) + ">" + xml_escape(o.msg) + "</error>\n";
            break;
        case Status::Skipped:
            c.skipped++;
            body = "      <skipped" + attr("message", o.msg) + "/>\n";
            break;
        case Status::Changed:
            if (check) {
                c.failures++;
                std::string what = o.would_run ? "drift: would run" : "drift: would change";
                body = "      <failure" + attr("type", "drift") + attr("message", what + (o.msg.empty() ? "" : ": " + o.msg)) +
                       ">" + xml_escape(diff.empty() ? o.msg : diff) + "</failure>\n";
            } else if (!diff.empty()) {
                body = "      <system-out>" + xml_escape("changed\n" + diff) + "</system-out>\n";
            }
            break;
        case Status::Ok: break;
    }
    return x + (body.empty() ? "/>\n" : ">\n" + body + "    </testcase>\n");
}

}  // namespace

std::string junit_xml(const RunRecord& record) {
    std::string suites;
    Counts all;
    for (const auto& play : record.plays) {
        Counts c;
        std::string cases;
        std::map<std::string, int> seen;
        for (const auto& t : play.tasks) {
            std::string name = case_name(t);
            int n = ++seen[name];
            if (n > 1) name += " (" + std::to_string(n) + ")";
            // Hosts in natural order (kvm2 before kvm10): the same run gives the same file.
            std::vector<std::string> hosts = t.host_order;
            std::sort(hosts.begin(), hosts.end(), natural_less);
            for (const auto& host : hosts) cases += testcase(host, name, t.hosts.at(host), record.check, c);
        }
        suites += "  <testsuite" + attr("name", play.name) + attr("tests", std::to_string(c.tests)) +
                  attr("failures", std::to_string(c.failures)) + attr("errors", std::to_string(c.errors)) +
                  attr("skipped", std::to_string(c.skipped)) + attr("time", seconds(c.time)) +
                  attr("timestamp", record.started) + ">\n" + cases + "  </testsuite>\n";
        all.tests += c.tests, all.failures += c.failures, all.errors += c.errors, all.skipped += c.skipped;
    }
    std::string name = "upkeep " + record.playbook + (record.check ? " (dry run)" : "");
    return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites" + attr("name", name) +
           attr("tests", std::to_string(all.tests)) + attr("failures", std::to_string(all.failures)) +
           attr("errors", std::to_string(all.errors)) + attr("skipped", std::to_string(all.skipped)) +
           attr("time", seconds(record.seconds)) + ">\n" + suites + "</testsuites>\n";
}

JunitReporter::JunitReporter(std::string path) : m_path(std::move(path)) { check_report_path_writable(m_path, "JUnit"); }

void JunitReporter::finish(const RunRecord& record) {
    try {
        // Masked once more as a whole: a secret split over fields is still caught.
        write_report_file(m_path, secrets().mask(junit_xml(record)), "JUnit");
    } catch (const UserError& e) {
        m_write_error = e.what();
    }
}

}  // namespace upkeep
