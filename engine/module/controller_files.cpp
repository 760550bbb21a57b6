// find_controller_file: where a role's or playbook's relative src:/template/vars
// file is looked up on the controller (Ansible's search order).
#include <filesystem>

#include "engine/module/module.hpp"
#include "engine/util/error.hpp"
#include "engine/util/strings.hpp"

namespace fs = std::filesystem;

namespace upkeep {

std::string find_controller_file(const ModuleContext& ctx, const std::string& kind, const std::string& name) {
    if (!name.empty() && name[0] == '/') return name;
    std::vector<std::string> dirs = ctx.search_dirs;
    if (dirs.empty()) dirs.push_back(ctx.playbook_dir.empty() ? "." : ctx.playbook_dir);
    std::vector<std::string> tried;
    for (const auto& d : dirs) {
        std::string base = d.empty() ? "." : d;
        for (const std::string& cand : {base + "/" + kind + "/" + name, base + "/" + name}) {
            if (fs::exists(cand)) return cand;
            tried.push_back(cand);
        }
    }
    std::string what = kind == "files" ? "src" : kind == "templates" ? "template" : kind + " file";
    throw TaskError("could not find " + what + " '" + name + "' (looked at " + join(tried, ", ") + ")");
}

}  // namespace upkeep
