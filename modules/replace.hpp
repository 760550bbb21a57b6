// replace's pure core: Ansible's replace semantics on a file's text.
#pragma once

#include <optional>
#include <string>

namespace upkeep {

struct ReplaceOptions {
    std::string regexp;                 // Python regexp, multiline (^ and $ match at every line)
    std::string replace;                // replacement with \1, \g<1>, \g<name> backreferences
    std::optional<std::string> after;   // only edit the text after the first match of this regexp
    std::optional<std::string> before;  // only edit the text before the (last) match of this regexp
};

// Returns the new text; `msg` receives "3 replacements made" or why nothing
// changed. Throws UserError for a bad regexp or template.
std::string replace_edit(const std::string& text, const ReplaceOptions& opts, std::string* msg);

}  // namespace upkeep
