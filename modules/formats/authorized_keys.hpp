// authorized_key's pure core: ansible.posix.authorized_key's edit of an
// authorized_keys file (key options, comments, exclusive, Ansible's ordering).
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace upkeep {

struct AuthorizedKeysRequest {
    std::string keys;                        // one or more key lines ("#" lines and blank lines ignored)
    bool present = true;
    std::optional<std::string> key_options;  // replaces the options of every given key
    std::optional<std::string> comment;      // replaces the comment of every given key
    bool exclusive = false;                  // present: every other line goes (comments too, as Ansible)
};

struct AuthorizedKeysOutcome {
    bool write = false;   // Ansible's do_write: the file is rewritten (and its modes set)
    std::string content;  // the new file
};

// Throws TaskError("invalid key specified: ...") for a line that is not a key.
// Deliberate difference from Ansible: a last line without its newline gets one
// before a key is appended after it (Ansible glues the new key onto that line,
// so the key would not work, or a comment would swallow it).
AuthorizedKeysOutcome authorized_keys_edit(const std::string& existing, const AuthorizedKeysRequest& req);

}  // namespace upkeep
