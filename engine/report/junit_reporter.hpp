// JunitReporter (--report-junit FILE): the run as JUnit XML for CI systems
// (GitLab, Jenkins, GitHub test reporters). One <testsuite> per play, one
// <testcase> per host x task (classname = host, name = task). A failed task is
// a <failure>, an unreachable host an <error>, a skipped task <skipped/>; in a
// dry run a task that would change the host is a <failure type="drift"> whose
// text is the diff, so "the audit found drift" fails the CI job's test view.
// Written atomically at the end (report_file), secrets masked.
#pragma once

#include <string>

#include "engine/report/run_record.hpp"

namespace upkeep {

// The JUnit XML text of a run.
std::string junit_xml(const RunRecord& record);

class JunitReporter : public RecordingReporter {
public:
    // Throws UserError when the report could not be written there (checked first).
    explicit JunitReporter(std::string path);
    // Why the report could not be written at the end ("" when it was).
    const std::string& write_error() const { return m_write_error; }

protected:
    void finish(const RunRecord& record) override;

private:
    std::string m_path;
    std::string m_write_error;
};

}  // namespace upkeep
