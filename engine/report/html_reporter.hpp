// HtmlReporter (--report-html FILE): a report a person would rather read than a
// log. One self-contained file (inline style and script, a Content-Security-
// Policy that forbids loading anything): a summary (hosts ok / changed / failed /
// unreachable), a host x task matrix, every diff once with the hosts that share
// it ("same change on kvm01…kvm200"), failures grouped the same way, and filters
// (changed / failed, a host, a task) plus a search box. Everything is rendered
// as HTML here; the script only hides and shows. Secrets masked, written
// atomically at the end (report_file).
#pragma once

#include <string>

#include "engine/report/run_record.hpp"

namespace upkeep {

std::string html_report(const RunRecord& record);

class HtmlReporter : public RecordingReporter {
public:
    // Throws UserError when the report could not be written there (checked first).
    explicit HtmlReporter(std::string path);
    const std::string& write_error() const { return m_write_error; }

protected:
    void finish(const RunRecord& record) override;

private:
    std::string m_path;
    std::string m_write_error;
};

}  // namespace upkeep
