// .properties merge by key: theirs is the skeleton (its order, comments and
// new defaults), the operator's values are set into it in place, keys only the
// operator has are appended, keys the operator removed are removed.
#include <set>

#include "modules/formats/merge_common.hpp"
#include "modules/formats/properties_doc.hpp"
#include "engine/util/strings.hpp"

namespace upkeep::merge {

MergeResult merge_properties(const MergeInput& in) {
    using properties::Document;
    std::optional<Document> base;
    if (in.base) base = Document::parse(*in.base, in.filename + " (base)");
    Document ours = Document::parse(in.ours, in.filename);
    Document theirs = Document::parse(in.theirs, in.filename + " (new)");
    Document out = theirs;

    // Keys in the order they are first seen: theirs, then ours, then base.
    std::vector<std::string> keys;
    std::set<std::string> seen;
    for (const Document* d : {&theirs, &ours, base ? &*base : nullptr}) {
        if (!d) continue;
        for (const auto& e : d->entries())
            if (seen.insert(e.key).second) keys.push_back(e.key);
    }

    MergeResult res;
    for (const auto& key : keys) {
        std::optional<std::string> b = base ? base->get(key) : std::nullopt;
        std::optional<std::string> o = ours.get(key), t = theirs.get(key);
        Pick p = pick(b, base.has_value(), o, t);
        if (p == Pick::Conflict) {
            res.conflicts.push_back({"key '" + key + "'", o, t, b, is_secret(key, o) || is_secret(key, t)});
            p = resolve(p, in.prefer);
        }
        if (p != Pick::Ours) continue;
        if (o) {
            out.set(key, *o);
            res.carried.push_back(t ? "key '" + key + "' set" : "key '" + key + "' added");
        } else {
            out.remove(key);
            res.carried.push_back("key '" + key + "' removed");
        }
    }
    // The operator's comments travel with their keys: comment lines right above a
    // key in ours that neither the new nor the old package has (by trimmed text)
    // are put above that key in the result, unless already there.
    std::set<std::string> package_lines;
    for (const Document* d : {&theirs, base ? &*base : nullptr}) {
        if (!d) continue;
        for (const auto& line : split(d->render(), '\n')) package_lines.insert(trim(line));
    }
    for (const auto& key : keys) {
        if (!ours.get(key) || !out.get(key)) continue;
        std::set<std::string> present;
        for (const auto& line : out.comments_above(key)) present.insert(trim(line));
        std::string block;
        size_t carried = 0;
        for (const auto& line : ours.comments_above(key)) {
            std::string t = trim(line);
            if (package_lines.count(t) || present.count(t)) continue;
            block += line;
            ++carried;
        }
        if (block.empty()) continue;
        if (block.back() != '\n' && block.back() != '\r') block += out.newline();
        out.insert_above(key, block);
        res.carried.push_back("comment above key '" + key + "' (" + std::to_string(carried) + " line" +
                              (carried == 1 ? "" : "s") + ")");
    }
    res.text = out.render();
    return res;
}

}  // namespace upkeep::merge
