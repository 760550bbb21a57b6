// What a module's check() found: the changes it will make (with exact bytes) and
// the data its apply() needs. Its own header so that reporters, which show plans,
// need neither the module interface nor the connection layer.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <typeinfo>
#include <vector>

#include "engine/util/error.hpp"
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

// A module's own data from check() to apply(), of a type the module declares
// (`struct TimezonePayload {...}`): apply() reads members check() filled, which the
// compiler checks, instead of string keys of an untyped map that check() may never
// have set. A plan holds at most one payload of each type, so the shared file
// plumbing (FileEditPayload, engine/module/file_edit.hpp) and the module using it
// (SysctlPayload) each keep their own. Shared, not copied, when the plan is.
class PlanPayload {
public:
    virtual ~PlanPayload() = default;
};

template <class T>
class TypedPayload final : public PlanPayload {
public:
    explicit TypedPayload(T v) : value(std::move(v)) {}
    const T value;
};

struct Plan {
    std::vector<Change> changes;  // empty == converged, nothing to do
    // Why nothing changes ("key 'resource' already set") or what will change.
    std::string msg;
    // Result fields shown to the user and to `register` (check's view). What apply()
    // needs from check() is a typed payload below, never a field of this map.
    Value result;
    // The typed check -> apply data (see PlanPayload): set_payload in check(),
    // payload<T>() in apply(). At most one of each type; few, so a vector.
    std::vector<std::shared_ptr<const PlanPayload>> payloads;
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

    bool has_payload() const { return !payloads.empty(); }

    // Sets (or replaces) the payload of type T.
    template <class T>
    void set_payload(T v) {
        auto next = std::make_shared<const TypedPayload<T>>(std::move(v));
        for (auto& p : payloads)
            if (dynamic_cast<const TypedPayload<T>*>(p.get())) {
                p = std::move(next);
                return;
            }
        payloads.push_back(std::move(next));
    }
    // What check() set; a plan without it (or with only other types) is a bug in the
    // module, reported as such rather than read as empty.
    template <class T>
    const T& payload() const {
        if (const T* p = find_payload<T>()) return *p;
        throw ContractError(std::string("apply() was handed a plan without the payload its check() makes (") +
                            typeid(T).name() + ")");
    }
    template <class T>
    const T* find_payload() const {
        for (const auto& p : payloads)
            if (auto* t = dynamic_cast<const TypedPayload<T>*>(p.get())) return &t->value;
        return nullptr;
    }
};

}  // namespace upkeep
