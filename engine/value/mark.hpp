// Mark: where a piece of playbook or inventory text came from (file:line:col),
// so every error can point at its cause.
#pragma once

#include <memory>
#include <string>

namespace upkeep {

struct Mark {
    std::shared_ptr<const std::string> file;  // shared: thousands of values point at one file
    int line = 0;                             // 1-based; 0 means unknown
    int col = 0;                              // 1-based; 0 means unknown

    bool known() const { return file && !file->empty(); }
    // "file:line:col", or "" when unknown.
    std::string to_string() const;
};

}  // namespace upkeep
