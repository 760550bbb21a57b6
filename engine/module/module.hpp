// The module contract (ARCHITECTURE.md): a spec of arguments, a read-only check() that
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
#include "engine/module/plan.hpp"
#include "engine/value/value.hpp"

namespace upkeep {

class SecretRegistry;  // engine/report/secret_registry.hpp

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
    // Where a module registers a secret it made or read (a generated password):
    // every output masks it from then on. The executor points it at the run's
    // registry; null in a bare test context (then nothing is registered).
    SecretRegistry* secrets = nullptr;

    void add_secret(const std::string& secret) const;
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
