// The elementary lossless XML edits, each computed as splices over an
// XmlSource's original bytes. Every function returns nothing (or an empty list)
// when the document already is as wanted, which is what makes the xml module and
// the XML merge idempotent. Shared by xml_edit.cpp and the config_merge XML format.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "engine/value/mark.hpp"
#include "modules/formats/xml_source.hpp"

namespace upkeep::xml {

// Sets an attribute's value in place, or adds it after the last attribute
// (copying the tag's quoting and, for one-attribute-per-line tags, its layout).
std::optional<Splice> set_attribute_splice(const XmlSource& src, pugi::xml_node el, const std::string& name,
                                           const std::string& value);
std::optional<Splice> remove_attribute_splice(const XmlSource& src, pugi::xml_node el, const std::string& name);

// Replaces the element's leading text (lxml's `.text`): the text and CDATA
// before its first child element, comment or PI. "<a/>" becomes "<a>v</a>".
std::optional<Splice> set_text_splice(const XmlSource& src, pugi::xml_node el, const std::string& value);

// Appends zero-based XML fragments as the last children of `parent`, each on its
// own line at the children's indentation. No duplicate check.
std::vector<Splice> append_children_splices(const XmlSource& src, pugi::xml_node parent,
                                            const std::vector<std::string>& fragments);

// Like append_children_splices, but skips fragments equal to an existing child;
// `added` is increased by the number actually added. Bad fragments are errors at `mark`.
std::vector<Splice> add_children_splices(const XmlSource& src, pugi::xml_node parent,
                                         const std::vector<std::string>& fragments, const Mark& mark, size_t* added);

// Inserts fragments as siblings just before or after `el` (skipping fragments
// equal to an existing sibling).
std::vector<Splice> insert_sibling_splices(const XmlSource& src, pugi::xml_node el,
                                           const std::vector<std::string>& fragments, bool before, const Mark& mark,
                                           size_t* added);

// Replaces all children of `el` by the fragments, unless its element children
// already equal them.
std::optional<Splice> set_children_splice(const XmlSource& src, pugi::xml_node el,
                                          const std::vector<std::string>& fragments, const Mark& mark);

// Moves `el` among its siblings: where is "first", "last", "before:..." or
// "after:..." (then `anchor` is that sibling). Empty when already in place.
std::vector<Splice> move_splices(const XmlSource& src, pugi::xml_node el, const std::string& where,
                                 pugi::xml_node anchor);

// Parses one XML fragment with a single root element; throws UserError at `mark`.
void parse_fragment(pugi::xml_document& doc, const std::string& fragment, const Mark& mark);

}  // namespace upkeep::xml
