#include "engine/report/diff_groups.hpp"

#include "engine/report/diff_limit.hpp"
#include "engine/report/secret_registry.hpp"
#include "engine/report/unified_diff.hpp"
#include "engine/util/strings.hpp"

namespace upkeep {

std::vector<DiffLine> diff_lines(const HostResult& r) {
    std::vector<DiffLine> out;
    if (r.no_log) return out;  // nothing of a no_log task's arguments, not even the target
    for (const auto& c : r.changes) {
        if (c.secret || secrets().appears_in(c.before.or_empty()) || secrets().appears_in(c.after.or_empty())) {
            // The summary says what changes without the secret bytes ("encrypt (now plain text)").
            if (c.before || c.after)
                out.push_back({DiffLine::Note, "diff of " + secrets().mask(c.target) + " hidden: it contains secrets" +
                                                   (c.summary.empty() ? "" : " (" + secrets().mask(c.summary) + ")")});
            continue;
        }
        if (!c.before && !c.after) {
            out.push_back({DiffLine::Note, secrets().mask(c.target + ": " + c.summary)});
            continue;
        }
        if (std::string skipped = diff_skipped(c); !skipped.empty()) {
            out.push_back({DiffLine::Note, secrets().mask(c.target + ": " + skipped)});
            continue;
        }
        std::string d = unified_diff(c.before.or_empty(), c.after.or_empty(), c.target);
        if (!c.before) d = "--- before: " + c.target + " (absent)\n" + d.substr(d.find('\n') + 1);
        append_unified_diff(secrets().mask(d), out);
    }
    return out;
}

void append_unified_diff(const std::string& diff, std::vector<DiffLine>& out) {
    int n = 0;
    for (const auto& raw : split_lines_keep(diff)) {
        std::string line = !raw.empty() && raw.back() == '\n' ? raw.substr(0, raw.size() - 1) : raw;
        DiffLine::Kind k = n < 2 ? DiffLine::Header
                           : line.empty()    ? DiffLine::Context
                           : line[0] == '+'  ? DiffLine::Added
                           : line[0] == '-'  ? DiffLine::Removed
                           : line[0] == '@'  ? DiffLine::Hunk
                                             : DiffLine::Context;
        out.push_back({k, line});
        ++n;
    }
}

std::string join_diff_lines(const std::vector<DiffLine>& lines) {
    std::string s;
    for (const auto& l : lines) s += l.text + "\n";
    return s;
}

void DiffGrouper::add(const std::string& host, const std::string& item, std::vector<DiffLine> lines) {
    if (lines.empty()) return;
    std::string key = item + '\0' + join_diff_lines(lines);
    auto it = m_index.find(key);
    if (it != m_index.end()) {
        m_groups[it->second].hosts.push_back(host);
        return;
    }
    m_index[key] = m_groups.size();
    m_groups.push_back({item, std::move(lines), {host}});
}

void DiffGrouper::clear() {
    m_groups.clear();
    m_index.clear();
}

}  // namespace upkeep
