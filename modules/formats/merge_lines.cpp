// Line-based merge for files without a known structure: diff3 over an LCS
// diff (dtl) of base->ours and base->theirs, or, without a base, a two-way
// merge of ours->theirs in which lines only ours has are carried over.
#include <dtl/dtl.hpp>

#include "engine/util/strings.hpp"
#include "modules/formats/merge_common.hpp"
#include "modules/formats/text_pos.hpp"

namespace upkeep::merge {

namespace {

using Lines = std::vector<std::string>;

Lines lines_of(const std::string& text) {
    Lines out;
    for (const auto& l : split_raw_lines(text)) out.push_back(l.text);
    return out;
}

// For each line of `a`, the index of its partner in `b` (or -1), from an LCS.
std::vector<long> match(const Lines& a, const Lines& b) {
    std::vector<long> m(a.size(), -1);
    dtl::Diff<std::string, Lines> d(a, b);
    d.compose();
    for (const auto& [elem, info] : d.getSes().getSequence())
        if (info.type == dtl::SES_COMMON) m[static_cast<size_t>(info.beforeIdx - 1)] = info.afterIdx - 1;
    return m;
}

Lines slice(const Lines& v, size_t b, size_t e) { return Lines(v.begin() + static_cast<long>(b), v.begin() + static_cast<long>(e)); }

std::string where(size_t first, size_t count) {
    if (count <= 1) return "line " + std::to_string(first + 1);
    return "lines " + std::to_string(first + 1) + "-" + std::to_string(first + count);
}

std::optional<std::string> joined(const Lines& l) {
    if (l.empty()) return std::nullopt;
    return join(l, "\n");
}

bool secret_lines(const Lines& a, const Lines& b) {
    for (const Lines* l : {&a, &b})
        for (const auto& line : *l)
            if (is_secret(line, line)) return true;
    return false;
}

}  // namespace

MergeResult merge_lines(const MergeInput& in) {
    Lines ours = lines_of(in.ours), theirs = lines_of(in.theirs);
    MergeResult res;
    Lines out;
    auto take = [&](const Lines& o, const Lines& t, const std::optional<Lines>& b, size_t t_at) {
        Pick p = pick(b ? joined(*b) : std::nullopt, b.has_value(), joined(o), joined(t));
        if (p == Pick::Conflict) {
            res.conflicts.push_back({where(t_at, t.size()) + " of the new file", joined(o), joined(t),
                                     b ? joined(*b) : std::nullopt, secret_lines(o, t)});
            p = resolve(p, in.prefer);
        }
        if (p == Pick::Ours && o != t) res.carried.push_back(where(out.size(), o.size()) + " from ours");
        const Lines& chosen = p == Pick::Ours ? o : t;
        out.insert(out.end(), chosen.begin(), chosen.end());
    };

    if (in.base) {
        Lines base = lines_of(*in.base);
        std::vector<long> mo = match(base, ours), mt = match(base, theirs);
        size_t i = 0, j = 0, k = 0;
        while (true) {
            while (i < base.size() && mo[i] == static_cast<long>(j) && mt[i] == static_cast<long>(k)) {
                out.push_back(base[i]);
                ++i, ++j, ++k;
            }
            if (i == base.size() && j == ours.size() && k == theirs.size()) break;
            size_t i2 = i;
            while (i2 < base.size() && (mo[i2] < 0 || mt[i2] < 0)) ++i2;
            size_t j2 = i2 < base.size() ? static_cast<size_t>(mo[i2]) : ours.size();
            size_t k2 = i2 < base.size() ? static_cast<size_t>(mt[i2]) : theirs.size();
            take(slice(ours, j, j2), slice(theirs, k, k2), slice(base, i, i2), k);
            i = i2, j = j2, k = k2;
        }
    } else {
        std::vector<long> m = match(ours, theirs);
        size_t j = 0, k = 0;
        while (j < ours.size() || k < theirs.size()) {
            while (j < ours.size() && m[j] == static_cast<long>(k)) {
                out.push_back(ours[j]);
                ++j, ++k;
            }
            if (j == ours.size() && k == theirs.size()) break;
            size_t j2 = j;
            while (j2 < ours.size() && m[j2] < 0) ++j2;
            size_t k2 = j2 < ours.size() ? static_cast<size_t>(m[j2]) : theirs.size();
            Lines o = slice(ours, j, j2), t = slice(theirs, k, k2);
            // Two-way: a pure insertion on either side is kept; a replacement is a conflict.
            if (o.empty() || t.empty()) {
                Lines both = o.empty() ? t : o;
                if (!o.empty()) res.carried.push_back(where(out.size(), o.size()) + " from ours");
                out.insert(out.end(), both.begin(), both.end());
            } else {
                take(o, t, std::nullopt, k);
            }
            j = j2, k = k2;
        }
    }
    std::string nl = detect_newline(in.theirs);
    bool final_eol = in.theirs.empty() || in.theirs.back() == '\n' || in.theirs.back() == '\r';
    res.text = join(out, nl);
    if (!out.empty() && final_eol) res.text += nl;
    return res;
}

}  // namespace upkeep::merge
