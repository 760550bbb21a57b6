// .properties merge by key: theirs is the skeleton (its order, comments and
// new defaults), the operator's values are set into it in place, keys only the
// operator has are appended, keys the operator removed are removed.
#include <set>

#include "modules/formats/merge_common.hpp"
#include "modules/formats/properties_doc.hpp"

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
    res.text = out.render();
    return res;
}

}  // namespace upkeep::merge
