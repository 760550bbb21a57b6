// Runs modules the way the task executor does (validate, check, apply, check
// again) on a connection the test owns: the one harness behind the module tests'
// sandbox (tests/unit/module_sandbox.hpp), the apt lab host and the dnf install root.
#pragma once

#include <catch2/catch.hpp>
#include <functional>
#include <string>
#include <vector>

#include "engine/connection/planned_connection.hpp"
#include "engine/module/module.hpp"
#include "engine/util/error.hpp"
#include "engine/value/yaml.hpp"
#include "modules/registry.hpp"

namespace upkeep::test {

// A module's failure (TaskError, the one way a module fails): its message and the
// result fields registered with it. The test fails when `fn` does not fail so.
struct Failure {
    std::string msg;
    Value result;
};
template <class Fn>
Failure failure_of(Fn&& fn) {
    try {
        fn();
    } catch (const TaskError& e) {
        return {e.what(), e.result()};
    }
    FAIL("expected the module to fail with a TaskError");
    return {};
}

class ModuleHarness {
public:
    using Eval = std::function<Value(const Value&)>;

    // `eval` answers ModuleContext::eval (assert, debug var=); by default every expression is null.
    explicit ModuleHarness(Connection& conn, std::string playbook_dir = "",
                           Eval eval = [](const Value&) { return Value(); })
        : m_ctx{conn, vars, std::move(eval), std::move(playbook_dir)} {}
    ModuleHarness(const ModuleHarness&) = delete;
    ModuleHarness& operator=(const ModuleHarness&) = delete;

    static const Module& module(const std::string& name) {
        const Module* m = find_module(name);
        INFO("module " << name);
        REQUIRE(m != nullptr);
        return *m;
    }
    // A task's arguments (YAML text), validated against the module's spec.
    static Args args(const std::string& name, const std::string& yaml) {
        return validate_args(module(name).spec(), parse_yaml(yaml, "task.yml"));
    }
    // The same, with `fixed_args` merged in (an install root every task of a test uses).
    Args task_args(const std::string& name, const std::string& yaml) const {
        Value raw = parse_yaml(yaml, "task.yml");
        if (fixed_args.is_map())
            for (const auto& [k, v] : fixed_args.as_map()) raw[k] = v;
        return validate_args(module(name).spec(), raw);
    }

    Plan check(const std::string& name, const std::string& yaml) { return module(name).check(m_ctx, task_args(name, yaml)); }
    Value apply(const std::string& name, const std::string& yaml, const Plan& plan) {
        return module(name).apply(m_ctx, task_args(name, yaml), plan);
    }
    // check -> apply (when changed) -> check again, which must be converged.
    Plan converge(const std::string& name, const std::string& yaml, Value* result = nullptr) {
        Plan first = check(name, yaml);
        if (first.changed()) {
            Value r = apply(name, yaml, first);
            if (result) *result = r;
        }
        Plan second = check(name, yaml);
        INFO("second check of " << name << ": " << second.msg);
        CHECK_FALSE(second.changed());
        m_last_converged = second;
        return first;
    }
    // converge() of a task that must change, its apply() fed by check()'s typed payload.
    Plan converge_payload(const std::string& name, const std::string& yaml) {
        Plan first = converge(name, yaml);
        CHECK(first.changed());
        CHECK(first.has_payload());
        return first;
    }
    // The second check of the last converge() (its message says why nothing changes).
    const Plan& last_converged() const { return m_last_converged; }
    // apply() as a dry run does it, through the planned-state overlay: the commands it would run.
    std::vector<std::string> dry_apply(const std::string& name, const std::string& yaml, const Plan& plan) {
        PlannedConnection planned(m_ctx.conn);
        ModuleContext ctx{planned, vars, m_ctx.eval, m_ctx.playbook_dir};
        module(name).apply(ctx, task_args(name, yaml), plan);
        return planned.would_run();
    }

    ModuleContext& ctx() { return m_ctx; }

    Value vars;        // the host's variables, as modules see them
    Value fixed_args;  // merged into every task's arguments (null: none)

private:
    ModuleContext m_ctx;
    Plan m_last_converged;
};

}  // namespace upkeep::test
