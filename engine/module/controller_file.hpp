// Reading a file on the controller (copy's src, a hook, an archive) for many hosts.
//
// A play copying one 10 MB file to 300 hosts used to read it 300 times and hold
// 300 copies. Here one read serves every host that wants the same file while any
// of them still holds it: the cache keeps only weak references, keyed by the
// file's identity and version (device, inode, size, mtime), so an edited file is
// read again and nothing outlives the plans that use it.
#pragma once

#include <string>

#include "engine/util/shared_text.hpp"

namespace upkeep {

// The bytes of the controller file `path` (shared, read once per version).
// Throws TaskError "cannot read src PATH: REASON" when it cannot be read.
SharedText read_controller_file(const std::string& path);

}  // namespace upkeep
