// Typing of plain YAML scalars the way Ansible's YAML 1.1 loader does it
// (yes/no/on/off/true/false are booleans, 0644 is octal 420, ~ is null).
#pragma once

#include <string>

#include "engine/value/value.hpp"

namespace upkeep {

// The typed value of a plain (unquoted, untagged) scalar.
Value typed_scalar(const std::string& s);

}  // namespace upkeep
