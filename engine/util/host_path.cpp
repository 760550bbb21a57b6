#include "engine/util/host_path.hpp"

namespace upkeep {

std::string parent_path(const std::string& path) {
    size_t pos = path.rfind('/');
    if (pos == std::string::npos) return ".";
    if (pos == 0) return "/";
    return path.substr(0, pos);
}

}  // namespace upkeep
