// A lossless INI document (ini_file, yum .repo files): keeps every line as it
// was and edits only the lines an operation touches, so that rendering an
// untouched document gives back the exact input (comments, blank lines, order,
// spacing around '=', CRLF, missing final newline, encoding).
//
// Grammar (Python's configparser with interpolation=None, strict=False, which
// is how dnf reads .repo files): "[name]" starts a section; "key = value" or
// "key: value" (the first '=' or ':' is the delimiter) is an option whose value
// is stripped; an indented non-blank line right after an option continues its
// value (a multi-line value, lines joined by "\n"); a line whose first
// non-blank character is '#' or ';' is a comment. Differences, documented: a
// blank or comment line ends a multi-line value (configparser would carry on
// after it), and option names are case-sensitive (ini_file matches them exactly,
// as Ansible does). The first section of a name is the one edited.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace upkeep::ini {

struct ParseOptions {
    bool allow_global_keys = true;  // keys before the first [section] (false: an error, as dnf)
    bool allow_no_value = false;    // a bare "key" line is an option without value
};

// How new option lines are written.
struct Format {
    std::string assignment = " = ";  // "=" with no_extra_spaces
};

// A section name; nullopt is the part of the file before the first section.
using Section = std::optional<std::string>;

class Document {
public:
    // Throws UserError "file:line:col: message" for lines that are not INI.
    static Document parse(std::string_view text, const std::string& filename, const ParseOptions& opts = {});
    std::string render() const;
    const std::string& newline() const { return m_newline; }

    std::vector<std::string> section_names() const;
    bool has_section(const Section& section) const;
    // Names of the options of a section, in file order (repeated names repeat).
    std::vector<std::string> option_names(const Section& section) const;
    // Every value of `key` in the section, in file order (nullopt: a bare key).
    std::vector<std::optional<std::string>> get_all(const Section& section, const std::string& key) const;
    std::optional<std::string> get(const Section& section, const std::string& key) const;  // the last value

    // Ensures `key` has exactly these values in the section, in place (Ansible's
    // ini_file algorithm): lines already holding a wanted value stay, other lines
    // of the key get the remaining values, leftover lines are removed when
    // `exclusive`, and values still missing are added after the section's last
    // option. Creates the section (at the end of the file) when missing. A value
    // with "\n" is written as continuation lines. An empty `values` with
    // allow_no_value ensures a bare "key". Returns true if changed.
    bool set_values(const Section& section, const std::string& key, const std::vector<std::string>& values,
                    bool exclusive, const Format& fmt, bool allow_no_value = false);
    bool set(const Section& section, const std::string& key, const std::string& value, const Format& fmt) {
        return set_values(section, key, {value}, true, fmt);
    }
    // Removes the key's lines (only those whose value is in `values` when given).
    bool remove_option(const Section& section, const std::string& key,
                       const std::optional<std::vector<std::string>>& values = std::nullopt);
    // Removes a section: its header and lines, except a comment block directly
    // above the next section's header (it describes that section).
    bool remove_section(const std::string& section);
    // Appends "[name]" at the end (after a blank line if the file has content).
    bool add_section(const std::string& section);
    // True when the file holds nothing but blank lines and comments.
    bool only_trivia() const;

private:
    enum class Kind { Blank, Comment, Section, Option, Continuation };
    struct Line {
        std::string text;  // without the line ending
        std::string eol;
        Kind kind = Kind::Blank;
        std::string name;  // section name or option key
        bool has_value = false;
        size_t value_begin = 0, value_end = 0;  // the stripped value's span in text (options)
    };

    struct Range {
        size_t header;  // index of the header line, or npos for the global part
        size_t begin, end;  // body lines [begin, end)
    };
    std::optional<Range> find_section(const Section& section) const;
    size_t group_end(size_t option) const;  // one past the option's last continuation line
    std::string value_of(size_t option) const;
    void set_line_value(size_t option, const std::string& value);
    std::vector<Line> make_option(const std::string& key, const std::optional<std::string>& value,
                                  const Format& fmt) const;
    void insert_lines(size_t at, std::vector<Line> lines);
    size_t insertion_point(const Range& r) const;

    std::vector<Line> m_lines;
    std::string m_newline = "\n";
};

}  // namespace upkeep::ini
