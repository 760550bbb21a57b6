#include "modules/formats/apt_sources.hpp"

#include <algorithm>
#include <memory>

#include "engine/util/error.hpp"
#include "engine/util/strings.hpp"
#include "modules/formats/text_pos.hpp"

namespace upkeep::apt {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t'; }

std::string strip_slash(std::string s) {
    while (s.size() > 1 && s.back() == '/') s.pop_back();
    return s;
}

// The deb822 field that carries a one-line option.
const std::pair<const char*, const char*> k_option_fields[] = {
    {"arch", "Architectures"}, {"lang", "Languages"}, {"target", "Targets"}, {"pdiffs", "PDiffs"},
    {"by-hash", "By-Hash"},    {"allow-insecure", "Allow-Insecure"},       {"trusted", "Trusted"},
    {"signed-by", "Signed-By"}, {"check-valid-until", "Check-Valid-Until"}};

std::vector<std::string> words(const std::string& s) {
    std::vector<std::string> out;
    std::string cur;
    for (char c : s) {
        if (is_space(c) || c == '\n' || c == '\r') {
            if (!cur.empty()) out.push_back(cur);
            cur.clear();
        } else {
            cur += c;
        }
    }
    if (!cur.empty()) out.push_back(cur);
    return out;
}

}  // namespace

std::string SourceEntry::render() const {
    std::string out = type;
    if (!options.empty()) {
        out += " [";
        for (size_t i = 0; i < options.size(); ++i) out += (i ? " " : "") + options[i].first + "=" + options[i].second;
        out += "]";
    }
    out += " " + uri + " " + suite;
    for (const auto& c : components) out += " " + c;
    return out;
}

bool SourceEntry::same_as(const SourceEntry& o) const {
    auto sorted = [](auto v) {
        std::sort(v.begin(), v.end());
        return v;
    };
    return type == o.type && strip_slash(uri) == strip_slash(o.uri) && suite == o.suite &&
           sorted(components) == sorted(o.components) && sorted(options) == sorted(o.options);
}

SourceEntry parse_entry(std::string_view text, const std::string& filename, int line, int col0) {
    auto file = std::make_shared<const std::string>(filename);
    auto fail = [&](size_t at, const std::string& msg) {
        return TaskError(Mark{file, line, col0 + static_cast<int>(at)}, msg);
    };
    SourceEntry e;
    size_t i = 0;
    auto skip = [&] {
        while (i < text.size() && is_space(text[i])) ++i;
    };
    auto word = [&] {
        size_t b = i;
        while (i < text.size() && !is_space(text[i])) ++i;
        return std::string(text.substr(b, i - b));
    };
    skip();
    size_t at = i;
    e.type = word();
    if (e.type != "deb" && e.type != "deb-src")
        throw fail(at, "unknown source type '" + e.type + "' (expected deb or deb-src)");
    skip();
    if (i < text.size() && text[i] == '[') {
        size_t close = text.find(']', i);
        if (close == std::string_view::npos) throw fail(i, "options without a closing ']'");
        size_t j = i + 1;
        while (j < close) {
            while (j < close && is_space(text[j])) ++j;
            size_t b = j;
            while (j < close && !is_space(text[j])) ++j;
            if (b == j) break;
            std::string opt(text.substr(b, j - b));
            size_t eq = opt.find('=');
            if (eq == std::string::npos || eq == 0) throw fail(b, "option '" + opt + "' is not key=value");
            e.options.push_back({opt.substr(0, eq), opt.substr(eq + 1)});
        }
        i = close + 1;
        skip();
    }
    at = i;
    e.uri = word();
    // A bracketed part of a URI may hold spaces (cdrom:[Debian GNU/Linux 12 ...]/).
    size_t open = e.uri.find('[');
    if (open != std::string::npos && e.uri.find(']', open) == std::string::npos) {
        size_t close = text.find(']', i);
        if (close == std::string_view::npos) throw fail(at + open, "URI with '[' but no closing ']'");
        i = close;
        while (i < text.size() && !is_space(text[i])) ++i;
        e.uri = std::string(text.substr(at, i - at));
    }
    if (e.uri.empty()) throw fail(at, "missing URI after '" + e.type + "'");
    size_t colon = e.uri.find(':');
    if (colon == std::string::npos || colon == 0) throw fail(at, "'" + e.uri + "' is not a URI (like http://host/path)");
    skip();
    at = i;
    e.suite = word();
    if (e.suite.empty()) throw fail(at, "missing suite (distribution) after the URI");
    skip();
    while (i < text.size()) {
        e.components.push_back(word());
        skip();
    }
    if (e.components.empty() && e.suite.back() != '/')
        throw fail(i, "missing component after suite '" + e.suite + "' (or end an exact path suite with '/')");
    if (!e.components.empty() && e.suite.back() == '/')
        throw fail(at, "an exact path suite ('" + e.suite + "', ending in '/') takes no components");
    return e;
}

// ---- one-line format ----

ListFile ListFile::parse(std::string_view text, const std::string& filename) {
    ListFile f;
    f.m_newline = detect_newline(text);
    int n = 0;
    for (auto& raw : split_raw_lines(text)) {
        ++n;
        Line l;
        l.text = std::move(raw.text);
        l.eol = std::move(raw.eol);
        size_t b = 0;
        while (b < l.text.size() && is_space(l.text[b])) ++b;
        if (b == l.text.size()) {
            f.m_lines.push_back(std::move(l));
            continue;
        }
        if (l.text[b] == '#') {
            l.kind = Kind::Comment;
            // "# deb http://..." is a disabled entry when what follows parses.
            size_t c = b;
            while (c < l.text.size() && (l.text[c] == '#' || is_space(l.text[c]))) ++c;
            std::string rest = l.text.substr(c);
            size_t hash = rest.find('#');
            std::string body = rest.substr(0, hash);
            if (starts_with(body, "deb ") || starts_with(body, "deb-src ") || starts_with(body, "deb\t")) {
                try {
                    l.entry = parse_entry(body, filename, n, static_cast<int>(c) + 1);
                    l.kind = Kind::Disabled;
                    l.entry_begin = c;
                    l.entry_end = c + trim(body).size();
                } catch (const TaskError&) {
                    // Just a comment that starts with "deb".
                }
            }
            f.m_lines.push_back(std::move(l));
            continue;
        }
        size_t hash = l.text.find('#', b);
        std::string body = l.text.substr(b, hash == std::string::npos ? std::string::npos : hash - b);
        l.kind = Kind::Entry;
        l.entry = parse_entry(body, filename, n, static_cast<int>(b) + 1);
        l.entry_begin = b;
        size_t e = b + body.size();
        while (e > b && is_space(l.text[e - 1])) --e;
        l.entry_end = e;
        f.m_lines.push_back(std::move(l));
    }
    return f;
}

std::string ListFile::render() const {
    std::string out;
    for (const auto& l : m_lines) out += l.text + l.eol;
    return out;
}

void ListFile::replace_entry(size_t i, const SourceEntry& e) {
    Line& l = m_lines[i];
    std::string text = e.render();
    l.text.replace(l.entry_begin, l.entry_end - l.entry_begin, text);
    l.entry_end = l.entry_begin + text.size();
    l.entry = e;
}

void ListFile::enable(size_t i) {
    Line& l = m_lines[i];
    size_t b = 0;
    while (b < l.text.size() && is_space(l.text[b])) ++b;
    l.text.erase(b, l.entry_begin - b);
    l.entry_end -= l.entry_begin - b;
    l.entry_begin = b;
    l.kind = Kind::Entry;
}

void ListFile::disable(size_t i) {
    Line& l = m_lines[i];
    l.text.insert(l.entry_begin, "# ");
    l.entry_begin += 2;
    l.entry_end += 2;
    l.kind = Kind::Disabled;
}

void ListFile::remove_line(size_t i) { m_lines.erase(m_lines.begin() + static_cast<long>(i)); }

void ListFile::append(const SourceEntry& e) {
    if (!m_lines.empty() && m_lines.back().eol.empty()) m_lines.back().eol = m_newline;
    Line l;
    l.kind = Kind::Entry;
    l.entry = e;
    l.text = e.render();
    l.entry_end = l.text.size();
    l.eol = m_newline;
    m_lines.push_back(std::move(l));
}

// ---- deb822 ----

Deb822File Deb822File::parse(std::string_view text, const std::string& filename) {
    Deb822File f;
    f.m_newline = detect_newline(text);
    TextPos pos(text, filename);
    size_t offset = 0;
    bool in_stanza = false;
    for (auto& raw : split_raw_lines(text)) {
        Line l;
        l.text = std::move(raw.text);
        l.eol = std::move(raw.eol);
        size_t b = 0;
        while (b < l.text.size() && is_space(l.text[b])) ++b;
        if (b == l.text.size()) {
            in_stanza = false;
        } else if (l.text[0] == '#') {
            l.kind = Line::Kind::Comment;
        } else if (b > 0) {
            if (!in_stanza) throw pos.error(offset + b, "continuation line outside a field");
            l.kind = Line::Kind::Continuation;
            l.value_begin = b;
        } else {
            size_t colon = l.text.find(':');
            if (colon == std::string::npos || colon == 0 || l.text.find_first_of(" \t") < colon)
                throw pos.error(offset, "expected 'Field: value' (deb822), a comment or a blank line");
            l.kind = Line::Kind::Field;
            l.name = l.text.substr(0, colon);
            l.value_begin = colon + 1;
            while (l.value_begin < l.text.size() && is_space(l.text[l.value_begin])) ++l.value_begin;
            in_stanza = true;
        }
        offset += l.text.size() + l.eol.size();
        f.m_lines.push_back(std::move(l));
    }
    // Every stanza must say what to fetch.
    for (const auto& s : f.stanzas())
        for (const char* need : {"Types", "URIs", "Suites"})
            if (!f.field(s, need))
                throw TaskError(Mark{std::make_shared<const std::string>(filename), s.line, 1},
                                std::string("stanza without a '") + need + "' field");
    return f;
}

std::string Deb822File::render() const {
    std::string out;
    for (const auto& l : m_lines) out += l.text + l.eol;
    return out;
}

std::vector<Deb822File::Stanza> Deb822File::stanzas() const {
    std::vector<Stanza> out;
    size_t i = 0;
    while (i < m_lines.size()) {
        while (i < m_lines.size() && m_lines[i].kind == Line::Kind::Blank) ++i;
        size_t b = i;
        int first = 0;
        while (i < m_lines.size() && m_lines[i].kind != Line::Kind::Blank) {
            if (!first && m_lines[i].kind == Line::Kind::Field) first = static_cast<int>(i) + 1;
            ++i;
        }
        if (first) out.push_back({b, i, first});
    }
    return out;
}

size_t Deb822File::field_line(const Stanza& s, const std::string& name) const {
    for (size_t i = s.begin; i < s.end; ++i)
        if (m_lines[i].kind == Line::Kind::Field && to_lower(m_lines[i].name) == to_lower(name)) return i;
    return std::string::npos;
}

std::optional<std::string> Deb822File::field(const Stanza& s, const std::string& name) const {
    size_t i = field_line(s, name);
    if (i == std::string::npos) return std::nullopt;
    std::string v = trim(m_lines[i].text.substr(m_lines[i].value_begin));
    for (size_t k = i + 1; k < s.end && m_lines[k].kind == Line::Kind::Continuation; ++k)
        v += "\n" + trim(m_lines[k].text);
    return v;
}

bool Deb822File::enabled(const Stanza& s) const {
    auto e = field(s, "Enabled");
    return !e || to_lower(trim(*e)) != "no";
}

std::vector<SourceEntry> Deb822File::entries(const Stanza& s) const {
    std::vector<SourceEntry> out;
    std::vector<std::pair<std::string, std::string>> options;
    for (const auto& [opt, fieldname] : k_option_fields) {
        auto v = field(s, fieldname);
        if (v) options.push_back({opt, join(words(*v), ",")});
    }
    auto comps = words(field(s, "Components").value_or(""));
    for (const auto& type : words(field(s, "Types").value_or("")))
        for (const auto& uri : words(field(s, "URIs").value_or("")))
            for (const auto& suite : words(field(s, "Suites").value_or("")))
                out.push_back({type, options, uri, suite, comps});
    return out;
}

bool Deb822File::set_field(const Stanza& s, const std::string& name, const std::string& value) {
    size_t i = field_line(s, name);
    if (i != std::string::npos) {
        if (field(s, name) == value) return false;
        size_t e = i + 1;
        while (e < s.end && m_lines[e].kind == Line::Kind::Continuation) ++e;
        Line& l = m_lines[i];
        l.text.replace(l.value_begin, std::string::npos, value);
        if (e > i + 1) {
            l.eol = m_lines[e - 1].eol;
            m_lines.erase(m_lines.begin() + static_cast<long>(i) + 1, m_lines.begin() + static_cast<long>(e));
        }
        return true;
    }
    size_t at = s.end;
    Line l;
    l.kind = Line::Kind::Field;
    l.name = name;
    l.text = name + ": " + value;
    l.value_begin = name.size() + 2;
    l.eol = m_newline;
    if (m_lines[at - 1].eol.empty()) m_lines[at - 1].eol = m_newline;
    m_lines.insert(m_lines.begin() + static_cast<long>(at), l);
    return true;
}

void Deb822File::remove_stanza(const Stanza& s) {
    size_t b = s.begin, e = s.end;
    // Take one separating blank line with it.
    if (e < m_lines.size() && m_lines[e].kind == Line::Kind::Blank)
        ++e;
    else if (b > 0 && m_lines[b - 1].kind == Line::Kind::Blank)
        --b;
    m_lines.erase(m_lines.begin() + static_cast<long>(b), m_lines.begin() + static_cast<long>(e));
}

void Deb822File::append(const SourceEntry& e) {
    std::vector<std::pair<std::string, std::string>> fields = {
        {"Types", e.type}, {"URIs", e.uri}, {"Suites", e.suite}, {"Components", join(e.components, " ")}};
    if (e.components.empty()) fields.pop_back();
    for (const auto& [opt, value] : e.options) {
        std::string name = opt;
        for (const auto& [o, f] : k_option_fields)
            if (opt == o) name = f;
        std::string v = value;
        std::replace(v.begin(), v.end(), ',', ' ');
        fields.push_back({name, v});
    }
    if (!m_lines.empty()) {
        if (m_lines.back().eol.empty()) m_lines.back().eol = m_newline;
        if (m_lines.back().kind != Line::Kind::Blank) {
            Line blank;
            // After a lone "\r" ending, a blank "\n" would read back as one
            // "\r\n" ending: no blank line, so no new stanza (found by the fuzzer).
            blank.eol = m_lines.back().eol == "\r" ? "\r" : m_newline;
            m_lines.push_back(blank);
        }
    }
    for (const auto& [name, value] : fields) {
        Line l;
        l.kind = Line::Kind::Field;
        l.name = name;
        l.text = name + ": " + value;
        l.value_begin = name.size() + 2;
        l.eol = m_newline;
        m_lines.push_back(std::move(l));
    }
}

}  // namespace upkeep::apt
