#include "engine/lua/lua_code_path.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

namespace upkeep {

namespace fs = std::filesystem;

namespace {

std::string check_one(const fs::path& p, bool own_dir_or_file) {
    struct stat st {};
    if (::stat(p.c_str(), &st) != 0) return p.string() + ": " + std::strerror(errno);
    if (st.st_uid != 0 && st.st_uid != ::geteuid())
        return p.string() + " is owned by uid " + std::to_string(st.st_uid) + ", not by root or the running user";
    bool world_writable = (st.st_mode & S_IWOTH) != 0;
    bool sticky_dir = S_ISDIR(st.st_mode) && (st.st_mode & S_ISVTX) != 0;
    if (world_writable && (own_dir_or_file || !sticky_dir)) return p.string() + " is world-writable";
    return "";
}

}  // namespace

std::string unsafe_code_path(const std::string& path) {
    std::error_code ec;
    fs::path real = fs::canonical(path, ec);  // check where symlinks really lead
    if (ec) return path + ": " + ec.message();
    bool is_dir = fs::is_directory(real, ec);
    // The file itself and its own directory must be safe without exception; above
    // that, a sticky world-writable directory (/tmp) cannot have our entries replaced.
    fs::path p = real;
    int level = 0;
    for (;;) {
        bool strict = level == 0 || (level == 1 && !is_dir);
        std::string why = check_one(p, strict);
        if (!why.empty()) return why;
        if (p == p.root_path() || p.parent_path() == p) break;
        p = p.parent_path();
        ++level;
    }
    return "";
}

std::vector<std::string> builtin_lua_dirs(std::vector<std::string>& refused) {
    std::vector<std::string> dirs;
    std::error_code ec;
    fs::path exe = fs::read_symlink("/proc/self/exe", ec);
    if (ec) return dirs;
    auto consider = [&](const fs::path& dir) {
        if (!fs::is_directory(dir, ec)) return;
        std::string why = unsafe_code_path(dir.string());
        if (why.empty())
            dirs.push_back(dir.string());
        else
            refused.push_back("not loading Lua code from " + dir.string() + ": " + why);
    };
    consider(exe.parent_path().parent_path() / "share" / "upkeep" / "lua");
    // A build tree: the nearest CMakeCache.txt above the binary names the source tree.
    fs::path dir = exe.parent_path();
    for (int up = 0; up < 3 && !dir.empty(); ++up, dir = dir.parent_path()) {
        if (!fs::exists(dir / "CMakeCache.txt", ec)) continue;
        if (!unsafe_code_path((dir / "CMakeCache.txt").string()).empty()) break;
        std::ifstream cache(dir / "CMakeCache.txt");
        if (!cache) break;
        std::string line;
        const std::string key = "CMAKE_HOME_DIRECTORY:INTERNAL=";
        while (std::getline(cache, line))
            if (line.rfind(key, 0) == 0) {
                fs::path src = fs::path(line.substr(key.size())) / "lua";
                // Only a cache that belongs to this binary's build: its source tree holds lua/upkeep.
                if (fs::is_directory(src / "upkeep", ec)) consider(src);
                break;
            }
        break;
    }
    return dirs;
}

}  // namespace upkeep
