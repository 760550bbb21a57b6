// Where Lua code may be loaded from. Expressions run with every host's variables
// and credentials in reach, so a Lua file is code with the operator's rights: it
// is loaded only from the install's own directory (or, for a build tree, the
// source tree it was built from) and from the playbook's lua/, and only when no
// other user could have put it there.
#pragma once

#include <string>
#include <vector>

namespace upkeep {

// Empty when `path` (a file or a directory) may be loaded as code, else the reason:
// the file and every directory up to / must be owned by root or the running user,
// and none may be world-writable (a sticky directory such as /tmp is accepted
// above the file's own directory, since nobody else can replace entries there).
std::string unsafe_code_path(const std::string& path);

// The built-in Lua directories: <exe>/../share/upkeep/lua when installed, and the
// source tree's lua/ when the binary runs from a CMake build tree (found through
// the CMakeCache.txt above the binary, not a path compiled into it). Directories
// that fail unsafe_code_path() are left out and their reasons added to `refused`.
std::vector<std::string> builtin_lua_dirs(std::vector<std::string>& refused);

}  // namespace upkeep
