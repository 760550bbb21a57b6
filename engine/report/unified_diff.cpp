#include "engine/report/unified_diff.hpp"

#include <dtl/dtl.hpp>

#include <algorithm>
#include <string_view>
#include <vector>

#include "engine/util/strings.hpp"

namespace upkeep {

namespace {

struct Line {
    char op;                // ' ', '-', '+'
    std::string_view text;  // a view into before or after
};

void render_line(std::string& out, char op, std::string_view text) {
    out += op;
    out.append(text);
    if (text.empty() || text.back() != '\n') out += "\n\\ No newline at end of file\n";
}

// The diff as a sequence of lines: up to `context` common lines before the changed
// middle, the middle as dtl's edit script (deletions first within each run of
// changes), up to `context` common lines after. `skipped` is how many common lines
// came before the first kept one, for the hunk numbers.
std::vector<Line> diff_lines(const std::vector<std::string_view>& a, const std::vector<std::string_view>& b, int context,
                             size_t& skipped) {
    // The common head and tail are not diffed (GNU diff does the same): a one-line
    // change in a 10 MB file diffs one line, not 130,000, in time and memory.
    size_t head = 0;
    while (head < a.size() && head < b.size() && a[head] == b[head]) ++head;
    size_t tail = 0;
    while (tail < a.size() - head && tail < b.size() - head && a[a.size() - 1 - tail] == b[b.size() - 1 - tail]) ++tail;
    // Only the context lines next to the changed middle are kept as lines; `skipped`
    // counts the common lines before them (the same on both sides) for the numbers.
    skipped = head > static_cast<size_t>(context) ? head - context : 0;
    std::vector<Line> lines;
    for (size_t i = skipped; i < head; ++i) lines.push_back({' ', a[i]});
    std::vector<std::string_view> mid_a(a.begin() + static_cast<long>(head), a.end() - static_cast<long>(tail));
    std::vector<std::string_view> mid_b(b.begin() + static_cast<long>(head), b.end() - static_cast<long>(tail));
    dtl::Diff<std::string_view, std::vector<std::string_view>> d(mid_a, mid_b);
    d.compose();
    for (const auto& [elem, info] : d.getSes().getSequence()) {
        switch (info.type) {
            case dtl::SES_COMMON: lines.push_back({' ', elem}); break;
            case dtl::SES_DELETE: lines.push_back({'-', elem}); break;
            case dtl::SES_ADD: lines.push_back({'+', elem}); break;
        }
    }
    for (size_t i = a.size() - tail; i < a.size() && i < a.size() - tail + static_cast<size_t>(context); ++i)
        lines.push_back({' ', a[i]});
    // dtl may emit a change's additions before its deletions; a unified diff
    // shows the old lines first within each run of changes.
    for (size_t i = 0; i < lines.size();) {
        if (lines[i].op == ' ') {
            ++i;
            continue;
        }
        size_t j = i;
        while (j < lines.size() && lines[j].op != ' ') ++j;
        std::stable_partition(lines.begin() + i, lines.begin() + j, [](const Line& l) { return l.op == '-'; });
        i = j;
    }
    return lines;
}

// The last changed line of the hunk whose first change is at i: the hunk goes on
// while the next change is within 2*context lines.
size_t hunk_last_change(const std::vector<Line>& lines, size_t i, int context) {
    size_t n = lines.size(), end = i, j = i;
    while (j < n) {
        if (lines[j].op != ' ') {
            end = j;
            ++j;
            continue;
        }
        size_t k = j;
        while (k < n && lines[k].op == ' ') ++k;
        if (k < n && k - j <= static_cast<size_t>(2 * context)) {
            j = k;
            continue;
        }
        break;
    }
    return end;
}

// "@@ -a_start,a_len +b_start,b_len @@" for the lines [start, stop).
std::string hunk_header(const std::vector<Line>& lines, size_t start, size_t stop, size_t skipped) {
    long a_len = 0, b_len = 0;
    // Line numbers: count lines of each side before `start`.
    long a_before = static_cast<long>(skipped), b_before = static_cast<long>(skipped);
    for (size_t x = 0; x < start; ++x) {
        if (lines[x].op != '+') ++a_before;
        if (lines[x].op != '-') ++b_before;
    }
    for (size_t x = start; x < stop; ++x) {
        if (lines[x].op != '+') ++a_len;
        if (lines[x].op != '-') ++b_len;
    }
    long a_start = a_len ? a_before + 1 : a_before;
    long b_start = b_len ? b_before + 1 : b_before;
    return "@@ -" + std::to_string(a_start) + (a_len == 1 ? "" : "," + std::to_string(a_len)) + " +" +
           std::to_string(b_start) + (b_len == 1 ? "" : "," + std::to_string(b_len)) + " @@\n";
}

}  // namespace

std::string unified_diff(const std::string& before, const std::string& after, const std::string& label, int context) {
    if (before == after) return "";
    size_t skipped = 0;
    std::vector<Line> lines = diff_lines(split_lines_view(before), split_lines_view(after), context, skipped);
    std::string out = "--- before: " + label + "\n+++ after: " + label + "\n";
    size_t n = lines.size(), i = 0;
    while (i < n) {
        while (i < n && lines[i].op == ' ') ++i;
        if (i >= n) break;
        size_t start = i >= static_cast<size_t>(context) ? i - context : 0;
        size_t stop = std::min(n, hunk_last_change(lines, i, context) + 1 + context);
        out += hunk_header(lines, start, stop, skipped);
        for (size_t x = start; x < stop; ++x) render_line(out, lines[x].op, lines[x].text);
        i = stop;
    }
    return out;
}

}  // namespace upkeep
