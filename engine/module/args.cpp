#include "engine/module/args.hpp"

#include <algorithm>

#include "engine/util/error.hpp"
#include "engine/util/strings.hpp"

namespace upkeep {

std::string Args::str(const std::string& name, const std::string& def) const {
    const Value& v = get(name);
    return v.is_null() ? def : v.to_string();
}

bool Args::flag(const std::string& name, bool def) const {
    const Value& v = get(name);
    return v.is_null() ? def : v.as_bool();
}

int64_t Args::integer(const std::string& name, int64_t def) const {
    const Value& v = get(name);
    return v.is_null() ? def : v.as_int();
}

std::optional<std::string> Args::opt_str(const std::string& name) const {
    const Value& v = get(name);
    if (v.is_null()) return std::nullopt;
    return v.to_string();
}

std::vector<std::string> Args::strings(const std::string& name) const {
    const Value& v = get(name);
    std::vector<std::string> out;
    if (v.is_null()) return out;
    if (v.is_list()) {
        for (const auto& x : v.as_list()) out.push_back(x.to_string());
        return out;
    }
    for (const auto& part : split(v.to_string(), ',')) {
        std::string t = trim(part);
        if (!t.empty()) out.push_back(t);
    }
    return out;
}

namespace {

// Applies a symbolic mode ("u+x,go-w", "a=r") to `current`, like chmod(1).
uint32_t apply_symbolic(const Value& v, const std::string& text, uint32_t current, bool is_dir) {
    uint32_t mode = current & 07777;
    for (const auto& clause : split(text, ',')) {
        size_t i = 0;
        uint32_t who = 0;
        for (; i < clause.size() && std::string("ugoa").find(clause[i]) != std::string::npos; ++i) {
            switch (clause[i]) {
                case 'u': who |= 04700; break;
                case 'g': who |= 02070; break;
                case 'o': who |= 01007; break;
                case 'a': who |= 07777; break;
            }
        }
        if (who == 0) who = 07777;
        if (i >= clause.size() || std::string("+-=").find(clause[i]) == std::string::npos)
            throw UserError(v.mark(), "bad symbolic mode '" + text + "'");
        char op = clause[i++];
        uint32_t bits = 0;
        for (; i < clause.size(); ++i) {
            switch (clause[i]) {
                case 'r': bits |= 0444; break;
                case 'w': bits |= 0222; break;
                case 'x': bits |= 0111; break;
                case 'X':
                    if (is_dir || (current & 0111)) bits |= 0111;
                    break;
                case 's': bits |= 06000; break;
                case 't': bits |= 01000; break;
                default: throw UserError(v.mark(), "bad symbolic mode '" + text + "'");
            }
        }
        bits &= who;
        if (op == '+') mode |= bits;
        if (op == '-') mode &= ~bits;
        if (op == '=') mode = (mode & ~(who & 0777)) | bits;
    }
    return mode;
}

}  // namespace

std::optional<uint32_t> Args::mode(const std::string& name, uint32_t current, bool is_dir) const {
    const Value& v = get(name);
    if (v.is_null()) return std::nullopt;
    if (v.is_int()) {
        // YAML already read 0644 as octal (420). A bare 644 is decimal, as in Ansible,
        // which is almost never meant: quote modes ("0644") to be safe.
        int64_t n = v.as_int();
        if (n < 0 || n > 07777) throw UserError(v.mark(), "bad mode " + std::to_string(n) + " (write it quoted: \"0644\")");
        return static_cast<uint32_t>(n);
    }
    std::string s = trim(v.to_string());
    if (!s.empty() && s.find_first_not_of("01234567") == std::string::npos) {
        uint32_t m = static_cast<uint32_t>(std::stoul(s, nullptr, 8));
        if (m > 07777) throw UserError(v.mark(), "bad mode '" + s + "'");
        return m;
    }
    return apply_symbolic(v, s, current, is_dir);
}

namespace {

const ArgSpec* find_spec(const ModuleSpec& spec, const std::string& key) {
    for (const auto& a : spec.args) {
        if (a.name == key) return &a;
        if (std::find(a.aliases.begin(), a.aliases.end(), key) != a.aliases.end()) return &a;
    }
    return nullptr;
}

std::vector<std::string> arg_names(const ModuleSpec& spec) {
    std::vector<std::string> names;
    for (const auto& a : spec.args) {
        names.push_back(a.name);
        for (const auto& al : a.aliases) names.push_back(al);
    }
    return names;
}

Value coerce(const ArgSpec& a, const Value& v, const std::string& module) {
    auto bad = [&](const char* want) -> UserError {
        return UserError(v.mark(), module + ": argument '" + a.name + "' must be " + want + ", got " +
                                       (v.secret() ? "a secret" : "'" + v.to_string() + "'"));
    };
    if (v.is_null()) return v;
    Value out = v;
    switch (a.type) {
        case ArgType::Any:
        case ArgType::Mode: break;
        case ArgType::String:
        case ArgType::Path:
            if (v.is_list() || v.is_map()) throw bad("a string");
            if (!v.is_string()) out = Value(v.to_string());
            break;
        case ArgType::Bool:
            try {
                out = Value(v.as_bool());
            } catch (const TypeError&) {
                throw bad("a boolean (yes/no/true/false)");
            }
            break;
        case ArgType::Int:
            try {
                out = Value(v.as_int());
            } catch (const TypeError&) {
                throw bad("an integer");
            }
            break;
        case ArgType::List:
            if (!v.is_list()) {
                if (v.is_map()) throw bad("a list");
                List l;
                for (const auto& part : split(v.to_string(), ',')) l.push_back(Value(trim(part)));
                out = Value(std::move(l));
            }
            break;
        case ArgType::Map:
            if (!v.is_map()) throw bad("a map");
            break;
    }
    if (!a.choices.empty()) {
        std::string s = out.is_bool() ? (out.as_bool() ? "yes" : "no") : out.to_string();
        if (std::find(a.choices.begin(), a.choices.end(), s) == a.choices.end()) {
            std::string hint = closest_match(s, a.choices);
            throw UserError(v.mark(), module + ": argument '" + a.name + "' must be one of " + join(a.choices, ", ") +
                                          ", got '" + s + "'" + (hint.empty() ? "" : " (did you mean '" + hint + "'?)"));
        }
    }
    out.set_mark(v.mark());
    if (a.secret) out.set_secret(true);
    if (v.untrusted()) out.set_untrusted();  // a host's text stays data after coercion
    return out;
}

}  // namespace

void check_arg_names(const ModuleSpec& spec, const Value& raw) {
    if (!raw.is_map()) return;
    for (const auto& [k, v] : raw.as_map()) {
        if (spec.any_args || find_spec(spec, k)) continue;
        std::string hint = closest_match(k, arg_names(spec));
        throw UserError(v.mark(), spec.name + ": unknown argument '" + k + "'" +
                                      (hint.empty() ? "" : " (did you mean '" + hint + "'?)"));
    }
}

Args validate_args(const ModuleSpec& spec, const Value& raw) {
    if (!raw.is_null() && !raw.is_map())
        throw UserError(raw.mark(), spec.name + ": arguments must be a map");
    check_arg_names(spec, raw);
    Map out;
    if (raw.is_map()) {
        for (const auto& [k, v] : raw.as_map()) {
            const ArgSpec* a = find_spec(spec, k);
            if (!a) {  // an undeclared argument of an any_args module
                if (out.count(k)) throw UserError(v.mark(), spec.name + ": argument '" + k + "' given twice");
                out[k] = v;
                continue;
            }
            if (out.count(a->name))
                throw UserError(v.mark(), spec.name + ": argument '" + a->name + "' given twice (as '" + k + "')");
            out[a->name] = coerce(*a, v, spec.name);
        }
    }
    for (const auto& a : spec.args) {
        auto it = out.find(a.name);
        if (it == out.end() || it->second.is_null()) {
            if (a.required)
                throw UserError(raw.mark(), spec.name + ": missing required argument '" + a.name + "'");
            if (!a.default_value.is_null()) out[a.name] = a.default_value;
        }
    }
    auto given = [&](const std::string& n) { return out.count(n) && !out[n].is_null(); };
    for (const auto& group : spec.mutually_exclusive) {
        std::vector<std::string> present;
        for (const auto& n : group)
            if (given(n) && raw.has(n)) present.push_back(n);
        if (present.size() > 1)
            throw UserError(raw.mark(), spec.name + ": arguments are mutually exclusive: " + join(present, ", "));
    }
    for (const auto& group : spec.required_one_of) {
        bool any = false;
        for (const auto& n : group) any = any || given(n);
        if (!any) throw UserError(raw.mark(), spec.name + ": one of these arguments is required: " + join(group, ", "));
    }
    Value v(std::move(out));
    v.set_mark(raw.mark());
    return Args(std::move(v));
}

}  // namespace upkeep
