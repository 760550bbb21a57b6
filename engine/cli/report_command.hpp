// `upkeep report merge A.json B.json... [--json OUT] [--html OUT] [--junit OUT]`:
// the JSON reports of a run's shards (--shard I/N in a CI matrix) as one report,
// rendered as JSON, HTML and/or JUnit (report_merge.cpp).
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

namespace upkeep {

struct ReportArgs {
    std::vector<std::string> inputs;
    std::string json, html, junit;
    CLI::App* merge = nullptr;
};

CLI::App* add_report_command(CLI::App& app, ReportArgs& args);
int run_report_command(const ReportArgs& args);

}  // namespace upkeep
