// The diff of one host's task result as lines a reporter can print, and the
// grouping of identical diffs across hosts: a fleet of 200 hosts that all get the
// same edit shows it once, "same change on kvm01…kvm200". Secrets are masked (a
// diff that holds one is replaced by a note) exactly as in every other output.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "engine/report/reporter.hpp"

namespace upkeep {

struct DiffLine {
    enum Kind { Context, Header, Removed, Added, Hunk, Note } kind = Context;
    std::string text;  // without the newline
};

// The lines --diff shows for r (empty when it shows nothing: no changes, or a
// no_log task), secrets masked.
std::vector<DiffLine> diff_lines(const HostResult& r);

// The lines of a unified diff (its two header lines, then hunks), appended to `out`;
// diff_lines() and `report merge` (which reads them back from JSON reports) both use it.
void append_unified_diff(const std::string& diff, std::vector<DiffLine>& out);

std::string join_diff_lines(const std::vector<DiffLine>& lines);

// Identical diffs of one task (the same item, the same lines) across hosts, in
// the order they were first seen.
class DiffGrouper {
public:
    struct Group {
        std::string item;  // loop item label ("" without a loop)
        std::vector<DiffLine> lines;
        std::vector<std::string> hosts;
    };
    void add(const std::string& host, const std::string& item, std::vector<DiffLine> lines);
    const std::vector<Group>& groups() const { return m_groups; }
    bool empty() const { return m_groups.empty(); }
    void clear();

private:
    std::vector<Group> m_groups;
    std::map<std::string, size_t> m_index;  // item + text -> group
};

}  // namespace upkeep
