// Roles: `roles:`, import_role and include_role, loaded statically like Ansible's
// import_role. A role is a directory with tasks/ handlers/ defaults/ vars/ meta/
// (dependencies) files/ templates/, found on the role search path.
#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "engine/playbook/loader_internal.hpp"
#include "engine/util/error.hpp"
#include "engine/util/strings.hpp"
#include "engine/value/yaml.hpp"

namespace fs = std::filesystem;

namespace upkeep {

namespace {

// roles_path from the [defaults] section of an ansible.cfg (relative entries are
// relative to the file; ':' separates entries, as in Ansible).
std::vector<std::string> cfg_roles_path(const fs::path& cfg) {
    std::vector<std::string> out;
    std::ifstream in(cfg);
    std::string line, section;
    while (std::getline(in, line)) {
        std::string t = trim(line);
        if (t.empty() || t[0] == '#' || t[0] == ';') continue;
        if (t[0] == '[') {
            section = trim(t.substr(1, t.find(']') - 1));
            continue;
        }
        size_t eq = t.find('=');
        if (section != "defaults" || eq == std::string::npos || trim(t.substr(0, eq)) != "roles_path") continue;
        for (const auto& p : split(trim(t.substr(eq + 1)), ':')) {
            std::string e = trim(p);
            if (e.empty()) continue;
            if (starts_with(e, "~/") && std::getenv("HOME")) e = std::string(std::getenv("HOME")) + e.substr(1);
            out.push_back(fs::path(e).is_absolute() ? e : (cfg.parent_path() / e).string());
        }
    }
    return out;
}

// The first existing <dir>/<name>.yml, .yaml or <name> (Ansible's role file lookup).
std::string role_file(const fs::path& dir, const std::string& name) {
    for (const char* ext : {".yml", ".yaml", ""}) {
        fs::path p = dir / (name + ext);
        if (fs::is_regular_file(p)) return p.string();
    }
    return "";
}

Value load_vars_file(const std::string& path) {
    if (path.empty()) return Value(Map{});
    Value v = load_yaml_file(path);
    if (v.is_null()) return Value(Map{});
    if (!v.is_map()) throw UserError(v.mark(), "a role's vars/defaults file must be a map");
    return v;
}

std::string find_role_dir(const std::string& name, const Mark& mark, const loader::PlayRoles& roles) {
    if (name.find('/') != std::string::npos) {
        fs::path p = fs::path(name).is_absolute() ? fs::path(name) : fs::path(roles.playbook_dir) / name;
        if (fs::is_directory(p)) return fs::weakly_canonical(p).string();
        throw UserError(mark, "role '" + name + "' not found: " + p.string() + " is not a directory");
    }
    for (const auto& dir : roles.search_path) {
        fs::path p = fs::path(dir) / name;
        if (fs::is_directory(p)) return fs::weakly_canonical(p).string();
    }
    // Collection-style names (namespace.collection.role) are not resolved.
    throw UserError(mark, "role '" + name + "' not found; looked in " + join(roles.search_path, ", "));
}

std::string string_field(const Value& m, const char* key) {
    return m.get(key).is_null() ? "" : m.get(key).to_string();
}

// become/become_user/become_method of a roles: entry or an import_role task (a
// literal, as the task-level keywords are: a template is refused, not guessed).
void read_become(loader::RoleRef& ref, const Value& m) {
    if (m.has("become") && !m.get("become").is_null()) ref.become = m.get("become").as_bool();
    for (const char* k : {"become_user", "become_method"}) {
        if (!m.has(k) || m.get(k).is_null()) continue;
        std::string s = m.get(k).to_string();
        if (s.find("{{") != std::string::npos)
            throw UserError(m.get(k).mark(), std::string("a templated ") + k + " on a role is not supported; write it out");
        (std::string(k) == "become_user" ? ref.become_user : ref.become_method) = s;
    }
}

}  // namespace

std::vector<std::string> role_search_path(const std::string& playbook_dir) {
    std::string base = playbook_dir.empty() ? "." : playbook_dir;
    std::vector<std::string> out{(fs::path(base) / "roles").string()};
    if (const char* env = std::getenv("ANSIBLE_ROLES_PATH"); env && *env) {
        for (const auto& p : split(env, ':'))
            if (!trim(p).empty()) out.push_back(trim(p));
    } else if (fs::exists(fs::path(base) / "ansible.cfg")) {
        for (const auto& p : cfg_roles_path(fs::path(base) / "ansible.cfg")) out.push_back(p);
    }
    out.push_back(base);
    return out;
}

namespace loader {

RoleRef role_ref_from_roles_entry(const Value& entry) {
    RoleRef ref;
    ref.mark = entry.mark();
    if (entry.is_string()) {
        ref.name = entry.as_string();
        return ref;
    }
    if (!entry.is_map()) throw UserError(entry.mark(), "a roles: entry must be a role name or a map with 'role:'");
    ref.name = entry.has("role") ? string_field(entry, "role") : string_field(entry, "name");
    if (ref.name.empty()) throw UserError(entry.mark(), "a roles: entry needs 'role:' (the role's name)");
    for (const auto& [k, v] : entry.as_map()) {
        if (k == "role" || k == "name") continue;
        if (k == "tags") ref.tags = string_list(v, "tags");
        else if (k == "when") ref.when = when_list(v);
        else if (k == "vars") {
            if (!v.is_map()) throw UserError(v.mark(), "vars must be a map");
            ref.params = merge_maps(ref.params, v);
        } else if (k == "become" || k == "become_user" || k == "become_method")
            continue;  // read_become below
        else if (k == "delegate_to" || k == "environment" || k == "no_log")
            throw UserError(entry.key_mark(k), k + " on a roles: entry is not supported; set it on the play");
        else
            ref.params[k] = v;  // a role parameter
    }
    read_become(ref, entry);
    return ref;
}

RoleRef role_ref_from_task(const Value& t, const std::string& key) {
    const Value& spec = t.get(key);
    RoleRef ref;
    ref.mark = t.mark();
    ref.from_task = true;
    if (spec.is_string()) {
        ref.name = spec.as_string();  // the k=v form "name=x" is rare; a bare name is accepted
        if (starts_with(ref.name, "name=")) ref.name = ref.name.substr(5);
    } else if (spec.is_map()) {
        ref.name = string_field(spec, "name");
        for (const auto& [k, v] : spec.as_map()) {
            if (k == "name" || k == "public" || k == "allow_duplicates" || k == "rolespec_validate") continue;
            std::string s = v.to_string();
            if (s.find("{{") != std::string::npos)
                throw UserError(v.mark(), key + ": a templated " + k + " is not supported; name the file");
            if (k == "tasks_from") ref.tasks_from = s;
            else if (k == "vars_from") ref.vars_from = s;
            else if (k == "defaults_from") ref.defaults_from = s;
            else if (k == "handlers_from") ref.handlers_from = s;
            else if (k == "apply") throw UserError(spec.key_mark(k), key + ": apply is not supported; put the keywords on the role's tasks");
            else throw UserError(spec.key_mark(k), key + ": unknown option '" + k + "'");
        }
    }
    if (ref.name.empty()) throw UserError(spec.mark(), key + " needs 'name:' (the role's name)");
    if (ref.name.find("{{") != std::string::npos)
        throw UserError(spec.mark(), key + ": a templated role name is not supported; name the role");
    for (const auto& ext : {".yml", ".yaml"}) {
        for (auto* f : {&ref.tasks_from, &ref.vars_from, &ref.defaults_from, &ref.handlers_from})
            if (ends_with(*f, ext)) f->resize(f->size() - std::string(ext).size());
    }
    if (t.has("vars")) {
        if (!t.get("vars").is_map()) throw UserError(t.get("vars").mark(), "vars must be a map");
        ref.params = merge_maps(ref.params, t.get("vars"));
    }
    ref.tags = string_list(t.get("tags"), "tags");
    ref.when = when_list(t.get("when"));
    if (t.has("loop") || t.has("with_items"))
        throw UserError(t.key_mark(t.has("loop") ? "loop" : "with_items"), key + " with a loop is not supported");
    read_become(ref, t);
    // Any other keyword would be dropped without a word (the role's tasks are inlined,
    // the import task itself never runs): refuse it instead.
    for (const auto& [k, v] : t.as_map()) {
        if (k == key || k == "name" || k == "tags" || k == "when" || k == "vars" || k == "become" ||
            k == "become_user" || k == "become_method")
            continue;
        throw UserError(t.key_mark(k), k + " on " + key + " is not supported; put it on the role's tasks");
    }
    return ref;
}

std::vector<Task> load_role(const RoleRef& ref, const Scope& scope) {
    if (!scope.roles) throw UserError(ref.mark, "roles can only be used in a play");
    PlayRoles& roles = *scope.roles;
    std::string dir = find_role_dir(ref.name, ref.mark, roles);
    std::string role_name = fs::path(dir).filename().string();
    if (std::find(scope.chain.begin(), scope.chain.end(), dir) != scope.chain.end())
        throw UserError(ref.mark, "role dependency cycle: role '" + role_name + "' depends on itself");

    Scope inner = scope;
    inner.dir = (fs::path(dir) / "tasks").string();
    inner.chain.push_back(dir);
    inner.role_name = role_name;
    inner.search_dirs = {dir, roles.playbook_dir};
    for (const auto& t : ref.tags) inner.tags.push_back(t);
    for (const auto& w : ref.when) inner.when.push_back(w);
    inner.vars = merge_maps(scope.vars, ref.params);
    // The role's become keywords win over the play's and enclosing blocks' and are
    // inherited by its dependencies and handlers (Ansible's role -> dep chain lookup).
    if (ref.become.has_value()) inner.become = ref.become;
    if (!ref.become_user.empty()) inner.become_user = ref.become_user;
    if (!ref.become_method.empty()) inner.become_method = ref.become_method;

    Value meta = load_vars_file(role_file(fs::path(dir) / "meta", "main"));
    bool allow_duplicates = meta.get("allow_duplicates").truthy();
    // Run once per play unless the parameters differ (or allow_duplicates).
    std::string key = dir + "|" + ref.tasks_from + "|" + ref.params.to_json(true);
    if (!roles.loaded.insert(key).second && !allow_duplicates && !ref.from_task) return {};

    std::vector<Task> out;
    if (meta.get("dependencies").is_list()) {
        for (const auto& dep : meta.get("dependencies").as_list()) {
            RoleRef dref = role_ref_from_roles_entry(dep);
            for (auto& t : load_role(dref, inner)) out.push_back(std::move(t));
        }
    }
    auto need = [&](const std::string& sub, const std::string& name, bool required) {
        std::string f = role_file(fs::path(dir) / sub, name);
        if (f.empty() && required)
            throw UserError(ref.mark, "role '" + role_name + "': " + sub + "/" + name + ".yml not found in " + dir);
        return f;
    };
    inner.role_defaults = load_vars_file(need("defaults", ref.defaults_from, ref.defaults_from != "main"));
    inner.role_vars = load_vars_file(need("vars", ref.vars_from, ref.vars_from != "main"));
    roles.defaults = merge_maps(roles.defaults, inner.role_defaults);
    roles.vars = merge_maps(roles.vars, inner.role_vars);
    std::string handlers = need("handlers", ref.handlers_from, ref.handlers_from != "main");
    if (!handlers.empty()) {
        Scope hs = inner;
        hs.dir = (fs::path(dir) / "handlers").string();
        hs.when.clear();  // a role's condition does not apply to its handlers (as in Ansible)
        for (auto& h : load_task_list(load_yaml_file(handlers), hs, true)) roles.handlers.push_back(std::move(h));
    }
    std::string tasks = need("tasks", ref.tasks_from, ref.tasks_from != "main");
    if (!tasks.empty()) {
        inner.chain.push_back(fs::weakly_canonical(tasks).string());
        for (auto& t : load_task_list(load_yaml_file(tasks), inner, false)) out.push_back(std::move(t));
    }
    return out;
}

}  // namespace loader

}  // namespace upkeep
