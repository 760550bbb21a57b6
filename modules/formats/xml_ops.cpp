#include "modules/formats/xml_ops.hpp"

#include "engine/util/error.hpp"
#include "engine/util/strings.hpp"

namespace upkeep::xml {

namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// Where "/>" or ">" starts once the whitespace before it is left out.
size_t close_without_space(const XmlSource& src, const StartTag& t) {
    size_t b = t.close_begin;
    while (b > t.name_end && is_space(src.text()[b - 1])) --b;
    return b;
}

std::vector<pugi::xml_node> element_children(pugi::xml_node el) {
    std::vector<pugi::xml_node> out;
    for (pugi::xml_node c = el.first_child(); c; c = c.next_sibling())
        if (c.type() == pugi::node_element) out.push_back(c);
    return out;
}

std::string leading_text(pugi::xml_node el) {
    std::string t;
    for (pugi::xml_node c = el.first_child(); c; c = c.next_sibling()) {
        if (c.type() != pugi::node_pcdata && c.type() != pugi::node_cdata) break;
        t += c.value();
    }
    return t;
}

std::string indented_block(const std::vector<std::string>& fragments, const std::string& indent,
                           const std::string& nl) {
    std::string block;
    for (const auto& f : fragments) block += nl + indent + reindent(f, "", indent, nl);
    return block;
}

bool present_among(const std::vector<pugi::xml_node>& existing, pugi::xml_node wanted) {
    for (pugi::xml_node e : existing)
        if (same_element(e, wanted)) return true;
    return false;
}

}  // namespace

void parse_fragment(pugi::xml_document& doc, const std::string& fragment, const Mark& mark) {
    pugi::xml_parse_result r = doc.load_buffer(fragment.data(), fragment.size(), pugi::parse_default, pugi::encoding_utf8);
    if (!r)
        throw TaskError(mark, "bad XML child '" + fragment + "': " + r.description() + " at character " +
                                  std::to_string(r.offset + 1));
    int roots = 0;
    for (pugi::xml_node c = doc.first_child(); c; c = c.next_sibling()) roots += c.type() == pugi::node_element;
    if (roots != 1) throw TaskError(mark, "bad XML child '" + fragment + "': it must be exactly one element");
}

std::optional<Splice> set_attribute_splice(const XmlSource& src, pugi::xml_node el, const std::string& name,
                                           const std::string& value) {
    pugi::xml_attribute have = el.attribute(name.c_str());
    StartTag t = src.start_tag(el);
    if (have) {
        if (value == have.value()) return std::nullopt;
        const AttrSpan* a = t.find(name);
        if (!a) throw ContractError("attribute scanner missed '" + name + "'");
        return Splice{a->value_begin, a->value_end, escape_attr(value, a->quote)};
    }
    char quote = t.attrs.empty() ? '"' : t.attrs.back().quote;
    std::string ws = " ";
    size_t at = t.name_end;
    if (!t.attrs.empty()) {
        const AttrSpan& last = t.attrs.back();
        std::string before = src.text().substr(last.ws_begin, last.name_begin - last.ws_begin);
        if (before.find('\n') != std::string::npos) ws = before;
        at = last.end();
    }
    return Splice{at, at, ws + name + "=" + quote + escape_attr(value, quote) + quote};
}

std::optional<Splice> remove_attribute_splice(const XmlSource& src, pugi::xml_node el, const std::string& name) {
    if (!el.attribute(name.c_str())) return std::nullopt;
    StartTag t = src.start_tag(el);
    const AttrSpan* a = t.find(name);
    if (!a) throw ContractError("attribute scanner missed '" + name + "'");
    return Splice{a->ws_begin, a->end(), ""};
}

std::optional<Splice> set_text_splice(const XmlSource& src, pugi::xml_node el, const std::string& value) {
    if (leading_text(el) == value) return std::nullopt;
    StartTag t = src.start_tag(el);
    std::string name = el.name();
    if (t.self_closing)
        return Splice{close_without_space(src, t), t.end, ">" + escape_text(value) + "</" + name + ">"};
    const std::string& s = src.text();
    size_t p = t.end;
    while (p < s.size()) {
        if (s[p] != '<') {
            ++p;
            continue;
        }
        if (s.compare(p, 9, "<![CDATA[") != 0) break;
        p = s.find("]]>", p) + 3;
    }
    return Splice{t.end, p, escape_text(value)};
}

std::vector<Splice> append_children_splices(const XmlSource& src, pugi::xml_node parent,
                                            const std::vector<std::string>& fragments) {
    if (fragments.empty()) return {};
    const std::string& nl = src.newline();
    std::string pi = src.indent_of(parent);
    std::string block = indented_block(fragments, src.child_indent(parent), nl);
    StartTag t = src.start_tag(parent);
    if (t.self_closing)
        return {Splice{close_without_space(src, t), t.end, ">" + block + nl + pi + "</" + parent.name() + ">"}};
    size_t e = src.end_tag_begin(parent);
    size_t q = e;
    while (q > t.end && is_space(src.text()[q - 1])) --q;
    if (src.text().substr(q, e - q).find('\n') != std::string::npos) return {Splice{q, q, block}};
    return {Splice{q, e, block + nl + pi}};
}

std::vector<Splice> add_children_splices(const XmlSource& src, pugi::xml_node parent,
                                         const std::vector<std::string>& fragments, const Mark& mark, size_t* added) {
    std::vector<pugi::xml_node> existing = element_children(parent);
    std::vector<std::string> wanted;
    for (const auto& f : fragments) {
        pugi::xml_document d;
        parse_fragment(d, f, mark);
        if (!present_among(existing, d.document_element())) wanted.push_back(f);
    }
    *added += wanted.size();
    return append_children_splices(src, parent, wanted);
}

std::vector<Splice> insert_sibling_splices(const XmlSource& src, pugi::xml_node el,
                                           const std::vector<std::string>& fragments, bool before, const Mark& mark,
                                           size_t* added) {
    if (el == src.root()) throw TaskError(mark, "cannot insert siblings next to the root element");
    std::vector<pugi::xml_node> existing = element_children(el.parent());
    std::vector<std::string> wanted;
    for (const auto& f : fragments) {
        pugi::xml_document d;
        parse_fragment(d, f, mark);
        if (!present_among(existing, d.document_element())) wanted.push_back(f);
    }
    if (wanted.empty()) return {};
    *added += wanted.size();
    const std::string& nl = src.newline();
    std::string block;
    if (src.on_own_line(el)) {
        std::string indent = src.indent_of(el);
        for (const auto& f : wanted) block += indent + reindent(f, "", indent, nl) + nl;
        auto [b, e] = src.line_unit(el);
        if (!before && (e == 0 || src.text()[e - 1] != '\n')) block = nl + block;
        size_t at = before ? b : e;
        return {Splice{at, at, block}};
    }
    for (const auto& f : wanted) block += f;
    auto [b, e] = src.element_span(el);
    size_t at = before ? b : e;
    return {Splice{at, at, block}};
}

std::optional<Splice> set_children_splice(const XmlSource& src, pugi::xml_node el,
                                          const std::vector<std::string>& fragments, const Mark& mark) {
    std::vector<pugi::xml_node> existing = element_children(el);
    std::vector<pugi::xml_document> docs(fragments.size());
    bool same = existing.size() == fragments.size();
    for (size_t i = 0; i < fragments.size(); ++i) {
        parse_fragment(docs[i], fragments[i], mark);
        same = same && same_element(existing[i], docs[i].document_element());
    }
    if (same) return std::nullopt;
    const std::string& nl = src.newline();
    std::string pi = src.indent_of(el);
    std::string block = indented_block(fragments, src.child_indent(el), nl);
    StartTag t = src.start_tag(el);
    std::string close = fragments.empty() ? "" : nl + pi;
    if (t.self_closing)
        return Splice{close_without_space(src, t), t.end, ">" + block + close + "</" + el.name() + ">"};
    return Splice{t.end, src.end_tag_begin(el), block + close};
}

std::vector<Splice> move_splices(const XmlSource& src, pugi::xml_node el, const std::string& where,
                                 pugi::xml_node anchor) {
    std::vector<pugi::xml_node> sibs = element_children(el.parent());
    bool before = true;
    auto next_el = [](pugi::xml_node n) {
        for (n = n.next_sibling(); n && n.type() != pugi::node_element; n = n.next_sibling()) {
        }
        return n;
    };
    auto prev_el = [](pugi::xml_node n) {
        for (n = n.previous_sibling(); n && n.type() != pugi::node_element; n = n.previous_sibling()) {
        }
        return n;
    };
    if (where == "first") {
        anchor = sibs.front();
        if (anchor == el) return {};
    } else if (where == "last") {
        anchor = sibs.back();
        before = false;
        if (anchor == el) return {};
    } else if (starts_with(where, "before:")) {
        if (next_el(el) == anchor) return {};
    } else {
        before = false;
        if (prev_el(el) == anchor) return {};
    }
    bool own = src.on_own_line(el) && src.on_own_line(anchor);
    auto cut = own ? src.line_unit(el) : src.element_span(el);
    auto target = own ? src.line_unit(anchor) : src.element_span(anchor);
    std::string piece = src.text().substr(cut.first, cut.second - cut.first);
    size_t at = before ? target.first : target.second;
    return {Splice{cut.first, cut.second, ""}, Splice{at, at, piece}};
}

}  // namespace upkeep::xml
