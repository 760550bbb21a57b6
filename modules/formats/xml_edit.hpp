// The pure core of the `xml` module: one edit request applied to a document's
// bytes, never reformatting. Every operation is computed as byte splices over the
// original text (see xml_source.hpp), so bytes outside the edited spans survive:
// comments, DOCTYPE, attribute order and quoting, indentation, CRLF line endings.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "engine/value/mark.hpp"
#include "engine/value/value.hpp"
#include "modules/formats/xml_source.hpp"

namespace upkeep::xml {

struct EditRequest {
    std::string xpath = "/";
    Mark xpath_mark;
    // prefix -> namespace URI, as in Ansible's `namespaces` argument.
    std::map<std::string, std::string> namespaces;
    std::optional<std::string> attribute;
    std::optional<std::string> value;
    bool value_secret = false;  // mask the value in messages
    bool absent = false;
    // Children as XML fragments (the module turns YAML maps into XML first).
    std::vector<std::string> add_children;
    std::optional<std::vector<std::string>> set_children;
    Mark children_mark;
    // With add_children: insert the children as siblings before/after the match.
    bool insert_before = false;
    bool insert_after = false;
    // "first", "last", "before:<xpath>" or "after:<xpath>" (our extension).
    std::string position;
    Mark position_mark;
    // Read-only queries.
    bool count = false;
    bool print_match = false;
    std::string content;  // "", "attribute" or "text"
};

struct EditResult {
    std::string text;  // the whole new document (== input when nothing changed)
    std::string msg;
    bool changed = false;
    int64_t count = 0;                 // how many nodes the xpath matched
    std::vector<std::string> matches;  // print_match: one absolute path per match
    Value content;                     // content=attribute|text: Ansible's `matches` list
};

// Applies `req` to `text`. Throws UserError with file:line:col for malformed XML
// and at the argument's mark for a bad XPath or an impossible request.
EditResult edit_xml(const std::string& text, const std::string& filename, const EditRequest& req);

// Rewrites an XPath's namespace prefixes (prefix -> URI map) to the prefixes the
// document itself declares for those URIs, since pugixml's XPath matches names
// literally. A URI bound to the default namespace maps to no prefix.
std::string resolve_namespaces(const std::string& xpath, const std::map<std::string, std::string>& namespaces,
                               const pugi::xml_document& doc);

// An absolute, index-qualified path for a node: /beans/bean[3]/property[1].
std::string node_path(pugi::xml_node node);

}  // namespace upkeep::xml
