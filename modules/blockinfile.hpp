// blockinfile's pure edit, exposed for unit tests.
#pragma once

#include <optional>
#include <string>

#include "engine/util/shared_text.hpp"

namespace upkeep {

struct BlockOptions {
    std::string block;
    std::string marker = "# {mark} ANSIBLE MANAGED BLOCK";
    std::string marker_begin = "BEGIN", marker_end = "END";
    bool present = true;
    std::optional<std::string> insertafter, insertbefore;  // regexp, or EOF / BOF
};

// Ansible's blockinfile algorithm on the file's bytes (nullopt: no file yet).
// `msg` gets "Block inserted", "Block removed", "File created" or "".
std::string blockinfile_edit(const SharedText& original, const BlockOptions& o, std::string* msg);

}  // namespace upkeep
