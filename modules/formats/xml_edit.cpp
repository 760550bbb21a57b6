#include "modules/formats/xml_edit.hpp"

#include <algorithm>
#include <set>

#include "engine/util/error.hpp"
#include "engine/util/strings.hpp"
#include "modules/formats/xml_ops.hpp"

namespace upkeep::xml {

namespace {

bool is_name_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
           c == '.' || static_cast<unsigned char>(c) >= 0x80;
}

std::string plural(size_t n, const std::string& word) {
    return std::to_string(n) + " " + word + (n == 1 ? "" : "s");
}

// Runs an XPath against the document (or relative to `context`), turning
// pugixml's exception into an error at the argument's mark.
pugi::xpath_node_set select(const XmlSource& src, const std::string& xpath, const EditRequest& req, const Mark& mark,
                            pugi::xml_node context = {}) {
    std::string resolved = resolve_namespaces(xpath, req.namespaces, src.doc());
    try {
        pugi::xpath_query q(resolved.c_str());
        return q.evaluate_node_set(context ? context : pugi::xml_node(src.doc()));
    } catch (const pugi::xpath_exception& e) {
        std::string where;
        if (e.result().offset >= 0) where = " (at character " + std::to_string(e.result().offset + 1) + ")";
        throw TaskError(mark, "bad XPath '" + xpath + "': " + e.result().description() + where);
    }
}

// Splits an XPath into its location steps ("/a/b[@x='/']" -> "a", "b[@x='/']"),
// ignoring slashes inside predicates and string literals.
std::vector<std::string> split_steps(const std::string& xpath, std::vector<size_t>* ends) {
    std::vector<std::string> steps;
    int depth = 0;
    char quote = 0;
    std::string cur;
    for (size_t i = 0; i < xpath.size(); ++i) {
        char c = xpath[i];
        if (quote) {
            if (c == quote) quote = 0;
        } else if (c == '\'' || c == '"') {
            quote = c;
        } else if (c == '[' || c == '(') {
            ++depth;
        } else if (c == ']' || c == ')') {
            --depth;
        } else if (c == '/' && depth == 0) {
            if (!cur.empty()) {
                steps.push_back(cur);
                if (ends) ends->push_back(i);
            }
            cur.clear();
            continue;
        }
        cur += c;
    }
    if (!cur.empty()) {
        steps.push_back(cur);
        if (ends) ends->push_back(xpath.size());
    }
    return steps;
}

// A location step we know how to create: name[@a='v'][text()='t'].
struct CreatableStep {
    std::string name;
    std::vector<std::pair<std::string, std::string>> attrs;
    std::optional<std::string> text;
};

std::optional<std::string> parse_literal(std::string_view& s) {
    s = std::string_view(s).substr(std::min(s.find_first_not_of(' '), s.size()));
    if (s.empty() || (s[0] != '\'' && s[0] != '"')) return std::nullopt;
    size_t e = s.find(s[0], 1);
    if (e == std::string_view::npos) return std::nullopt;
    std::string v(s.substr(1, e - 1));
    s.remove_prefix(e + 1);
    return v;
}

std::optional<CreatableStep> parse_creatable(const std::string& step) {
    CreatableStep out;
    size_t p = 0;
    while (p < step.size() && (is_name_char(step[p]) || step[p] == ':')) ++p;
    out.name = step.substr(0, p);
    if (out.name.empty()) return std::nullopt;
    while (p < step.size()) {
        if (step[p] != '[') return std::nullopt;
        size_t close = step.find(']', p);
        // Find the real closing bracket, skipping quoted text.
        char quote = 0;
        for (close = p + 1; close < step.size(); ++close) {
            char c = step[close];
            if (quote) {
                if (c == quote) quote = 0;
            } else if (c == '\'' || c == '"') {
                quote = c;
            } else if (c == ']') {
                break;
            }
        }
        if (close >= step.size()) return std::nullopt;
        std::string pred = step.substr(p + 1, close - p - 1);
        std::string_view rest(pred);
        while (true) {
            rest = rest.substr(std::min(rest.find_first_not_of(' '), rest.size()));
            if (rest.empty()) break;
            std::string lhs;
            if (rest[0] == '@') {
                size_t q = 1;
                while (q < rest.size() && (is_name_char(rest[q]) || rest[q] == ':')) ++q;
                lhs = std::string(rest.substr(0, q));
                rest.remove_prefix(q);
            } else if (rest.substr(0, 6) == "text()") {
                lhs = "text()";
                rest.remove_prefix(6);
            } else if (rest[0] == '.') {
                lhs = "text()";
                rest.remove_prefix(1);
            } else {
                return std::nullopt;
            }
            rest = rest.substr(std::min(rest.find_first_not_of(' '), rest.size()));
            if (rest.empty() || rest[0] != '=') return std::nullopt;
            rest.remove_prefix(1);
            auto lit = parse_literal(rest);
            if (!lit) return std::nullopt;
            if (lhs == "text()") out.text = *lit;
            else out.attrs.emplace_back(lhs.substr(1), *lit);
            rest = rest.substr(std::min(rest.find_first_not_of(' '), rest.size()));
            if (rest.substr(0, 3) == "and") rest.remove_prefix(3);
            else if (!rest.empty()) return std::nullopt;
        }
        p = close + 1;
    }
    return out;
}

std::string render_created(const std::vector<CreatableStep>& steps, size_t i, const std::string& step_indent,
                           const std::string& nl) {
    const CreatableStep& s = steps[i];
    std::string out = "<" + s.name;
    for (const auto& [k, v] : s.attrs) out += " " + k + "=\"" + escape_attr(v, '"') + "\"";
    if (i + 1 < steps.size()) {
        std::string inner = render_created(steps, i + 1, step_indent, nl);
        out += ">" + nl + step_indent + reindent(inner, "", step_indent, nl) + nl + "</" + s.name + ">";
    } else if (s.text) {
        out += ">" + escape_text(*s.text) + "</" + s.name + ">";
    } else {
        out += "/>";
    }
    return out;
}

// Creates the missing tail of `xpath` under the deepest existing node.
std::string ensure_path(const XmlSource& src, const std::string& xpath, const EditRequest& req) {
    std::vector<size_t> ends;
    std::vector<std::string> steps = split_steps(xpath, &ends);
    size_t k = steps.size();
    pugi::xml_node parent;
    while (k > 1) {
        --k;
        std::string prefix = xpath.substr(0, ends[k - 1]);
        pugi::xpath_node_set found = select(src, prefix, req, req.xpath_mark);
        if (found.empty()) continue;
        if (found.size() > 1)
            throw TaskError(req.xpath_mark, "cannot create '" + xpath + "': its parent '" + prefix + "' matches " +
                                                plural(found.size(), "node"));
        parent = found.first().node();
        break;
    }
    if (!parent || parent.type() != pugi::node_element)
        throw TaskError(req.xpath_mark, "cannot create '" + xpath + "': no part of it matches an element in " +
                                            src.filename());
    std::vector<CreatableStep> create;
    for (size_t i = k; i < steps.size(); ++i) {
        auto c = parse_creatable(steps[i]);
        if (!c)
            throw TaskError(req.xpath_mark, "'" + xpath + "' matches nothing and its step '" + steps[i] +
                                                "' cannot be created (only name[@attr='value'][text()='value'] steps can)");
        create.push_back(std::move(*c));
    }
    std::string fragment = render_created(create, 0, src.indent_step(), src.newline());
    return apply_splices(src.text(), append_children_splices(src, parent, {fragment}));
}

}  // namespace

std::string resolve_namespaces(const std::string& xpath, const std::map<std::string, std::string>& namespaces,
                               const pugi::xml_document& doc) {
    if (namespaces.empty()) return xpath;
    std::map<std::string, std::string> uri_to_prefix;
    for (pugi::xpath_node xn : doc.select_nodes("//*")) {
        for (pugi::xml_attribute a : xn.node().attributes()) {
            std::string_view n = a.name();
            if (n == "xmlns") uri_to_prefix.emplace(a.value(), "");
            else if (n.substr(0, 6) == "xmlns:") uri_to_prefix.emplace(a.value(), std::string(n.substr(6)));
        }
    }
    std::string out;
    char quote = 0;
    for (size_t i = 0; i < xpath.size(); ++i) {
        char c = xpath[i];
        if (quote) {
            if (c == quote) quote = 0;
            out += c;
            continue;
        }
        if (c == '\'' || c == '"') {
            quote = c;
            out += c;
            continue;
        }
        bool boundary = i == 0 || !(is_name_char(xpath[i - 1]));
        bool replaced = false;
        if (boundary && is_name_char(c)) {
            for (const auto& [prefix, uri] : namespaces) {
                if (xpath.compare(i, prefix.size() + 1, prefix + ":") != 0) continue;
                size_t after = i + prefix.size() + 1;
                if (after < xpath.size() && xpath[after] == ':') continue;  // an axis, e.g. child::
                auto it = uri_to_prefix.find(uri);
                std::string doc_prefix = it == uri_to_prefix.end() ? prefix : it->second;
                out += doc_prefix.empty() ? "" : doc_prefix + ":";
                i = after - 1;
                replaced = true;
                break;
            }
        }
        if (!replaced) {
            // Copy the whole name so that a prefix is only recognised at a name's start.
            if (is_name_char(c)) {
                size_t e = i;
                while (e < xpath.size() && is_name_char(xpath[e])) ++e;
                out.append(xpath, i, e - i);
                i = e - 1;
            } else {
                out += c;
            }
        }
    }
    return out;
}

std::string node_path(pugi::xml_node node) {
    std::string path;
    for (pugi::xml_node n = node; n && n.type() == pugi::node_element; n = n.parent()) {
        int index = 1;
        for (pugi::xml_node s = n.previous_sibling(n.name()); s; s = s.previous_sibling(n.name())) ++index;
        path = "/" + std::string(n.name()) + "[" + std::to_string(index) + "]" + path;
    }
    return path;
}

namespace {

// The read-only requests: count and content (Ansible's count: and content:).
bool answer_query(const EditRequest& req, const pugi::xpath_node_set& nodes, EditResult& res) {
    if (req.count) {
        res.msg = "xpath matches " + plural(nodes.size(), "node");
        return true;
    }
    if (req.content.empty()) return false;
    List found;
    for (pugi::xpath_node xn : nodes) {
        pugi::xml_node el = xn.node();
        if (!el || el.type() != pugi::node_element) continue;
        Value entry;
        if (req.content == "attribute") {
            Value attrs = Value(Map{});
            for (pugi::xml_attribute a : el.attributes()) attrs[a.name()] = Value(a.value());
            entry[el.name()] = attrs;
        } else {
            entry[el.name()] = Value(std::string(el.text().get()));
        }
        found.push_back(entry);
    }
    res.content = Value(std::move(found));
    res.msg = "xpath matches " + plural(nodes.size(), "node");
    return true;
}

// One edit of a document: each operation computes its splices on the current text,
// applies them and re-parses (so the next operation sees the bytes as they are now).
class XmlEditor {
public:
    XmlEditor(const std::string& text, const std::string& filename, const EditRequest& req)
        : m_src(std::make_unique<XmlSource>(text, filename)), m_filename(filename), m_req(req), m_xpath(req.xpath) {
        m_nodes = select(*m_src, m_xpath, m_req, m_req.xpath_mark);
    }

    const XmlSource& source() const { return *m_src; }
    const pugi::xpath_node_set& nodes() const { return m_nodes; }
    std::vector<std::string>& msgs() { return m_msgs; }

    // An xpath ending in /@name edits that attribute of the selected elements.
    void split_attribute_step() {
        m_attribute = m_req.attribute;
        std::vector<size_t> ends;
        std::vector<std::string> steps = split_steps(m_xpath, &ends);
        if (!m_attribute && steps.size() > 1 && steps.back()[0] == '@') {
            m_attribute = steps.back().substr(1);
            m_xpath = m_xpath.substr(0, ends[ends.size() - 2]);
            m_nodes = select(*m_src, m_xpath, m_req, m_req.xpath_mark);
        }
        for (pugi::xpath_node xn : m_nodes)
            if (xn.node() && xn.node().type() != pugi::node_element)
                throw TaskError(m_req.xpath_mark, "xpath '" + m_req.xpath + "' must select elements or attributes");
    }

    // state: absent. False when nothing matches (nothing to remove).
    bool remove() {
        if (m_nodes.empty()) return false;
        std::vector<Splice> splices;
        if (m_attribute) {
            for (pugi::xml_node el : elements())
                if (auto s = remove_attribute_splice(*m_src, el, *m_attribute)) splices.push_back(*s);
            m_msgs.push_back(splices.empty() ? "attribute '" + *m_attribute + "' already absent"
                                             : "attribute '" + *m_attribute + "' removed from " +
                                                   plural(splices.size(), "element"));
        } else {
            std::set<pugi::xml_node> matched;
            for (pugi::xml_node el : elements()) matched.insert(el);
            size_t removed = 0;
            for (pugi::xml_node el : elements()) {
                bool inside = false;
                for (pugi::xml_node a = el.parent(); a; a = a.parent()) inside = inside || matched.count(a);
                if (inside) continue;
                if (el == m_src->root()) throw TaskError(m_req.xpath_mark, "cannot remove the root element");
                auto [b, e] = m_src->line_unit(el);
                splices.push_back({b, e, ""});
                ++removed;
            }
            m_msgs.push_back(plural(removed, "element") + " removed");
        }
        round(std::move(splices));
        return true;
    }

    // state: present with an xpath that matches nothing: create the element it describes.
    void ensure_exists() {
        if (!m_nodes.empty()) return;
        std::string created = ensure_path(*m_src, m_xpath, m_req);
        reparse(std::move(created));
        if (m_nodes.empty())
            throw TaskError(m_req.xpath_mark, "created an element for '" + m_xpath +
                                                  "' but the xpath still matches nothing; write the xpath so that "
                                                  "its predicates describe the element to create");
        m_msgs.push_back("element created for '" + m_xpath + "'");
    }

    void set_children() {
        std::vector<Splice> splices;
        for (pugi::xml_node el : elements())
            if (auto s = set_children_splice(*m_src, el, *m_req.set_children, m_req.children_mark)) splices.push_back(*s);
        m_msgs.push_back(splices.empty() ? "children already as wanted"
                                         : "children of " + plural(splices.size(), "element") + " replaced");
        round(std::move(splices));
    }

    void add_children() {
        std::vector<Splice> splices;
        size_t added = 0;
        for (pugi::xml_node el : elements()) {
            std::vector<Splice> s = m_req.insert_before || m_req.insert_after
                                        ? insert_sibling_splices(*m_src, el, m_req.add_children, m_req.insert_before,
                                                                 m_req.children_mark, &added)
                                        : add_children_splices(*m_src, el, m_req.add_children, m_req.children_mark, &added);
            splices.insert(splices.end(), s.begin(), s.end());
        }
        m_msgs.push_back(added == 0 ? "children already present" : plural(added, "child element") + " added");
        round(std::move(splices));
    }

    // The attribute (from attribute: or an xpath ending in /@name) or the text; false when neither is asked.
    bool set_value() {
        if (m_attribute) {
            std::string want = m_req.value.value_or("");
            std::vector<Splice> splices;
            for (pugi::xml_node el : elements()) {
                if (!m_req.value && el.attribute(m_attribute->c_str())) continue;
                if (auto s = set_attribute_splice(*m_src, el, *m_attribute, want)) splices.push_back(*s);
            }
            m_msgs.push_back(splices.empty() ? "attribute '" + *m_attribute + "' already '" + shown(want) + "'"
                                             : "attribute '" + *m_attribute + "' set to '" + shown(want) + "' on " +
                                                   plural(splices.size(), "element"));
            round(std::move(splices));
            return true;
        }
        if (!m_req.value) return false;
        std::vector<Splice> splices;
        for (pugi::xml_node el : elements())
            if (auto s = set_text_splice(*m_src, el, *m_req.value)) splices.push_back(*s);
        m_msgs.push_back(splices.empty() ? "text already '" + shown(*m_req.value) + "'"
                                         : "text set to '" + shown(*m_req.value) + "' on " +
                                               plural(splices.size(), "element"));
        round(std::move(splices));
        return true;
    }

    // position: first, last, before:<xpath> or after:<xpath> among the element's siblings.
    void move() {
        std::vector<pugi::xml_node> els = elements();
        if (els.size() != 1)
            throw TaskError(m_req.position_mark, "position needs an xpath that matches exactly one element, '" +
                                                     m_xpath + "' matches " + plural(els.size(), "node"));
        pugi::xml_node el = els[0];
        pugi::xml_node anchor;
        const std::string& where = m_req.position;
        if (starts_with(where, "before:") || starts_with(where, "after:")) {
            std::string expr = where.substr(where.find(':') + 1);
            pugi::xpath_node_set t = select(*m_src, expr, m_req, m_req.position_mark, el.parent());
            if (t.size() != 1 || t.first().node().parent() != el.parent())
                throw TaskError(m_req.position_mark, "position '" + where + "' must name exactly one sibling of '" +
                                                         m_xpath + "', it matches " + plural(t.size(), "node") +
                                                         (t.size() == 1 ? " that is not a sibling" : ""));
            anchor = t.first().node();
            if (anchor == el) throw TaskError(m_req.position_mark, "position '" + where + "' names the element itself");
        } else if (where != "first" && where != "last") {
            throw TaskError(m_req.position_mark,
                            "position must be first, last, before:<xpath> or after:<xpath>, got '" + where + "'");
        }
        std::vector<Splice> s = move_splices(*m_src, el, where, anchor);
        m_msgs.push_back(s.empty() ? "element already " + where : "element moved " + where);
        round(std::move(s));
    }

private:
    std::string shown(const std::string& v) const { return m_req.value_secret ? std::string(k_masked) : v; }

    void reparse(std::string text) {
        m_src = std::make_unique<XmlSource>(std::move(text), m_filename);
        m_nodes = select(*m_src, m_xpath, m_req, m_req.xpath_mark);
    }

    void round(std::vector<Splice> splices) {
        if (splices.empty()) return;
        reparse(apply_splices(m_src->text(), std::move(splices)));
    }

    // The selected elements (an attribute selection stands for its element).
    std::vector<pugi::xml_node> elements() const {
        std::vector<pugi::xml_node> out;
        for (pugi::xpath_node xn : m_nodes) out.push_back(xn.node() ? xn.node() : xn.parent());
        return out;
    }

    std::unique_ptr<XmlSource> m_src;
    std::string m_filename;
    const EditRequest& m_req;
    std::string m_xpath;
    std::optional<std::string> m_attribute;
    pugi::xpath_node_set m_nodes;
    std::vector<std::string> m_msgs;
};

}  // namespace

EditResult edit_xml(const std::string& text, const std::string& filename, const EditRequest& req) {
    XmlEditor ed(text, filename, req);
    EditResult res;
    res.text = text;
    res.count = static_cast<int64_t>(ed.nodes().size());
    if (req.print_match)
        for (pugi::xpath_node xn : ed.nodes())
            res.matches.push_back(xn.attribute() ? node_path(xn.parent()) + "/@" + xn.attribute().name()
                                                 : node_path(xn.node()));
    if (answer_query(req, ed.nodes(), res)) return res;

    ed.split_attribute_step();
    if (req.absent) {
        if (!ed.remove()) {
            res.msg = "no node matches '" + req.xpath + "', nothing to remove";
            return res;
        }
    } else {
        ed.ensure_exists();
        if (req.set_children) ed.set_children();
        if (!req.add_children.empty()) ed.add_children();
        ed.set_value();
        if (!req.position.empty()) ed.move();
        if (ed.msgs().empty()) ed.msgs().push_back("xpath matches " + plural(ed.nodes().size(), "node"));
    }
    res.text = ed.source().text();
    res.changed = res.text != text;
    res.msg = join(ed.msgs(), "; ");
    return res;
}

}  // namespace upkeep::xml
