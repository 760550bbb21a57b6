// sysctl's pure core: ansible.posix.sysctl's edit of a sysctl.conf-style file.
#pragma once

#include <optional>
#include <string>

namespace upkeep {

struct SysctlEdit {
    std::string content;                    // the whole new file, as Ansible would write it
    std::optional<std::string> file_value;  // the key's value in the file before the edit
};

// Ansible's value normalisation: booleans (yes/on/true/1...) become "1"/"0",
// other text is stripped.
std::string sysctl_normalise_value(const std::string& value);

// Parses `current` (nullopt: no file) and sets or removes `key`, exactly as
// ansible.posix.sysctl does: every line is stripped, "k = v" lines are rewritten
// as "k=v", a key's later duplicates are dropped, a new key goes at the end.
SysctlEdit sysctl_edit(const std::optional<std::string>& current, const std::string& key, const std::string& value,
                       bool present);

// Ansible's comparison of a live value with the wanted one: the same words in order
// ("4096 87380 6291456" equals "4096\t87380  6291456").
bool sysctl_values_equal(const std::string& a, const std::string& b);

}  // namespace upkeep
