// XmlSource: an XML document parsed by pugixml, kept next to its original bytes,
// with the byte spans (start tag, attribute values, element extent, line) that a
// lossless edit needs. pugixml does the real parsing and validation; a small
// scanner then walks the ORIGINAL text from the offsets pugixml reports, so an
// edit can splice new bytes in and leave every other byte as it was.
#pragma once

#include <pugixml.hpp>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "engine/value/mark.hpp"

namespace upkeep::xml {

// One attribute inside a start tag. `ws_begin` is where the whitespace before
// the attribute starts (removing [ws_begin, end) removes the attribute cleanly).
struct AttrSpan {
    std::string name;
    size_t ws_begin = 0;
    size_t name_begin = 0;
    size_t value_begin = 0;  // first byte after the opening quote
    size_t value_end = 0;    // the closing quote
    char quote = '"';
    size_t end() const { return value_end + 1; }
};

struct StartTag {
    size_t begin = 0;        // '<'
    size_t name_end = 0;     // one past the element name
    size_t close_begin = 0;  // the '/' of "/>" or the '>'
    size_t end = 0;          // one past the final '>'
    bool self_closing = false;
    std::vector<AttrSpan> attrs;
    const AttrSpan* find(std::string_view name) const;
};

// A replacement of bytes [begin, end) by `text`.
struct Splice {
    size_t begin = 0;
    size_t end = 0;
    std::string text;
};

class XmlSource {
public:
    // Parses `text` (UTF-8 or ASCII-compatible 8-bit; a UTF-16 file is refused).
    // Throws UserError "file:line:col: malformed XML: ..." on bad input.
    XmlSource(std::string text, std::string filename);

    const std::string& text() const { return m_text; }
    const std::string& filename() const { return m_filename; }
    const pugi::xml_document& doc() const { return *m_doc; }
    pugi::xml_node root() const { return m_doc->document_element(); }

    StartTag start_tag(pugi::xml_node el) const;
    // The '<' of the element's end tag; npos for a self-closing element.
    size_t end_tag_begin(pugi::xml_node el) const;
    // The element's bytes, and the same widened to whole lines when the element
    // stands alone on its lines (leading indentation and trailing newline included).
    std::pair<size_t, size_t> element_span(pugi::xml_node el) const;
    std::pair<size_t, size_t> line_unit(pugi::xml_node el) const;
    bool on_own_line(pugi::xml_node el) const;
    // Whitespace between the start of the element's line and its '<' ("" when
    // something else precedes it on that line).
    std::string indent_of(pugi::xml_node el) const;
    // The indentation one level below `parent`: taken from its element children,
    // else the parent's indent plus the document's usual step.
    std::string child_indent(pugi::xml_node parent) const;
    // The document's usual indentation step ("  ", "    ", "\t"), guessed from it.
    std::string indent_step() const;
    // "\r\n" when the file uses CRLF line endings, else "\n".
    const std::string& newline() const { return m_newline; }
    // A Mark (file:line:col, 1-based) for a byte offset in the text.
    Mark mark_at(size_t offset) const;

private:
    StartTag scan_start_tag(size_t lt) const;
    size_t scan_element_end(size_t content_begin, size_t* end_tag) const;

    std::string m_text;
    std::string m_filename;
    std::unique_ptr<pugi::xml_document> m_doc;
    std::string m_newline = "\n";
};

// Applies splices (any order) to `text`. Splices must not partially overlap;
// a splice wholly inside an earlier, larger one is dropped (it was superseded).
std::string apply_splices(const std::string& text, std::vector<Splice> splices);

// Escaping for text content and for an attribute value quoted with `quote`.
std::string escape_text(std::string_view s);
std::string escape_attr(std::string_view s, char quote);

// Structural equality used for idempotence: same name, same attribute set,
// same trimmed text, and equal element children in order.
bool same_element(pugi::xml_node a, pugi::xml_node b);

// Re-indents a multi-line fragment: its continuation lines lose `from` (when
// they start with it) and gain `to`.
std::string reindent(std::string_view fragment, const std::string& from, const std::string& to, const std::string& nl);

}  // namespace upkeep::xml
