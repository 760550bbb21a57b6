// lineinfile's pure core: Ansible's lineinfile semantics on a file's bytes.
#pragma once

#include <optional>
#include <string>

namespace upkeep {

struct LineinfileOptions {
    bool present = true;                       // state: present | absent
    std::optional<std::string> regexp;         // Python regexp matched against each line (without its terminator)
    std::optional<std::string> search_string;  // a literal substring instead of a regexp
    std::optional<std::string> line;           // the line to put (required with present)
    std::optional<std::string> insertafter;    // regexp, or "EOF" (the default) / "BOF"
    std::optional<std::string> insertbefore;   // regexp, or "BOF"
    bool backrefs = false;                     // expand \1 in `line`; no match -> no change
    bool firstmatch = false;                   // use the first match instead of the last
};

// Returns the new text. `msg` receives "line added", "line replaced",
// "2 line(s) removed", or why nothing changed. Throws UserError for bad options.
// Deliberate differences from Ansible: a line's own terminator ("\r\n") is kept
// when it is replaced, and lines added to a CRLF file end in "\r\n"; regexps are
// matched against the line without its terminator.
std::string lineinfile_edit(const std::string& text, const LineinfileOptions& opts, std::string* msg);

}  // namespace upkeep
