// Lossless APT source files: the one-line format (sources.list, *.list:
// "deb [opts] uri suite components # comment") and the deb822 format (*.sources:
// stanzas of "Types: / URIs: / Suites: / Components:" fields). Both keep every
// line's bytes; edits rewrite only the lines (or field values) they touch.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace upkeep::apt {

// One source: what apt fetches from.
struct SourceEntry {
    std::string type;  // "deb" or "deb-src"
    std::vector<std::pair<std::string, std::string>> options;  // [arch=amd64 signed-by=...], in written order
    std::string uri;
    std::string suite;
    std::vector<std::string> components;

    // "deb [arch=amd64] http://host/path suite comp1 comp2"
    std::string render() const;
    // True when apt would fetch the same thing: same type, URI (ignoring a
    // trailing '/'), suite, the same components and options (in any order).
    bool same_as(const SourceEntry& other) const;
};

// Parses one one-line entry (without a comment). Throws TaskError with the mark
// of the offending word: file:line:(col0 + its column).
SourceEntry parse_entry(std::string_view text, const std::string& filename, int line = 1, int col0 = 1);

// A one-line-format file (sources.list, *.list).
class ListFile {
public:
    static ListFile parse(std::string_view text, const std::string& filename);
    std::string render() const;

    enum class Kind { Blank, Comment, Entry, Disabled };  // Disabled: "# deb ..." that parses as an entry
    struct Line {
        std::string text, eol;
        Kind kind = Kind::Blank;
        SourceEntry entry;
        size_t entry_begin = 0, entry_end = 0;  // the entry's span in text (trailing comment excluded)
    };
    const std::vector<Line>& lines() const { return m_lines; }

    // Replaces the entry of line i in place (keeping indentation and a trailing comment).
    void replace_entry(size_t i, const SourceEntry& e);
    // Turns a disabled line into an active one ("# deb x" -> "deb x").
    void enable(size_t i);
    // Comments a line out ("deb x" -> "# deb x").
    void disable(size_t i);
    void remove_line(size_t i);
    void append(const SourceEntry& e);

private:
    std::vector<Line> m_lines;
    std::string m_newline = "\n";
};

// A deb822 file (*.sources).
class Deb822File {
public:
    static Deb822File parse(std::string_view text, const std::string& filename);
    std::string render() const;

    struct Stanza {
        size_t begin, end;  // field and comment lines [begin, end) of the stanza
        int line;           // 1-based line of its first field
    };
    std::vector<Stanza> stanzas() const;
    // A field's value (continuation lines joined with "\n"), nullopt when absent.
    std::optional<std::string> field(const Stanza& s, const std::string& name) const;
    // Sources a stanza lists (Types x URIs x Suites), and whether it is enabled.
    std::vector<SourceEntry> entries(const Stanza& s) const;
    bool enabled(const Stanza& s) const;
    // Sets a field's value in place (keeping the field name as written), or adds
    // the field at the end of the stanza. Returns true if changed.
    bool set_field(const Stanza& s, const std::string& name, const std::string& value);
    void remove_stanza(const Stanza& s);
    void append(const SourceEntry& e);

private:
    struct Line {
        std::string text, eol;
        enum class Kind { Blank, Comment, Field, Continuation } kind = Kind::Blank;
        std::string name;  // field name
        size_t value_begin = 0;
    };
    size_t field_line(const Stanza& s, const std::string& name) const;
    std::vector<Line> m_lines;
    std::string m_newline = "\n";
};

}  // namespace upkeep::apt
