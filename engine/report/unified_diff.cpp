#include "engine/report/unified_diff.hpp"

#include <dtl/dtl.hpp>

#include <algorithm>
#include <vector>

#include "engine/util/strings.hpp"

namespace upkeep {

namespace {

struct Line {
    char op;  // ' ', '-', '+'
    std::string text;
    long a, b;  // 1-based line numbers in before/after (0 when absent)
};

std::string render_line(char op, const std::string& text) {
    std::string out(1, op);
    if (!text.empty() && text.back() == '\n') return out + text;
    return out + text + "\n\\ No newline at end of file\n";
}

}  // namespace

std::string unified_diff(const std::string& before, const std::string& after, const std::string& label, int context) {
    if (before == after) return "";
    std::vector<std::string> a = split_lines_keep(before), b = split_lines_keep(after);
    dtl::Diff<std::string, std::vector<std::string>> d(a, b);
    d.compose();
    std::vector<Line> lines;
    long ai = 0, bi = 0;
    for (const auto& [elem, info] : d.getSes().getSequence()) {
        switch (info.type) {
            case dtl::SES_COMMON: lines.push_back({' ', elem, ++ai, ++bi}); break;
            case dtl::SES_DELETE: lines.push_back({'-', elem, ++ai, 0}); break;
            case dtl::SES_ADD: lines.push_back({'+', elem, 0, ++bi}); break;
        }
    }
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
    std::string out = "--- before: " + label + "\n+++ after: " + label + "\n";
    size_t n = lines.size(), i = 0;
    while (i < n) {
        while (i < n && lines[i].op == ' ') ++i;
        if (i >= n) break;
        size_t start = i >= static_cast<size_t>(context) ? i - context : 0;
        size_t end = i;
        // Extend the hunk while the next change is within 2*context lines.
        size_t j = i;
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
        size_t stop = std::min(n, end + 1 + context);
        long a_start = 0, b_start = 0, a_len = 0, b_len = 0;
        // Line numbers: count lines of each side before `start`.
        long a_before = 0, b_before = 0;
        for (size_t x = 0; x < start; ++x) {
            if (lines[x].op != '+') ++a_before;
            if (lines[x].op != '-') ++b_before;
        }
        for (size_t x = start; x < stop; ++x) {
            if (lines[x].op != '+') ++a_len;
            if (lines[x].op != '-') ++b_len;
        }
        a_start = a_len ? a_before + 1 : a_before;
        b_start = b_len ? b_before + 1 : b_before;
        out += "@@ -" + std::to_string(a_start) + (a_len == 1 ? "" : "," + std::to_string(a_len)) + " +" +
               std::to_string(b_start) + (b_len == 1 ? "" : "," + std::to_string(b_len)) + " @@\n";
        for (size_t x = start; x < stop; ++x) out += render_line(lines[x].op, lines[x].text);
        i = stop;
    }
    return out;
}

}  // namespace upkeep
