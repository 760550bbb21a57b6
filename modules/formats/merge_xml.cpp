// XML merge by element identity. Elements are matched between base, ours and
// theirs by their path of names plus an identifying attribute (id, name, key,
// bean, class, ...), never by line, so an element the operator added next to one
// the new version renamed or re-indented still finds its place. The output is
// theirs' bytes with splices (xml_ops.hpp): changed attributes and leaf texts,
// elements the operator added (their own bytes, re-indented, placed after the
// sibling that precedes them in ours), and elements the operator removed.
#include <algorithm>
#include <cctype>
#include <map>
#include <set>

#include "engine/util/error.hpp"
#include "engine/util/strings.hpp"
#include "modules/formats/merge_common.hpp"
#include "modules/formats/xml_ops.hpp"

namespace upkeep::merge {

namespace {

using xml::Splice;
using xml::XmlSource;

// Attributes that name an element among its siblings. The first group always
// identifies; the second only when the element's name repeats among its
// siblings (in any of the versions), since a singleton such as
// <management-server class="..."> keeps its identity when its class changes.
const char* const k_identity_attrs[] = {"id", "name", "key", "bean", "ref"};
const char* const k_weak_identity_attrs[] = {"class", "path", "type", "library"};

std::string identity(pugi::xml_node el, bool repeated) {
    for (const char* a : k_identity_attrs)
        if (pugi::xml_attribute at = el.attribute(a)) return std::string(el.name()) + "[@" + a + "='" + at.value() + "']";
    if (repeated)
        for (const char* a : k_weak_identity_attrs)
            if (pugi::xml_attribute at = el.attribute(a))
                return std::string(el.name()) + "[@" + a + "='" + at.value() + "']";
    return el.name();
}

struct Keyed {
    std::string key;
    pugi::xml_node node;
};

// Element names that occur more than once under one of the parents.
std::set<std::string> repeated_names(std::initializer_list<pugi::xml_node> parents) {
    std::set<std::string> out;
    for (pugi::xml_node p : parents) {
        std::map<std::string, int> n;
        if (!p) continue;
        for (pugi::xml_node c = p.first_child(); c; c = c.next_sibling())
            if (c.type() == pugi::node_element && ++n[c.name()] > 1) out.insert(c.name());
    }
    return out;
}

// Element children with their keys; a repeated key gets "#2", "#3"...
std::vector<Keyed> keyed_children(pugi::xml_node parent, const std::set<std::string>& repeated) {
    std::vector<Keyed> out;
    std::map<std::string, int> seen;
    if (!parent) return out;
    for (pugi::xml_node c = parent.first_child(); c; c = c.next_sibling()) {
        if (c.type() != pugi::node_element) continue;
        std::string k = identity(c, repeated.count(c.name()) > 0);
        int n = ++seen[k];
        out.push_back({n == 1 ? k : k + "#" + std::to_string(n), c});
    }
    return out;
}

pugi::xml_node find_key(const std::vector<Keyed>& v, const std::string& key) {
    for (const auto& k : v)
        if (k.key == key) return k.node;
    return {};
}

std::optional<std::string> attr(pugi::xml_node el, const std::string& name) {
    if (!el) return std::nullopt;
    pugi::xml_attribute a = el.attribute(name.c_str());
    if (!a) return std::nullopt;
    return std::string(a.value());
}

bool has_element_children(pugi::xml_node el) {
    for (pugi::xml_node c = el.first_child(); c; c = c.next_sibling())
        if (c.type() == pugi::node_element) return true;
    return false;
}

std::string leading_text(pugi::xml_node el) {
    std::string t;
    for (pugi::xml_node c = el.first_child(); c; c = c.next_sibling()) {
        if (c.type() != pugi::node_pcdata && c.type() != pugi::node_cdata) break;
        t += c.value();
    }
    return t;
}

// The bytes of a comment node: from its "<!--" to one past its "-->".
std::pair<size_t, size_t> comment_span(const XmlSource& src, pugi::xml_node c) {
    size_t b = static_cast<size_t>(c.offset_debug()) - 4;
    size_t e = src.text().find("-->", b + 4);
    return {b, e == std::string::npos ? src.text().size() : e + 3};
}

// The whitespace before position `at` on its line, or "" when other text precedes it.
std::string indent_before(const std::string& text, size_t at) {
    size_t ls = at;
    while (ls > 0 && (text[ls - 1] == ' ' || text[ls - 1] == '\t')) --ls;
    if (ls > 0 && text[ls - 1] != '\n') return "";
    return text.substr(ls, at - ls);
}

// Trimmed texts of the comment children of `parent`.
std::set<std::string> comment_texts(pugi::xml_node parent) {
    std::set<std::string> out;
    if (!parent) return out;
    for (pugi::xml_node c = parent.first_child(); c; c = c.next_sibling())
        if (c.type() == pugi::node_comment) out.insert(trim(c.value()));
    return out;
}

// The identity key of the element a comment holds when it is a commented-out
// element ("<!--adapter name="FirstFit" .../-->" holds adapter[@name='FirstFit']), else "".
std::string commented_element_key(pugi::xml_node c, const std::set<std::string>& repeated) {
    // Two styles: "<!-- <adapter .../> -->" and "<!--adapter .../-->" (the comment's
    // own "<" and ">" stand for the element's).
    std::string body = trim(c.value());
    if (body.empty() || !std::isalpha(static_cast<unsigned char>(body.front() == '<' ? body[1] : body.front())))
        return "";
    std::string text = body.front() == '<' ? body : "<" + body + ">";
    pugi::xml_document doc;
    if (!doc.load_string(text.c_str(), pugi::parse_default)) return "";
    pugi::xml_node el = doc.document_element();
    if (!el || el.next_sibling()) return "";
    return identity(el, repeated.count(el.name()) > 0);
}

class XmlMerger {
public:
    XmlMerger(const MergeInput& in, const XmlSource* base, const XmlSource& ours, const XmlSource& theirs)
        : m_in(in), m_base(base), m_ours(ours), m_theirs(theirs) {}

    void run(MergeResult& res) {
        m_res = &res;
        merge_element(m_base ? m_base->root() : pugi::xml_node(), m_ours.root(), m_theirs.root(),
                      "/" + identity(m_theirs.root(), false));
    }
    std::vector<Splice>& splices() { return m_splices; }

private:
    // Records a conflict and returns how it was resolved.
    Pick conflict(const std::string& where, const std::string& name, std::optional<std::string> o,
                  std::optional<std::string> t, std::optional<std::string> b) {
        bool secret = is_secret(name, o) || is_secret(name, t) || is_secret(where, std::nullopt);
        m_res->conflicts.push_back({where, std::move(o), std::move(t), std::move(b), secret});
        return resolve(Pick::Conflict, m_in.prefer);
    }

    void merge_element(pugi::xml_node b, pugi::xml_node o, pugi::xml_node t, const std::string& path) {
        bool have_base = m_base != nullptr;
        // Attributes, in theirs' order then ours' then base's.
        std::vector<std::string> names;
        for (pugi::xml_node n : {t, o, b})
            if (n)
                for (pugi::xml_attribute a : n.attributes())
                    if (std::find(names.begin(), names.end(), a.name()) == names.end()) names.push_back(a.name());
        for (const auto& name : names) {
            auto bv = attr(b, name), ov = attr(o, name), tv = attr(t, name);
            Pick p = pick(bv, have_base, ov, tv);
            if (p == Pick::Conflict) p = conflict(path + "/@" + name, name, ov, tv, bv);
            if (p != Pick::Ours || ov == tv) continue;
            auto s = ov ? xml::set_attribute_splice(m_theirs, t, name, *ov) : xml::remove_attribute_splice(m_theirs, t, name);
            if (s) m_splices.push_back(*s);
            m_res->carried.push_back(path + "/@" + name + (ov ? " set" : " removed"));
        }
        // The text of leaf elements.
        if (!has_element_children(o) && !has_element_children(t)) {
            auto trimmed = [](pugi::xml_node n) -> std::optional<std::string> {
                if (!n) return std::nullopt;
                return trim(leading_text(n));
            };
            auto bv = b && !has_element_children(b) ? trimmed(b) : std::nullopt;
            auto ov = trimmed(o), tv = trimmed(t);
            Pick p = pick(bv, have_base && bv, ov, tv);
            if (p == Pick::Conflict) p = conflict(path + "/text()", path, ov, tv, bv);
            if (p == Pick::Ours && ov != tv) {
                if (auto s = xml::set_text_splice(m_theirs, t, leading_text(o))) m_splices.push_back(*s);
                m_res->carried.push_back(path + "/text() set");
            }
            return;
        }
        merge_children(b, o, t, path);
    }

    void merge_children(pugi::xml_node b, pugi::xml_node o, pugi::xml_node t, const std::string& path) {
        std::set<std::string> repeated = repeated_names({b, o, t});
        std::vector<Keyed> bk = keyed_children(b, repeated), ok = keyed_children(o, repeated),
                           tk = keyed_children(t, repeated);
        for (const auto& [key, tc] : tk) {
            pugi::xml_node oc = find_key(ok, key), bc = find_key(bk, key);
            if (oc) {
                merge_element(bc, oc, tc, path + "/" + key);
                continue;
            }
            if (!m_base || !bc) continue;  // a new element of the package: kept
            // The operator removed it.
            bool remove = xml::same_element(bc, tc);
            if (!remove)
                remove = conflict(path + "/" + key, key, std::nullopt, "(changed in the new version)", "(present)") ==
                         Pick::Ours;
            if (remove) {
                auto [ub, ue] = m_theirs.line_unit(tc);
                m_splices.push_back({ub, ue, ""});
                m_res->carried.push_back(path + "/" + key + " removed");
            }
        }
        carry_ours_children(b, t, path, repeated, bk, ok, tk);
    }

    // The children only ours has (the operator's additions, or elements the package
    // dropped that the operator changed): each goes where it was among its siblings.
    void carry_ours_children(pugi::xml_node b, pugi::xml_node t, const std::string& path, const std::set<std::string>& repeated,
                             const std::vector<Keyed>& bk, const std::vector<Keyed>& ok, const std::vector<Keyed>& tk) {
        std::map<std::string, pugi::xml_node> renamed = renames(bk, tk);
        // theirs' commented-out elements by the key of the element they hold.
        std::map<std::string, pugi::xml_node> commented;
        for (pugi::xml_node c = t.first_child(); c; c = c.next_sibling())
            if (c.type() == pugi::node_comment) {
                std::string k = commented_element_key(c, repeated);
                if (!k.empty() && !commented.count(k)) commented[k] = c;
            }
        // Comments both versions of the package have (or had) are theirs, not the operator's.
        std::set<std::string> package_comments = comment_texts(t);
        for (const auto& c : comment_texts(b)) package_comments.insert(c);
        auto theirs_node = [&](const std::string& k) -> pugi::xml_node {
            if (pugi::xml_node n = find_key(tk, k)) return n;
            auto r = renamed.find(k);
            return r == renamed.end() ? pugi::xml_node() : r->second;
        };
        std::vector<std::string> appended;
        for (size_t i = 0; i < ok.size(); ++i) {
            const auto& [key, oc] = ok[i];
            if (find_key(tk, key)) continue;
            pugi::xml_node bc = find_key(bk, key);
            if (auto cm = commented.find(key); cm != commented.end() && !(m_base && bc)) {
                // The operator uncommented an element the package ships commented out:
                // the element takes the comment's place; the package's comments around
                // it are already there, so none travel with it.
                auto [cb, ce] = comment_span(m_theirs, cm->second);
                auto [sb, se] = m_ours.element_span(oc);
                std::string indent = indent_before(m_theirs.text(), cb);
                m_splices.push_back({cb, ce,
                                     xml::reindent(m_ours.text().substr(sb, se - sb), m_ours.indent_of(oc), indent,
                                                   m_theirs.newline())});
                m_res->carried.push_back(path + "/" + key + " uncommented");
                commented.erase(cm);
                continue;
            }
            if (m_base && bc) {
                // The package removed it: keep it out, unless the operator had changed it.
                if (xml::same_element(bc, oc)) continue;
                if (conflict(path + "/" + key, key, "(changed by you)", std::nullopt, "(present)") != Pick::Ours)
                    continue;
            }
            auto [sb, se] = m_ours.element_span(oc);
            // The operator's comments just above the element travel with it; the
            // package's own comments (in theirs or base) are already in place.
            for (pugi::xml_node c = oc.previous_sibling(); c && c.type() == pugi::node_comment; c = c.previous_sibling()) {
                if (package_comments.count(trim(c.value()))) break;
                sb = static_cast<size_t>(c.offset_debug()) - 4;
            }
            std::string fragment =
                xml::reindent(m_ours.text().substr(sb, se - sb), m_ours.indent_of(oc), "", m_theirs.newline());
            m_res->carried.push_back(path + "/" + key + " added");
            // Place it after the nearest preceding sibling theirs also has, else
            // before the nearest following one, else last.
            pugi::xml_node anchor;
            bool after = true;
            // A sibling the package renamed still anchors: its new name stands in its place.
            for (size_t j = i; j-- > 0 && !anchor;) anchor = theirs_node(ok[j].key);
            for (size_t j = i + 1; j < ok.size() && !anchor; ++j) {
                anchor = theirs_node(ok[j].key);
                after = false;
            }
            if (!anchor) {
                appended.push_back(fragment);
                continue;
            }
            insert_next_to(anchor, fragment, after);
        }
        for (auto& s : xml::append_children_splices(m_theirs, t, appended)) m_splices.push_back(std::move(s));
    }

    // Elements the package renamed: a base element theirs lacks, matched with an
    // element only theirs has that stands in the same place (as many elements
    // common to both versions before it). Adapter chains are ordered, so the
    // operator's additions next to the old name must stay next to the new one.
    static std::map<std::string, pugi::xml_node> renames(const std::vector<Keyed>& bk, const std::vector<Keyed>& tk) {
        // rank: how many elements common to base and theirs precede position i.
        auto ranks = [&](const std::vector<Keyed>& v, const std::vector<Keyed>& other) {
            std::vector<int> r;
            int common = 0;
            for (const auto& k : v) {
                r.push_back(common);
                if (find_key(other, k.key)) ++common;
            }
            return r;
        };
        std::vector<int> br = ranks(bk, tk), tr = ranks(tk, bk);
        std::map<std::string, pugi::xml_node> out;
        std::set<size_t> used;
        for (size_t i = 0; i < bk.size(); ++i) {
            if (find_key(tk, bk[i].key)) continue;
            for (size_t j = 0; j < tk.size(); ++j) {
                if (used.count(j) || find_key(bk, tk[j].key) || tr[j] != br[i]) continue;
                out[bk[i].key] = tk[j].node;
                used.insert(j);
                break;
            }
        }
        return out;
    }

    void insert_next_to(pugi::xml_node anchor, const std::string& fragment, bool after) {
        const std::string& nl = m_theirs.newline();
        if (m_theirs.on_own_line(anchor)) {
            std::string indent = m_theirs.indent_of(anchor);
            auto [ub, ue] = m_theirs.line_unit(anchor);
            size_t at = after ? ue : ub;
            m_splices.push_back({at, at, indent + xml::reindent(fragment, "", indent, nl) + nl});
        } else {
            auto [eb, ee] = m_theirs.element_span(anchor);
            size_t at = after ? ee : eb;
            m_splices.push_back({at, at, fragment});
        }
    }

    const MergeInput& m_in;
    const XmlSource* m_base;
    const XmlSource& m_ours;
    const XmlSource& m_theirs;
    MergeResult* m_res = nullptr;
    std::vector<Splice> m_splices;
};

}  // namespace

MergeResult merge_xml(const MergeInput& in) {
    std::optional<XmlSource> base;
    if (in.base) base.emplace(*in.base, in.filename + " (base)");
    XmlSource ours(in.ours, in.filename);
    XmlSource theirs(in.theirs, in.filename + " (new)");
    MergeResult res;
    if (std::string_view(ours.root().name()) != theirs.root().name()) {
        Pick p = resolve(Pick::Conflict, in.prefer);
        res.conflicts.push_back({"root element", "<" + std::string(ours.root().name()) + ">",
                                 "<" + std::string(theirs.root().name()) + ">",
                                 std::nullopt, false});
        res.text = p == Pick::Ours ? in.ours : in.theirs;
        return res;
    }
    XmlMerger m(in, base ? &*base : nullptr, ours, theirs);
    m.run(res);
    res.text = xml::apply_splices(in.theirs, std::move(m.splices()));
    return res;
}

}  // namespace upkeep::merge
