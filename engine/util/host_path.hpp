// Paths on a managed host, as text (the host's paths never go through
// std::filesystem, which would read them as the controller's).
#pragma once

#include <string>

namespace upkeep {

// The directory holding `path`: "/" for "/x", "." for a name without a slash.
std::string parent_path(const std::string& path);

}  // namespace upkeep
