// The pure cores of the lossless config-file modules (properties, ini_file,
// yum_repository, apt_repository): current bytes -> new bytes, no host access.
// The modules wrap them with plan_file_edit/apply_file_plan; the tests and the
// fuzzers call them directly.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "engine/module/file_edit.hpp"

namespace upkeep {

// What the properties module was asked to do.
struct PropertiesEdit {
    std::optional<std::string> key;
    std::optional<std::string> value;
    bool absent = false;
    std::optional<std::string> regexp;  // ECMAScript regex applied to decoded values
    std::string replace;                // $1 or \1 refer to groups
    bool only_if_absent = false;
};

// Applies `e` to a .properties file (nullopt: the file does not exist yet).
// Throws UserError (file:line:col) for a malformed file or a bad regexp.
EditOutcome edit_properties(const std::optional<std::string>& current, const PropertiesEdit& e,
                            const std::string& path);

// Replaces the text inside every ENC(...) with the mask, so diffs of
// Jasypt-encrypted properties show which line changed but never the value.
std::string mask_enc_values(const std::string& text);

}  // namespace upkeep
