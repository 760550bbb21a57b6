#include "modules/formats/ini_doc.hpp"

#include <algorithm>

#include "engine/util/error.hpp"
#include "engine/util/strings.hpp"
#include "modules/formats/text_pos.hpp"

namespace upkeep::ini {
namespace {

constexpr size_t k_npos = std::string::npos;

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\f' || c == '\v'; }

size_t first_non_space(const std::string& s, size_t from = 0) {
    while (from < s.size() && is_space(s[from])) ++from;
    return from;
}

size_t last_non_space_end(const std::string& s, size_t from) {
    size_t e = s.size();
    while (e > from && is_space(s[e - 1])) --e;
    return e;
}

std::vector<std::string> split_value_lines(const std::string& value) {
    std::vector<std::string> out;
    for (const auto& part : split(value, '\n')) out.push_back(trim(part));
    return out;
}

}  // namespace

Document Document::parse(std::string_view text, const std::string& filename, const ParseOptions& opts) {
    Document doc;
    doc.m_newline = detect_newline(text);
    TextPos pos(text, filename);
    size_t offset = 0;
    bool in_section = false;
    bool after_option = false;
    for (auto& raw : split_raw_lines(text)) {
        Line l;
        l.text = std::move(raw.text);
        l.eol = std::move(raw.eol);
        size_t b = first_non_space(l.text);
        auto fail = [&](size_t col, const std::string& msg) { return pos.error(offset + col, msg); };
        if (b == l.text.size()) {
            l.kind = Kind::Blank;
            after_option = false;
        } else if (l.text[b] == '#' || l.text[b] == ';') {
            l.kind = Kind::Comment;
            after_option = false;
        } else if (b > 0 && after_option) {
            l.kind = Kind::Continuation;
            l.value_begin = b;
            l.value_end = last_non_space_end(l.text, b);
        } else if (l.text[b] == '[') {
            size_t close = l.text.rfind(']');
            if (close == std::string::npos || close < b) throw fail(b, "section header without a closing ']'");
            l.kind = Kind::Section;
            l.name = trim(std::string_view(l.text).substr(b + 1, close - b - 1));
            if (l.name.empty()) throw fail(b, "empty section name");
            in_section = true;
            after_option = false;
        } else {
            size_t d = l.text.find_first_of("=:", b);
            l.kind = Kind::Option;
            if (d == std::string::npos) {
                if (!opts.allow_no_value) throw fail(b, "expected 'key = value', a [section] header or a comment");
                l.name = trim(std::string_view(l.text).substr(b));
                l.value_begin = l.value_end = l.text.size();
            } else {
                l.name = trim(std::string_view(l.text).substr(b, d - b));
                if (l.name.empty()) throw fail(b, "option without a name");
                l.has_value = true;
                l.value_begin = first_non_space(l.text, d + 1);
                l.value_end = last_non_space_end(l.text, l.value_begin);
            }
            if (!in_section && !opts.allow_global_keys)
                throw fail(b, "key '" + l.name + "' outside any section (before the first [section] header)");
            after_option = true;
        }
        offset += l.text.size() + l.eol.size();
        doc.m_lines.push_back(std::move(l));
    }
    return doc;
}

std::string Document::render() const {
    std::string out;
    for (const auto& l : m_lines) out += l.text + l.eol;
    return out;
}

std::vector<std::string> Document::section_names() const {
    std::vector<std::string> out;
    for (const auto& l : m_lines)
        if (l.kind == Kind::Section) out.push_back(l.name);
    return out;
}

std::optional<Document::Range> Document::find_section(const Section& section) const {
    size_t first_header = k_npos;
    for (size_t i = 0; i < m_lines.size(); ++i) {
        if (m_lines[i].kind != Kind::Section) continue;
        if (first_header == k_npos) first_header = i;
        if (section && m_lines[i].name == *section) {
            size_t e = i + 1;
            while (e < m_lines.size() && m_lines[e].kind != Kind::Section) ++e;
            return Range{i, i + 1, e};
        }
    }
    if (!section) return Range{k_npos, 0, first_header == k_npos ? m_lines.size() : first_header};
    return std::nullopt;
}

bool Document::has_section(const Section& section) const { return find_section(section).has_value(); }

size_t Document::group_end(size_t option) const {
    size_t e = option + 1;
    while (e < m_lines.size() && m_lines[e].kind == Kind::Continuation) ++e;
    return e;
}

std::string Document::value_of(size_t option) const {
    const Line& l = m_lines[option];
    std::string v = l.text.substr(l.value_begin, l.value_end - l.value_begin);
    for (size_t i = option + 1; i < group_end(option); ++i) {
        const Line& c = m_lines[i];
        v += "\n" + c.text.substr(c.value_begin, c.value_end - c.value_begin);
    }
    return v;
}

std::vector<std::string> Document::option_names(const Section& section) const {
    std::vector<std::string> out;
    auto r = find_section(section);
    if (!r) return out;
    for (size_t i = r->begin; i < r->end; ++i)
        if (m_lines[i].kind == Kind::Option) out.push_back(m_lines[i].name);
    return out;
}

std::vector<std::optional<std::string>> Document::get_all(const Section& section, const std::string& key) const {
    std::vector<std::optional<std::string>> out;
    auto r = find_section(section);
    if (!r) return out;
    for (size_t i = r->begin; i < r->end; ++i) {
        if (m_lines[i].kind != Kind::Option || m_lines[i].name != key) continue;
        if (m_lines[i].has_value)
            out.push_back(value_of(i));
        else
            out.push_back(std::nullopt);
    }
    return out;
}

std::optional<std::string> Document::get(const Section& section, const std::string& key) const {
    auto all = get_all(section, key);
    if (all.empty()) return std::nullopt;
    return all.back();
}

void Document::set_line_value(size_t option, const std::string& value) {
    Line& l = m_lines[option];
    auto parts = split_value_lines(value);
    // Continuation lines keep the indentation the option already used, else align under the value.
    std::string indent(l.value_begin, ' ');
    size_t end = group_end(option);
    if (end > option + 1) indent = m_lines[option + 1].text.substr(0, m_lines[option + 1].value_begin);
    const std::string& first = parts[0];
    if (!l.has_value) {
        l.text.insert(l.value_end, "=");
        l.value_begin = l.value_end = l.value_end + 1;
        l.has_value = true;
    } else if (l.value_begin == l.value_end && l.value_begin == l.text.size() && !first.empty() &&
               l.value_begin >= 2 && !is_space(l.text[l.value_begin - 1]) && l.text[l.value_begin - 2] == ' ') {
        l.text += ' ';  // "key =" becomes "key = value", in the style of its delimiter
        l.value_begin = l.value_end = l.text.size();
    }
    l.text.replace(l.value_begin, l.value_end - l.value_begin, first);
    l.value_end = l.value_begin + first.size();
    std::string last_eol = m_lines[end - 1].eol;
    m_lines.erase(m_lines.begin() + static_cast<long>(option) + 1, m_lines.begin() + static_cast<long>(end));
    std::vector<Line> conts;
    for (size_t k = 1; k < parts.size(); ++k) {
        Line c;
        c.kind = Kind::Continuation;
        c.text = indent + parts[k];
        c.value_begin = indent.size();
        c.value_end = c.text.size();
        c.eol = m_newline;
        conts.push_back(std::move(c));
    }
    if (!conts.empty()) {
        m_lines[option].eol = m_newline;
        conts.back().eol = last_eol;
    } else {
        m_lines[option].eol = last_eol;
    }
    m_lines.insert(m_lines.begin() + static_cast<long>(option) + 1, conts.begin(), conts.end());
}

std::vector<Document::Line> Document::make_option(const std::string& key, const std::optional<std::string>& value,
                                                  const Format& fmt) const {
    Line l;
    l.kind = Kind::Option;
    l.name = key;
    l.text = key;
    l.eol = m_newline;
    if (!value) {
        l.value_begin = l.value_end = l.text.size();
        return {l};
    }
    l.text += fmt.assignment;
    l.has_value = true;
    l.value_begin = l.value_end = l.text.size();
    std::vector<Line> out{l};
    Document tmp;
    tmp.m_newline = m_newline;
    tmp.m_lines = out;
    tmp.set_line_value(0, *value);
    return tmp.m_lines;
}

void Document::insert_lines(size_t at, std::vector<Line> lines) {
    if (lines.empty()) return;
    if (at > 0 && m_lines[at - 1].eol.empty()) m_lines[at - 1].eol = m_newline;
    m_lines.insert(m_lines.begin() + static_cast<long>(at), lines.begin(), lines.end());
}

size_t Document::insertion_point(const Range& r) const {
    size_t at = k_npos;
    for (size_t i = r.begin; i < r.end; ++i)
        if (m_lines[i].kind == Kind::Option || m_lines[i].kind == Kind::Continuation) at = i + 1;
    if (at != k_npos) return at;
    return r.begin;  // right after the header (or at the top of the file for the global part)
}

bool Document::set_values(const Section& section, const std::string& key, const std::vector<std::string>& values,
                          bool exclusive, const Format& fmt, bool allow_no_value) {
    bool changed = false;
    if (!find_section(section)) changed = add_section(*section);
    Range r = *find_section(section);
    std::vector<size_t> lines;
    for (size_t i = r.begin; i < r.end; ++i)
        if (m_lines[i].kind == Kind::Option && m_lines[i].name == key) lines.push_back(i);
    auto normalized = [](const std::string& v) { return join(split_value_lines(v), "\n"); };
    std::vector<std::string> remaining;
    for (const auto& v : values) remaining.push_back(normalized(v));
    std::vector<bool> done(lines.size(), false);
    bool want_bare = values.empty() && allow_no_value;
    // 1. Lines already holding a wanted value stay as they are.
    for (size_t k = 0; k < lines.size(); ++k) {
        const Line& l = m_lines[lines[k]];
        if (want_bare && !l.has_value) {
            done[k] = true;
            want_bare = false;
            continue;
        }
        if (!l.has_value) continue;
        auto it = std::find(remaining.begin(), remaining.end(), value_of(lines[k]));
        if (it != remaining.end()) {
            remaining.erase(it);
            done[k] = true;
        }
    }
    // 2. Other lines of the key take the remaining values, in order; 3. leftovers go when exclusive.
    // Work from the last line backwards so that indices of earlier lines stay valid.
    std::vector<std::pair<size_t, std::string>> assign;
    for (size_t k = 0; k < lines.size() && !remaining.empty(); ++k) {
        if (done[k]) continue;
        assign.push_back({k, remaining.front()});
        remaining.erase(remaining.begin());
        done[k] = true;
    }
    for (size_t k = lines.size(); k-- > 0;) {
        if (!done[k]) {
            if (exclusive) {
                m_lines.erase(m_lines.begin() + static_cast<long>(lines[k]),
                              m_lines.begin() + static_cast<long>(group_end(lines[k])));
                changed = true;
            }
            continue;
        }
        for (const auto& [idx, v] : assign) {
            if (idx != k) continue;
            set_line_value(lines[k], v);
            changed = true;
        }
    }
    // 4. Missing values after the section's last option.
    if (!remaining.empty() || want_bare) {
        Range now = *find_section(section);
        std::vector<Line> add;
        for (const auto& v : remaining) {
            auto ls = make_option(key, v, fmt);
            add.insert(add.end(), ls.begin(), ls.end());
        }
        if (want_bare) {
            auto ls = make_option(key, std::nullopt, fmt);
            add.insert(add.end(), ls.begin(), ls.end());
        }
        insert_lines(insertion_point(now), std::move(add));
        changed = true;
    }
    return changed;
}

bool Document::remove_option(const Section& section, const std::string& key,
                             const std::optional<std::vector<std::string>>& values) {
    auto r = find_section(section);
    if (!r) return false;
    bool changed = false;
    for (size_t i = r->end; i-- > r->begin;) {
        if (m_lines[i].kind != Kind::Option || m_lines[i].name != key) continue;
        if (values) {
            if (!m_lines[i].has_value) continue;
            std::string v = value_of(i);
            if (std::find(values->begin(), values->end(), v) == values->end()) continue;
        }
        m_lines.erase(m_lines.begin() + static_cast<long>(i), m_lines.begin() + static_cast<long>(group_end(i)));
        changed = true;
    }
    return changed;
}

bool Document::remove_section(const std::string& section) {
    auto r = find_section(section);
    if (!r) return false;
    size_t end = r->end;
    if (end < m_lines.size()) {
        // Keep the comment block that sits directly on the next header.
        while (end > r->begin && m_lines[end - 1].kind == Kind::Comment) --end;
    }
    m_lines.erase(m_lines.begin() + static_cast<long>(r->header), m_lines.begin() + static_cast<long>(end));
    return true;
}

bool Document::add_section(const std::string& section) {
    std::vector<Line> add;
    if (!m_lines.empty() && m_lines.back().kind != Kind::Blank) {
        Line blank;
        blank.eol = m_newline;
        add.push_back(blank);
    }
    Line h;
    h.kind = Kind::Section;
    h.name = section;
    h.text = "[" + section + "]";
    h.eol = m_newline;
    add.push_back(h);
    insert_lines(m_lines.size(), std::move(add));
    return true;
}

bool Document::only_trivia() const {
    return std::all_of(m_lines.begin(), m_lines.end(),
                       [](const Line& l) { return l.kind == Kind::Blank || l.kind == Kind::Comment; });
}

}  // namespace upkeep::ini
