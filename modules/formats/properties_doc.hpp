// A lossless Java .properties document: parses the grammar of
// java.util.Properties.load(Reader) and keeps every byte of the file, so that
// rendering an untouched document gives back the exact input, and an edit only
// rewrites the span of the entry it touches (comments, blank lines, key order,
// separators, spacing, CRLF line endings and encoding stay as they were).
//
// Grammar (as java.util.Properties): natural lines end in \n, \r or \r\n; a line
// ending in an odd number of backslashes continues on the next line, whose
// leading whitespace is skipped; a line whose first non-blank character is # or !
// is a comment; the key ends at the first unescaped '=', ':' or whitespace;
// escapes \t \n \r \f \uXXXX and \x (= x) are decoded. Two deliberate
// differences from Java, both reported as errors instead of being guessed: a
// continuation at the end of the file and a malformed \uXXXX escape (Java throws
// for the latter too).
//
// Decoded text is UTF-8. The file's bytes are taken as UTF-8 (like Java 9+
// resource bundles); \uXXXX escapes are decoded to UTF-8 (a valid surrogate pair
// becomes one code point).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace upkeep::properties {

struct Entry {
    std::string key;
    std::string value;  // decoded (escapes, continuations resolved)
    int line = 0;       // 1-based first line
};

class Document {
public:
    // Throws UserError "file:line:col: message" for a malformed \uXXXX escape or a
    // line continuation at the end of the file.
    static Document parse(std::string_view text, const std::string& filename);

    // The file's bytes; identical to the parsed text when nothing was edited.
    std::string render() const;

    // Entries in file order; a key may appear twice (the last wins, like Java).
    std::vector<Entry> entries() const;
    // The value of the last occurrence of `key`, decoded.
    std::optional<std::string> get(const std::string& key) const;

    // Sets the value of the last occurrence in place, keeping its key text,
    // separator and the spacing around it (a value spread over continuation lines
    // becomes one line), or appends "key=value" at the end with the file's line
    // ending (adding one first if the file lacks a trailing newline). Returns
    // true if the document changed. Encoding of the written value: backslash,
    // tab, newline, carriage return and form feed are escaped, a leading space,
    // '=' or ':' is escaped ("\ "), other control characters become \u00XX; non-ASCII text is
    // written as raw UTF-8, except as \uXXXX when the file already uses \u
    // escapes or is not valid UTF-8 (a Latin-1 era file); bytes that are not
    // UTF-8 are written back as they are, so they read back unchanged.
    bool set(const std::string& key, const std::string& value);

    // Removes every occurrence of `key` with its continuation lines. Returns true
    // if anything was removed.
    bool remove(const std::string& key);

    // Replaces the value of `key`'s last occurrence only if it differs; same as
    // set() but never appends. Returns true if changed.
    bool replace_existing(const std::string& key, const std::string& value);
    // Sets the value of the n-th entry (index into entries()) in place. Returns
    // true if changed.
    bool set_entry_value(size_t n, const std::string& value);
    // The comment lines (raw, each with its line ending) directly above the last
    // occurrence of `key`: the run of comment lines that ends at the key, stopping
    // at a blank line. Empty when the key is absent or has no comment above it.
    std::vector<std::string> comments_above(const std::string& key) const;
    // Inserts raw trivia (comment lines, each ending in a newline) just above the
    // last occurrence of `key`. Returns false when the key is absent.
    bool insert_above(const std::string& key, const std::string& raw);
    // True if the file writes non-ASCII text as \uXXXX escapes (see set()).
    bool ascii_escapes() const { return m_ascii_escapes; }

    // The line ending this file uses ("\r\n" if its first line ends so, else "\n").
    const std::string& newline() const { return m_newline; }

private:
    // One run of bytes of the file: an entry (a logical line with its
    // continuation lines and its final line ending) or trivia (comments, blank lines).
    struct Piece {
        std::string raw;
        bool is_entry = false;
        std::string key, value;  // decoded
        size_t value_begin = 0;  // offset in raw where the value text starts
        size_t value_end = 0;    // offset in raw where the logical line ends (before its line ending)
        bool has_separator = false;  // "key=..." / "key:..." / "key value" (false: a bare "key")
        int line = 0;
    };

    std::string encode_value(const std::string& value) const;
    std::string encode_key(const std::string& key) const;
    int find_last(const std::string& key) const;
    bool set_piece_value(Piece& p, const std::string& value);
    void renumber();

    std::vector<Piece> m_pieces;
    std::string m_newline = "\n";
    bool m_ascii_escapes = false;  // write non-ASCII as \uXXXX
};

// Encodes a UTF-8 value the way set() writes it (see set()). Exposed for the
// tests and other modules (config_merge).
std::string encode_value_text(const std::string& value, bool ascii_escapes);

}  // namespace upkeep::properties
