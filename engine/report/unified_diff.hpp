// Unified diffs of exact file bytes, for --diff (computed with dtl's Myers/Wu diff).
#pragma once

#include <string>

namespace upkeep {

// A unified diff of two texts ("" when equal), with `context` lines around each
// change, "--- before: LABEL" / "+++ after: LABEL" headers and "\ No newline at
// end of file" markers, so the diff shows exactly the bytes that will be written.
std::string unified_diff(const std::string& before, const std::string& after, const std::string& label,
                         int context = 3);

}  // namespace upkeep
