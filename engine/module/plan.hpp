// What a module's check() found: the changes it will make (with exact bytes) and
// the data its apply() needs. Its own header so that reporters, which show plans,
// need neither the module interface nor the connection layer.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "engine/util/shared_text.hpp"
#include "engine/value/value.hpp"

namespace upkeep {

// One thing that will change on the host.
struct Change {
    std::string target;   // the path or resource ("/etc/libvirt/hooks/qemu", "service libvirtd")
    std::string summary;  // short fragment: "line added", "mode 0644 -> 0755", "would run"
    // Exact bytes before and after, for the unified diff (files only). Shared, not
    // copied: the same bytes are the overlay's planned file and what apply() writes.
    SharedText before, after;
    bool secret = false;  // the diff is masked in every output
};

struct Plan {
    std::vector<Change> changes;  // empty == converged, nothing to do
    // Why nothing changes ("key 'resource' already set") or what will change.
    std::string msg;
    // Module-private data carried from check to apply (e.g. the new content) and
    // result fields shown to the user and to `register` (check's view).
    Value data;
    Value result;
    // The whole new file a file module's apply() writes (engine/module/file_edit.hpp),
    // none when the content stays. Typed and shared rather than a copy in `data`: the
    // same buffer is the change's after-bytes and, in a dry run, the planned file.
    SharedText content;
    // The effect cannot be predicted before it happens (a raw command): the
    // dry run says "would run" instead of guessing.
    bool unpredictable = false;
    // The change hangs on an earlier planned step whose outcome the dry run cannot
    // foresee (the .dpkg-dist/.rpmnew an upgrade may leave): what it depends on, shown
    // next to the planned change instead of a guess either way. "" for exact plans.
    std::string depends_on;

    bool changed() const { return !changes.empty(); }
};

}  // namespace upkeep
