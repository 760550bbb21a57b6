// A sandbox host for module tests: a LocalConnection rooted in a fresh temp
// directory, plus helpers to validate arguments and run check/apply/check.
#pragma once

#include <catch2/catch.hpp>
#include <string>

#include "engine/connection/local_connection.hpp"
#include "engine/module/module.hpp"
#include "engine/value/yaml.hpp"
#include "modules/registry.hpp"
#include "tests/support/test_support.hpp"

namespace upkeep::test {

class Sandbox {
public:
    Sandbox()
        : m_conn("sandbox", m_dir.path()),
          m_ctx{m_conn, vars, [this](const Value& e) { return eval(e.to_string()); }, m_dir.path() + "/.playbook"} {}

    LocalConnection& conn() { return m_conn; }
    ModuleContext& ctx() { return m_ctx; }
    // The local path of a host path inside the sandbox.
    std::string local(const std::string& host_path) const { return m_dir.path() + host_path; }
    const std::string& root() const { return m_dir.path(); }

    static const Module& module(const std::string& name) {
        const Module* m = find_module(name);
        REQUIRE(m != nullptr);
        return *m;
    }
    static Args args(const std::string& name, const std::string& yaml) {
        return validate_args(module(name).spec(), parse_yaml(yaml, "task.yml"));
    }
    Plan check(const std::string& name, const std::string& yaml) { return module(name).check(m_ctx, args(name, yaml)); }
    Value apply(const std::string& name, const std::string& yaml, const Plan& plan) {
        return module(name).apply(m_ctx, args(name, yaml), plan);
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
        return first;
    }

    // Variables for ctx.eval: a bare name is looked up; "not name" negates.
    Value vars;

private:
    Value eval(const std::string& e) {
        if (e.rfind("not ", 0) == 0) return Value(!vars.get(e.substr(4)).truthy());
        return vars.get(e);
    }

    TempDir m_dir;
    LocalConnection m_conn;
    ModuleContext m_ctx;
};

}  // namespace upkeep::test
