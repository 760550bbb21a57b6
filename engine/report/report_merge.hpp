// `upkeep report merge a.json b.json [--json F] [--html F] [--junit F]`: the JSON
// reports of the shards of one run (--shard I/N) as one report, and any report
// rendered again as HTML or JUnit. Works on report files only.
#pragma once

#include <string>
#include <vector>

#include "engine/report/run_record.hpp"
#include "engine/value/value.hpp"

namespace upkeep {

// Throws UserError when the reports are not of the same playbook and mode, or a
// host appears in two of them. `names` label the documents in messages.
Value merge_json_reports(const std::vector<Value>& docs, const std::vector<std::string>& names);

// A JSON report (as --report-json writes it) as the record the HTML and JUnit reports render.
RunRecord run_record_from_json(const Value& doc);

}  // namespace upkeep
