#include "engine/cli/report_command.hpp"

#include <cstdio>

#include "engine/report/html_reporter.hpp"
#include "engine/report/junit_reporter.hpp"
#include "engine/report/report_file.hpp"
#include "engine/report/report_merge.hpp"
#include "engine/util/error.hpp"
#include "engine/value/yaml.hpp"

namespace upkeep {

CLI::App* add_report_command(CLI::App& app, ReportArgs& a) {
    CLI::App* report = app.add_subcommand("report", "work with report files: merge the JSON reports of shards");
    report->require_subcommand(1);
    a.merge = report->add_subcommand("merge", "merge JSON reports (of --shard runs) into one JSON, HTML and/or JUnit report");
    a.merge->add_option("reports", a.inputs, "JSON reports written by --report-json")->required();
    a.merge->add_option("--json", a.json, "write the merged JSON report here");
    a.merge->add_option("--html", a.html, "write the merged report as self-contained HTML here");
    a.merge->add_option("--junit", a.junit, "write the merged report as JUnit XML here");
    return report;
}

int run_report_command(const ReportArgs& a) {
    try {
        if (a.json.empty() && a.html.empty() && a.junit.empty())
            throw UserError("report merge: say what to write (--json, --html and/or --junit)");
        std::vector<Value> docs;
        for (const auto& in : a.inputs) {
            Value v = load_yaml_file(in);  // JSON is YAML
            if (!v.is_map() || !v.get("plays").is_list() || !v.get("stats").is_map())
                throw UserError("report merge: " + in + " is not a JSON report of upkeep (--report-json)");
            docs.push_back(std::move(v));
        }
        Value merged = merge_json_reports(docs, a.inputs);
        if (!a.json.empty()) write_report_file(a.json, json_text_valid_utf8(merged.to_json()) + "\n", "JSON");
        RunRecord record = run_record_from_json(merged);
        if (!a.html.empty()) write_report_file(a.html, html_report(record), "HTML");
        if (!a.junit.empty()) write_report_file(a.junit, junit_xml(record), "JUnit");
        return 0;
    } catch (const UserError& e) {
        std::fprintf(stderr, "ERROR: %s\n", e.describe().c_str());
        return 1;
    }
}

}  // namespace upkeep
