#include "modules/lua_module.hpp"

#include <algorithm>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <set>

#include "engine/lua/lua_code_path.hpp"
#include "engine/lua/lua_env.hpp"
#include "engine/lua/lua_pool.hpp"
#include "engine/report/run_log.hpp"
#include "engine/util/error.hpp"
#include "engine/util/strings.hpp"

namespace upkeep {

namespace fs = std::filesystem;

namespace {

// result.failed = true from a Lua module's check() or apply(): its result fields go
// with the TaskError (msg from the result, else the plan's, else a generic one).
[[noreturn]] void throw_lua_failure(const Value& result, const std::string& plan_msg) {
    Value fields = result;
    fields.as_map_mut().erase("failed");
    const Value& m = result.get("msg");
    std::string msg = m.is_null() ? plan_msg : m.secret() || result.secret() ? k_masked : m.to_string();
    throw TaskError(msg.empty() ? "the Lua module reported failed" : msg, fields);
}

class LuaModule : public Module {
public:
    LuaModule(std::string path, ModuleSpec spec) : m_path(std::move(path)), m_spec(std::move(spec)) {}
    const ModuleSpec& spec() const override { return m_spec; }

    // Runs in the calling worker's own Lua state; the host object is read-only here.
    Plan check(ModuleContext& ctx, const Args& args) const override {
        long long t0 = runlog::now_ns();
        Value plan = lua_lease_held()->call_module(m_path, "check", args.raw(), Value(), ctx.conn, true);
        Plan p = plan_from_lua(plan, m_path);
        runlog::event(runlog::Level::Debug, ctx.conn.host_name(), "lua_module",
                      {{"module", m_spec.name}, {"fn", "check"}, {"path", m_path},
                       {"changes", std::to_string(p.changes.size())}, {"ms", runlog::ms_since(t0)}});
        return p;
    }

    // In --check the executor passes the planned-state overlay as ctx.conn: the
    // module's writes land there and its mutating commands are recorded as "would run".
    Value apply(ModuleContext& ctx, const Args& args, const Plan& plan) const override {
        long long t0 = runlog::now_ns();
        Value r = lua_lease_held()->call_module(m_path, "apply", plan_to_lua(plan), args.raw(), ctx.conn, false);
        runlog::event(runlog::Level::Debug, ctx.conn.host_name(), "lua_module",
                      {{"module", m_spec.name}, {"fn", "apply"}, {"path", m_path}, {"ms", runlog::ms_since(t0)}});
        // An empty Lua table reads as an empty list: no result fields.
        if (r.is_null() || (r.is_list() && r.as_list().empty())) return Value(Map{});
        if (!r.is_map()) throw TaskError(m_path + ": apply() must return a table of result fields or nothing, not a " +
                                         std::string(r.type_name()));
        if (r.get("failed").truthy()) throw_lua_failure(r, "");
        return r;
    }

private:
    std::string m_path;
    ModuleSpec m_spec;
};

std::mutex g_mutex;
// Every Lua module loaded in this run, by file; a Task keeps a pointer to its module.
std::map<std::string, std::unique_ptr<LuaModule>>& loaded() {
    static auto* m = new std::map<std::string, std::unique_ptr<LuaModule>>();
    return *m;
}

bool valid_name(const std::string& n) {
    if (n.empty() || n.size() > 100 || !(std::islower(static_cast<unsigned char>(n[0])) || n[0] == '_')) return false;
    return std::all_of(n.begin(), n.end(), [](char c) {
        return std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) || c == '_';
    });
}

ArgType arg_type(const std::string& t, const std::string& where) {
    static const std::map<std::string, ArgType> k = {
        {"any", ArgType::Any},   {"str", ArgType::String}, {"string", ArgType::String}, {"bool", ArgType::Bool},
        {"int", ArgType::Int},   {"list", ArgType::List},  {"map", ArgType::Map},       {"dict", ArgType::Map},
        {"path", ArgType::Path}, {"mode", ArgType::Mode}};
    auto it = k.find(t);
    if (it != k.end()) return it->second;
    std::vector<std::string> names;
    for (const auto& [n, v] : k) names.push_back(n);
    std::string hint = closest_match(t, names);
    throw UserError(where + ": unknown argument type '" + t + "'" + (hint.empty() ? "" : " (did you mean '" + hint + "'?)"));
}

void check_keys(const Value& m, const std::vector<std::string>& known, const std::string& where) {
    for (const auto& [k, v] : m.as_map()) {
        if (std::find(known.begin(), known.end(), k) != known.end()) continue;
        std::string hint = closest_match(k, known);
        throw UserError(where + ": unknown field '" + k + "'" + (hint.empty() ? "" : " (did you mean '" + hint + "'?)"));
    }
}

std::vector<std::string> strings_of(const Value& v, const std::string& where) {
    std::vector<std::string> out;
    if (v.is_null()) return out;
    if (!v.is_list()) throw UserError(where + " must be a list of strings");
    for (const auto& x : v.as_list()) {
        if (!x.is_string()) throw UserError(where + " must be a list of strings");
        out.push_back(x.as_string());
    }
    return out;
}

std::string text_of(const Value& v, const std::string& where, bool required) {
    if (v.is_null()) {
        if (required) throw UserError(where + " is required");
        return "";
    }
    if (!v.is_string()) throw UserError(where + " must be a string");
    return v.as_string();
}

}  // namespace

ModuleSpec lua_module_spec(const std::string& name, const Value& info, const std::string& path) {
    if (!info.is_map()) throw UserError(path + ": a Lua module must return a table");
    check_keys(info, {"summary", "doc", "args", "mutually_exclusive", "required_one_of", "functions"}, path);
    std::vector<std::string> fns = strings_of(info.get("functions"), path + ": functions");
    for (const char* f : {"check", "apply"})
        if (std::find(fns.begin(), fns.end(), f) == fns.end())
            throw UserError(path + ": a Lua module needs a function '" + std::string(f) + "' (check(args, host) returns the "
                            "plan, apply(plan, host, args) carries it out)");
    for (const auto& f : fns)
        if (f != "check" && f != "apply") {
            std::string hint = closest_match(f, {"check", "apply"});
            if (!hint.empty()) throw UserError(path + ": unknown function '" + f + "' (did you mean '" + hint + "'?)");
        }
    ModuleSpec spec;
    spec.name = name;
    spec.summary = text_of(info.get("summary"), path + ": summary", true);
    spec.doc = text_of(info.get("doc"), path + ": doc", false);
    const Value& args = info.get("args");
    if (!args.is_null() && !args.is_list())
        throw UserError(path + ": args must be a list of { name = ..., type = ... } tables (a list keeps their order)");
    std::set<std::string> seen;
    if (args.is_list())
        for (size_t i = 0; i < args.as_list().size(); ++i) {
            const Value& a = args.as_list()[i];
            std::string where = path + ": args[" + std::to_string(i + 1) + "]";
            if (!a.is_map()) throw UserError(where + " must be a table");
            check_keys(a, {"name", "type", "required", "default", "choices", "aliases", "secret", "doc"}, where);
            ArgSpec s;
            s.name = text_of(a.get("name"), where + ".name", true);
            where = path + ": argument '" + s.name + "'";
            if (!seen.insert(s.name).second) throw UserError(where + " is declared twice");
            s.type = a.has("type") ? arg_type(text_of(a.get("type"), where + ".type", true), where) : ArgType::String;
            s.required = a.has("required") && a.get("required").truthy();
            s.default_value = a.get("default");
            s.choices = strings_of(a.get("choices"), where + ".choices");
            s.aliases = strings_of(a.get("aliases"), where + ".aliases");
            s.secret = a.has("secret") && a.get("secret").truthy();
            s.doc = text_of(a.get("doc"), where + ".doc", false);
            spec.args.push_back(std::move(s));
        }
    for (const char* key : {"mutually_exclusive", "required_one_of"}) {
        const Value& groups = info.get(key);
        if (groups.is_null()) continue;
        if (!groups.is_list()) throw UserError(path + ": " + key + " must be a list of lists of argument names");
        for (const auto& g : groups.as_list()) {
            auto names = strings_of(g, path + ": " + key + " entries");
            for (const auto& n : names)
                if (!seen.count(n)) throw UserError(path + ": " + key + " names '" + n + "', which is not an argument");
            (std::string(key) == "mutually_exclusive" ? spec.mutually_exclusive : spec.required_one_of).push_back(names);
        }
    }
    return spec;
}

// A Lua module's check() -> apply() data: the `data` table of its plan, handed
// back to its apply() as plan.data. Lua is untyped; the module owns its shape.
namespace {
struct LuaPlanData {
    Value table;
};
}  // namespace

Plan plan_from_lua(const Value& v, const std::string& path) {
    Plan plan;
    if (v.is_null()) return plan;  // nothing to do
    std::string where = path + ": check() result";
    if (!v.is_map()) throw TaskError(where + " must be a table ({ changes = {...}, msg = ... }) or nil");
    try {
        check_keys(v, {"changes", "msg", "data", "result", "unpredictable", "depends_on"}, where);
    } catch (const UserError& e) {
        throw TaskError(e.what());
    }
    bool masked = v.secret();
    const Value& changes = v.get("changes");
    if (!changes.is_null() && !changes.is_list()) throw TaskError(where + ": changes must be a list");
    if (changes.is_list())
        for (const auto& c : changes.as_list()) {
            if (!c.is_map()) throw TaskError(where + ": each change must be a table { target =, summary =, before =, after = }");
            try {
                check_keys(c, {"target", "summary", "before", "after", "secret"}, where + ": change");
            } catch (const UserError& e) {
                throw TaskError(e.what());
            }
            Change ch;
            if (!c.get("target").is_string() || !c.get("summary").is_string())
                throw TaskError(where + ": a change needs target and summary strings");
            ch.target = c.get("target").as_string();
            ch.summary = c.get("summary").as_string();
            for (auto [key, slot] : {std::pair{"before", &ch.before}, std::pair{"after", &ch.after}}) {
                const Value& b = c.get(key);
                if (b.is_null()) continue;
                if (!b.is_string()) throw TaskError(where + ": a change's " + key + " must be the exact text (a string)");
                *slot = b.as_string();
            }
            ch.secret = masked || c.get("secret").truthy() || c.contains_secret();
            plan.changes.push_back(std::move(ch));
        }
    if (v.has("msg")) plan.msg = v.get("msg").to_string();
    if (!v.get("data").is_null()) plan.set_payload(LuaPlanData{.table = v.get("data")});
    const Value& result = v.get("result");
    if (!result.is_null() && !result.is_map() && !(result.is_list() && result.as_list().empty()))
        throw TaskError(where + ": result must be a table of result fields");
    plan.result = result.is_map() ? result : Value(Map{});
    if (masked) plan.result.set_secret();
    plan.unpredictable = v.get("unpredictable").truthy();
    if (v.get("depends_on").is_string()) plan.depends_on = v.get("depends_on").as_string();
    // A Lua module says it failed with result.failed = true; as a C++ module it is a
    // TaskError, the one way a module fails.
    if (plan.result.get("failed").truthy()) throw_lua_failure(plan.result, plan.msg);
    return plan;
}

Value plan_to_lua(const Plan& plan) {
    Value v(Map{});
    List changes;
    for (const auto& c : plan.changes) {
        Value x(Map{});
        x["target"] = Value(c.target);
        x["summary"] = Value(c.summary);
        if (c.before) x["before"] = Value(*c.before);
        if (c.after) x["after"] = Value(*c.after);
        x["secret"] = Value(c.secret);
        changes.push_back(std::move(x));
    }
    v["changes"] = Value(std::move(changes));
    v["msg"] = Value(plan.msg);
    if (const auto* d = plan.find_payload<LuaPlanData>()) v["data"] = d->table;
    v["result"] = plan.result;
    v["unpredictable"] = Value(plan.unpredictable);
    if (!plan.depends_on.empty()) v["depends_on"] = Value(plan.depends_on);
    return v;
}

std::vector<std::string> lua_module_dirs(const std::vector<std::string>& task_dirs) {
    std::vector<std::string> out;
    for (const auto& d : task_dirs) {
        out.push_back(d + "/lua/modules");
        out.push_back(d + "/library");
    }
    std::vector<std::string> refused;
    for (const auto& d : builtin_lua_dirs(refused)) out.push_back(d + "/modules");
    return out;
}

const Module* find_lua_module(const std::string& name, const std::vector<std::string>& dirs, const Mark& mark) {
    if (!valid_name(name)) return nullptr;
    for (const auto& dir : dirs) {
        fs::path file = fs::path(dir) / (name + ".lua");
        std::error_code ec;
        if (!fs::is_regular_file(file, ec)) continue;
        std::string path = fs::canonical(file, ec).string();
        if (ec) continue;
        std::lock_guard<std::mutex> lock(g_mutex);
        if (auto it = loaded().find(path); it != loaded().end()) return it->second.get();
        std::string why = unsafe_code_path(path);
        if (!why.empty()) throw UserError(mark, "refusing to load the Lua module '" + name + "' from " + path + ": " + why);
        try {
            ModuleSpec spec = lua_module_spec(name, lua_lease()->module_info(path), path);
            auto mod = std::make_unique<LuaModule>(path, std::move(spec));
            const Module* m = mod.get();
            loaded()[path] = std::move(mod);
            return m;
        } catch (const UserError& e) {
            throw UserError(mark, std::string("Lua module '") + name + "': " + e.what());
        }
    }
    return nullptr;
}

std::vector<std::string> lua_module_names(const std::vector<std::string>& dirs) {
    std::set<std::string> names;
    for (const auto& dir : dirs) {
        std::error_code ec;
        for (const auto& e : fs::directory_iterator(dir, ec)) {
            if (e.path().extension() != ".lua") continue;
            std::string n = e.path().stem().string();
            if (valid_name(n)) names.insert(n);
        }
    }
    return {names.begin(), names.end()};
}

}  // namespace upkeep
