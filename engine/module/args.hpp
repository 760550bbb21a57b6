// Module argument specs and the validated argument map a module receives.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "engine/value/value.hpp"

namespace upkeep {

enum class ArgType { Any, String, Bool, Int, List, Map, Path, Mode };

// Written as a C++20 designated initialiser that names only what differs from the
// defaults: {.name = "dest", .type = ArgType::Path, .required = true, .doc = "..."}.
// Every member has a default member initialiser: GCC's -Wmissing-field-initializers
// (in -Wextra) warns about each member a designated initialiser leaves out unless it
// has one, so the `{}` below are what keeps the short form warning-free.
struct ArgSpec {
    std::string name{};
    ArgType type = ArgType::String;
    bool required = false;
    Value default_value{};               // null: no default
    std::vector<std::string> choices{};  // empty: any value
    std::vector<std::string> aliases{};  // Ansible's aliases (dest -> path)
    bool secret = false;                 // masked in every output (like Ansible's no_log args)
    std::string doc{};                   // one line for `upkeep doc`
};

// Written as a designated initialiser too; every member has a default member
// initialiser for the same reason as ArgSpec's.
struct ModuleSpec {
    std::string name{};
    std::string summary{};  // one line for `upkeep doc`
    std::string doc{};      // longer text with an example taken from the seeds
    std::vector<ArgSpec> args{};
    // Accepts a free-form string (command/shell): stored as argument "cmd".
    bool free_form = false;
    std::vector<std::vector<std::string>> mutually_exclusive{};
    std::vector<std::vector<std::string>> required_one_of{};
    // Accepts any argument name besides the declared ones (set_fact's free keys);
    // undeclared arguments pass through untouched.
    bool any_args = false;
};

// Validated arguments: aliases resolved, defaults filled, types coerced, choices
// checked. Unknown arguments were rejected at load time with a "did you mean".
class Args {
public:
    Args() = default;
    explicit Args(Value v) : m_v(std::move(v)) {}

    const Value& raw() const { return m_v; }
    const Value& get(const std::string& name) const { return m_v.get(name); }
    // True when the argument was given (or defaulted) and is not null.
    bool has(const std::string& name) const { return !m_v.get(name).is_null(); }
    std::string str(const std::string& name, const std::string& def = "") const;
    bool flag(const std::string& name, bool def = false) const;
    int64_t integer(const std::string& name, int64_t def = 0) const;
    std::optional<std::string> opt_str(const std::string& name) const;
    // A list argument; a scalar counts as a one-element list, a comma string is split.
    std::vector<std::string> strings(const std::string& name) const;
    // A mode argument as permission bits (octal "0644", 420, or symbolic "u+x" applied to `current`).
    std::optional<uint32_t> mode(const std::string& name, uint32_t current = 0, bool is_dir = false) const;

private:
    Value m_v;
};

// Checks a raw argument map against a spec. Throws UserError at the offending
// argument's mark: unknown argument (with "did you mean"), missing required,
// bad type, value not among choices, mutually exclusive arguments given together.
Args validate_args(const ModuleSpec& spec, const Value& raw);
// Load-time check (before templating): only argument names are known then.
void check_arg_names(const ModuleSpec& spec, const Value& raw);

}  // namespace upkeep
