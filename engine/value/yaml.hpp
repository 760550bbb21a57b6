// YAML -> Value with marks, through libfyaml (a conformant YAML 1.2 parser: every
// invalid document of the yaml-test-suite is refused). Plain scalars are typed the
// way Ansible's YAML 1.1 loader types them (yes/no/true/false are booleans, 0644 is
// octal 420, ~ is null); quoted scalars always stay strings.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/value/value.hpp"

namespace upkeep {

// Bounds on what one document may cost once its aliases are followed: a
// "billion laughs" document is tiny as text but huge for anything that walks it.
struct YamlLimits {
    int max_depth = 512;                          // nesting, counted through aliases
    uint64_t max_alias_expansion = 1'000'000;     // values reachable through aliases, per document
};

// Parses a stream that must hold at most one document (an empty stream is null),
// as Ansible's loader does. Throws UserError "file:line:col: message" on bad YAML.
Value parse_yaml(const std::string& text, const std::string& filename, const YamlLimits& limits = {});
// Parses every document of a stream (for tools and the conformance test).
std::vector<Value> parse_yaml_stream(const std::string& text, const std::string& filename,
                                     const YamlLimits& limits = {});
// Reads and parses a file; a missing file is a UserError naming it. A
// vault-encrypted file is decrypted (VaultKeyring) and all its values are secrets.
Value load_yaml_file(const std::string& path);
// Marks every scalar inside `v` secret (decrypted vault files).
void mark_secret(Value& v);
// The keys of a map loaded from YAML in the order they were written (by their
// marks); keys without a mark follow in sorted order.
std::vector<std::string> keys_in_source_order(const Value& map);
// Renders a Value as YAML text (for debug output and reports).
std::string to_yaml(const Value& v, bool reveal = false);

}  // namespace upkeep
