// YAML -> Value with marks. Plain scalars are typed the way Ansible's YAML 1.1
// loader types them (yes/no/true/false are booleans, 0644 is octal 420, ~ is null);
// quoted scalars always stay strings.
#pragma once

#include <string>

#include "engine/value/value.hpp"

namespace upkeep {

// Parses one YAML document. Throws UserError "file:line:col: message" on bad YAML.
Value parse_yaml(const std::string& text, const std::string& filename);
// Reads and parses a file; a missing file is a UserError naming it. A
// vault-encrypted file is decrypted (VaultKeyring) and all its values are secrets.
Value load_yaml_file(const std::string& path);
// Marks every scalar inside `v` secret (decrypted vault files).
void mark_secret(Value& v);
// Renders a Value as YAML text (for debug output and reports).
std::string to_yaml(const Value& v, bool reveal = false);

}  // namespace upkeep
