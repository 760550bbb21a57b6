// The module contract (DESIGN.md): a spec of arguments, a read-only check() that
// returns a Plan with the exact before/after bytes of every change, and an apply()
// that carries out exactly that plan. Modules never know whether this is a dry
// run: in --check the executor hands apply() the planned-state overlay connection
// instead of the real one, so every later task sees what earlier tasks would do.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/connection/connection.hpp"
#include "engine/module/args.hpp"
#include "engine/value/value.hpp"

namespace upkeep {

// One thing that will change on the host.
struct Change {
    std::string target;   // the path or resource ("/etc/libvirt/hooks/qemu", "service libvirtd")
    std::string summary;  // short fragment: "line added", "mode 0644 -> 0755", "would run"
    // Exact bytes before and after, for the unified diff (files only).
    std::optional<std::string> before, after;
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
    // The effect cannot be predicted before it happens (a raw command): the
    // dry run says "would run" instead of guessing.
    bool unpredictable = false;
    // The change hangs on an earlier planned step whose outcome the dry run cannot
    // foresee (the .dpkg-dist/.rpmnew an upgrade may leave): what it depends on, shown
    // next to the planned change instead of a guess either way. "" for exact plans.
    std::string depends_on;

    bool changed() const { return !changes.empty(); }
};

// What a module may use while it runs on one host.
struct ModuleContext {
    Connection& conn;
    const Value& vars;  // the host's variables and facts, read-only
    // Evaluates an expression against the host's variables (assert, debug var=).
    // Pass the argument's Value, not its text: an untrusted one (a host's output
    // that reached the argument through a template) is refused, never evaluated.
    std::function<Value(const Value&)> eval;
    std::string playbook_dir;  // base for relative `src:` paths on the controller
    // Controller directories to look up relative files in, most specific first: a
    // role's directory, then the playbook's. See find_controller_file().
    std::vector<std::string> search_dirs = {};
};

// Ansible's lookup of a controller-side file named by a task: an absolute path as
// is; else <dir>/<kind>/<name>, then <dir>/<name> for each search dir (kind is
// "files", "templates" or "vars"). Throws TaskError naming every place tried.
std::string find_controller_file(const ModuleContext& ctx, const std::string& kind, const std::string& name);

class Module {
public:
    virtual ~Module() = default;
    virtual const ModuleSpec& spec() const = 0;
    // Read-only: inspects the host and returns what must change.
    virtual Plan check(ModuleContext& ctx, const Args& args) const = 0;
    // Carries out exactly `plan` (only called when plan.changed()). Returns the
    // result fields (rc, stdout, backup_file...) merged over plan.result. A
    // module reports a failure either by throwing TaskError or by setting
    // `failed: true` (with `msg`) in its result, so `register` still sees rc/stdout.
    virtual Value apply(ModuleContext& ctx, const Args& args, const Plan& plan) const = 0;
};

}  // namespace upkeep
