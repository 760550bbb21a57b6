#include "modules/formats/xml_source.hpp"

#include <algorithm>
#include <map>

#include "engine/util/error.hpp"
#include "engine/util/strings.hpp"

namespace upkeep::xml {

namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// Every node type is kept (comments, PIs, declaration, DOCTYPE) so nothing is
// invisible to the span scanner. Line endings are NOT normalised: pugixml then
// never moves bytes, and offset_debug() is an offset into our original text.
constexpr unsigned k_parse_options = pugi::parse_full & ~pugi::parse_eol;

}  // namespace

const AttrSpan* StartTag::find(std::string_view name) const {
    for (const auto& a : attrs)
        if (a.name == name) return &a;
    return nullptr;
}

XmlSource::XmlSource(std::string text, std::string filename)
    : m_text(std::move(text)), m_filename(std::move(filename)), m_doc(std::make_unique<pugi::xml_document>()) {
    if (m_text.size() >= 2 && ((static_cast<unsigned char>(m_text[0]) == 0xFE && static_cast<unsigned char>(m_text[1]) == 0xFF) ||
                               (static_cast<unsigned char>(m_text[0]) == 0xFF && static_cast<unsigned char>(m_text[1]) == 0xFE) ||
                               m_text[0] == '\0' || m_text[1] == '\0'))
        throw TaskError(mark_at(0), "UTF-16/UTF-32 XML files are not supported (only UTF-8 and 8-bit encodings)");
    pugi::xml_parse_result r = m_doc->load_buffer(m_text.data(), m_text.size(), k_parse_options, pugi::encoding_utf8);
    if (!r) throw TaskError(mark_at(static_cast<size_t>(std::max<ptrdiff_t>(r.offset, 0))),
                            std::string("malformed XML: ") + r.description());
    if (!root()) throw TaskError(mark_at(0), "malformed XML: no root element");
    size_t nl = m_text.find('\n');
    if (nl != std::string::npos && nl > 0 && m_text[nl - 1] == '\r') m_newline = "\r\n";
}

Mark XmlSource::mark_at(size_t offset) const {
    Mark m;
    m.file = std::make_shared<const std::string>(m_filename);
    m.line = 1;
    size_t line_start = 0;
    offset = std::min(offset, m_text.size());
    for (size_t i = 0; i < offset; ++i)
        if (m_text[i] == '\n') {
            ++m.line;
            line_start = i + 1;
        }
    m.col = static_cast<int>(offset - line_start) + 1;
    return m;
}

StartTag XmlSource::scan_start_tag(size_t lt) const {
    const std::string& s = m_text;
    StartTag t;
    t.begin = lt;
    size_t p = lt + 1;
    while (p < s.size() && !is_space(s[p]) && s[p] != '/' && s[p] != '>') ++p;
    t.name_end = p;
    while (p < s.size()) {
        size_t ws = p;
        while (p < s.size() && is_space(s[p])) ++p;
        if (p >= s.size()) break;
        if (s[p] == '/') {
            t.self_closing = true;
            t.close_begin = p;
            t.end = p + 2;
            return t;
        }
        if (s[p] == '>') {
            t.close_begin = p;
            t.end = p + 1;
            return t;
        }
        AttrSpan a;
        a.ws_begin = ws;
        a.name_begin = p;
        while (p < s.size() && !is_space(s[p]) && s[p] != '=') ++p;
        a.name = s.substr(a.name_begin, p - a.name_begin);
        while (p < s.size() && s[p] != '\'' && s[p] != '"') ++p;
        if (p >= s.size()) break;
        a.quote = s[p];
        a.value_begin = p + 1;
        a.value_end = s.find(a.quote, a.value_begin);
        if (a.value_end == std::string::npos) break;
        p = a.value_end + 1;
        t.attrs.push_back(std::move(a));
    }
    // Unreachable for a document pugixml accepted.
    throw ContractError("xml scanner lost its way in a start tag at offset " + std::to_string(lt));
}

StartTag XmlSource::start_tag(pugi::xml_node el) const {
    ptrdiff_t off = el.offset_debug();
    if (off <= 0 || m_text[static_cast<size_t>(off) - 1] != '<')
        throw ContractError("pugixml gave no usable offset for element <" + std::string(el.name()) + ">");
    return scan_start_tag(static_cast<size_t>(off) - 1);
}

size_t XmlSource::scan_element_end(size_t p, size_t* end_tag) const {
    const std::string& s = m_text;
    int depth = 1;
    auto skip_past = [&](size_t from, const char* what, size_t len) {
        size_t q = s.find(what, from);
        if (q == std::string::npos) throw ContractError("xml scanner: unterminated construct");
        return q + len;
    };
    while (true) {
        p = s.find('<', p);
        if (p == std::string::npos) throw ContractError("xml scanner: missing end tag");
        if (s.compare(p, 4, "<!--") == 0) {
            p = skip_past(p + 4, "-->", 3);
        } else if (s.compare(p, 9, "<![CDATA[") == 0) {
            p = skip_past(p + 9, "]]>", 3);
        } else if (s.compare(p, 2, "<?") == 0) {
            p = skip_past(p + 2, "?>", 2);
        } else if (s.compare(p, 2, "</") == 0) {
            size_t q = skip_past(p, ">", 1);
            if (--depth == 0) {
                if (end_tag) *end_tag = p;
                return q;
            }
            p = q;
        } else if (s.compare(p, 2, "<!") == 0) {
            p = skip_past(p, ">", 1);
        } else {
            StartTag t = scan_start_tag(p);
            if (!t.self_closing) ++depth;
            p = t.end;
        }
    }
}

size_t XmlSource::end_tag_begin(pugi::xml_node el) const {
    StartTag t = start_tag(el);
    if (t.self_closing) return std::string::npos;
    size_t et = std::string::npos;
    scan_element_end(t.end, &et);
    return et;
}

std::pair<size_t, size_t> XmlSource::element_span(pugi::xml_node el) const {
    StartTag t = start_tag(el);
    return {t.begin, t.self_closing ? t.end : scan_element_end(t.end, nullptr)};
}

std::pair<size_t, size_t> XmlSource::line_unit(pugi::xml_node el) const {
    auto [b, e] = element_span(el);
    size_t lb = b;
    while (lb > 0 && (m_text[lb - 1] == ' ' || m_text[lb - 1] == '\t')) --lb;
    if (lb > 0 && m_text[lb - 1] != '\n') return {b, e};
    size_t le = e;
    while (le < m_text.size() && (m_text[le] == ' ' || m_text[le] == '\t')) ++le;
    if (le < m_text.size() && m_text[le] == '\r' && le + 1 < m_text.size() && m_text[le + 1] == '\n') return {lb, le + 2};
    if (le < m_text.size() && m_text[le] == '\n') return {lb, le + 1};
    if (le == m_text.size()) return {lb, le};
    return {b, e};
}

bool XmlSource::on_own_line(pugi::xml_node el) const {
    auto unit = line_unit(el);
    return unit != element_span(el);
}

std::string XmlSource::indent_of(pugi::xml_node el) const {
    size_t b = start_tag(el).begin;
    size_t lb = b;
    while (lb > 0 && (m_text[lb - 1] == ' ' || m_text[lb - 1] == '\t')) --lb;
    if (lb > 0 && m_text[lb - 1] != '\n') return "";
    return m_text.substr(lb, b - lb);
}

std::string XmlSource::indent_step() const {
    // The most common difference between a child's and its parent's indentation.
    std::map<std::string, int> votes;
    for (pugi::xpath_node xn : m_doc->select_nodes("//*/*")) {
        pugi::xml_node el = xn.node();
        if (!on_own_line(el) || !on_own_line(el.parent())) continue;
        std::string ci = indent_of(el), pi = indent_of(el.parent());
        if (ci.size() > pi.size() && ci.compare(0, pi.size(), pi) == 0) ++votes[ci.substr(pi.size())];
    }
    std::string best = "  ";
    int n = 0;
    for (const auto& [step, count] : votes)
        if (count > n) {
            best = step;
            n = count;
        }
    return best;
}

std::string XmlSource::child_indent(pugi::xml_node parent) const {
    for (pugi::xml_node c = parent.last_child(); c; c = c.previous_sibling())
        if (c.type() == pugi::node_element && on_own_line(c)) return indent_of(c);
    return indent_of(parent) + indent_step();
}

std::string apply_splices(const std::string& text, std::vector<Splice> splices) {
    std::stable_sort(splices.begin(), splices.end(), [](const Splice& a, const Splice& b) {
        if (a.begin != b.begin) return a.begin < b.begin;
        // At one position, inserts come first (in the order given), then the widest replacement.
        if ((a.end == a.begin) != (b.end == b.begin)) return a.end == a.begin;
        return (a.end - a.begin) > (b.end - b.begin);
    });
    std::string out;
    out.reserve(text.size());
    size_t pos = 0;
    size_t covered_end = 0;
    bool any = false;
    for (const auto& s : splices) {
        if (any && s.begin < covered_end) {
            if (s.end <= covered_end && s.begin != s.end) continue;  // superseded by a wider replacement
            if (s.begin == s.end) continue;                           // an insert inside a replaced span
            throw ContractError("overlapping XML edits");
        }
        out.append(text, pos, s.begin - pos);
        out += s.text;
        pos = s.end;
        covered_end = std::max(covered_end, s.end);
        any = true;
    }
    out.append(text, pos, std::string::npos);
    return out;
}

std::string escape_text(std::string_view s) {
    std::string out;
    for (char c : s) {
        switch (c) {
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            default: out += c;
        }
    }
    return out;
}

std::string escape_attr(std::string_view s, char quote) {
    std::string out;
    for (char c : s) {
        switch (c) {
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '\n': out += "&#10;"; break;
            case '\r': out += "&#13;"; break;
            case '\t': out += "&#9;"; break;
            case '"': out += quote == '"' ? "&quot;" : "\""; break;
            case '\'': out += quote == '\'' ? "&apos;" : "'"; break;
            default: out += c;
        }
    }
    return out;
}

namespace {

std::string own_text(pugi::xml_node el) {
    std::string t;
    for (pugi::xml_node c = el.first_child(); c; c = c.next_sibling())
        if (c.type() == pugi::node_pcdata || c.type() == pugi::node_cdata) t += c.value();
    return trim(t);
}

}  // namespace

bool same_element(pugi::xml_node a, pugi::xml_node b) {
    if (std::string_view(a.name()) != b.name()) return false;
    std::map<std::string_view, std::string_view> aa, ba;
    for (pugi::xml_attribute x : a.attributes()) aa[x.name()] = x.value();
    for (pugi::xml_attribute x : b.attributes()) ba[x.name()] = x.value();
    if (aa != ba || own_text(a) != own_text(b)) return false;
    pugi::xml_node ca = a.first_child(), cb = b.first_child();
    auto next_el = [](pugi::xml_node n) {
        while (n && n.type() != pugi::node_element) n = n.next_sibling();
        return n;
    };
    ca = next_el(ca);
    cb = next_el(cb);
    while (ca && cb) {
        if (!same_element(ca, cb)) return false;
        ca = next_el(ca.next_sibling());
        cb = next_el(cb.next_sibling());
    }
    return !ca && !cb;
}

std::string reindent(std::string_view fragment, const std::string& from, const std::string& to, const std::string& nl) {
    std::string out;
    size_t pos = 0;
    bool first = true;
    while (pos <= fragment.size()) {
        size_t e = fragment.find('\n', pos);
        std::string_view line = fragment.substr(pos, e == std::string_view::npos ? std::string_view::npos : e - pos);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (!first) {
            out += nl;
            if (!line.empty()) {
                if (line.substr(0, from.size()) == from) line.remove_prefix(from.size());
                out += to;
            }
        }
        out += line;
        first = false;
        if (e == std::string_view::npos) break;
        pos = e + 1;
    }
    return out;
}

}  // namespace upkeep::xml
