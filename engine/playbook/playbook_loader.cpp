// Loads playbooks: YAML -> Play/Task with every name checked against the module
// registry and the keyword tables, so a typo fails before anything runs.
#include <algorithm>
#include <filesystem>
#include <functional>
#include <set>

#include "engine/module/args.hpp"
#include "engine/module/module.hpp"
#include "engine/module/module_catalog.hpp"
#include "engine/playbook/loader_internal.hpp"
#include "engine/playbook/playbook.hpp"
#include "engine/util/error.hpp"
#include "engine/util/strings.hpp"
#include "engine/value/yaml.hpp"

namespace fs = std::filesystem;

namespace upkeep {

using loader::Scope;

namespace {

const std::vector<std::string> k_task_keywords = {
    "name",        "when",        "loop",         "with_items",  "with_list", "loop_control", "register",
    "notify",      "changed_when", "failed_when", "ignore_errors", "tags",    "vars",         "check_mode",
    "diff",        "no_log",      "become",       "become_user", "become_method", "run_once", "block",
    "rescue",      "always",      "args",         "listen",      "delegate_to", "until",      "retries",
    "delay",       "environment", "import_tasks", "include_tasks", "any_errors_fatal", "debugger",
    "import_role", "include_role", "local_action", "with_first_found",
};

const std::vector<std::string> k_play_keywords = {
    "name",      "hosts",         "vars",        "vars_files", "gather_facts", "become", "become_user",
    "become_method", "serial",    "max_fail_percentage", "any_errors_fatal", "pre_tasks", "tasks",
    "post_tasks", "handlers",     "tags",        "strategy",   "remote_user", "environment", "roles",
    "import_playbook", "collections", "connection", "order", "vars_prompt", "module_defaults",
};

bool has_name(const std::vector<std::string>& v, const std::string& x) {
    return std::find(v.begin(), v.end(), x) != v.end();
}

bool is_keyword(const std::string& k) {
    return std::find(k_task_keywords.begin(), k_task_keywords.end(), k) != k_task_keywords.end();
}

}  // namespace

const std::vector<std::string>& meta_actions() {
    static const std::vector<std::string> actions = {"clear_facts", "clear_host_errors", "end_batch", "end_host",
                                                     "end_play",    "flush_handlers",    "noop",      "refresh_inventory",
                                                     "reset_connection"};
    return actions;
}

std::vector<std::string> loader::string_list(const Value& v, const char* what) {
    std::vector<std::string> out;
    if (v.is_null()) return out;
    if (v.is_list()) {
        for (const auto& x : v.as_list()) {
            if (x.is_list() || x.is_map()) throw UserError(x.mark(), std::string(what) + " must be a list of strings");
            out.push_back(x.to_string());
        }
        return out;
    }
    if (v.is_map()) throw UserError(v.mark(), std::string(what) + " must be a string or a list");
    for (const auto& p : split(v.to_string(), ',')) {
        std::string t = trim(p);
        if (!t.empty()) out.push_back(t);
    }
    return out;
}

std::vector<Value> loader::when_list(const Value& w) {
    std::vector<Value> out;
    if (w.is_null()) return out;
    if (w.is_list())
        for (const auto& x : w.as_list()) out.push_back(x);
    else
        out.push_back(w);
    return out;
}

namespace {

using loader::string_list;
using loader::when_list;

std::optional<bool> opt_bool(const Value& v) {
    if (v.is_null()) return std::nullopt;
    return v.as_bool();
}

using loader::load_task_list;

Value normalize_args(const Module& mod, const Value& raw, const Mark& mark) {
    const ModuleSpec& spec = mod.spec();
    if (raw.is_map()) return raw;
    if (raw.is_null()) return Value(Map{}).set_mark(mark);
    if (raw.is_list()) throw UserError(raw.mark(), spec.name + ": arguments must be a map or k=v text, not a list");
    std::string free;
    std::vector<std::string> known;
    for (const auto& a : spec.args)
        if (a.name != "cmd" && a.name != "argv") known.push_back(a.name);
    Value kv = parse_kv(raw.to_string(), spec.free_form ? &free : nullptr, raw.mark(), spec.free_form ? &known : nullptr);
    if (spec.free_form && !free.empty()) kv["cmd"] = Value(free).set_mark(raw.mark());
    return kv;
}

// Where a task's own modules may live: its role's and playbook's directories.
std::vector<std::string> module_dirs(const Scope& scope) {
    return scope.search_dirs.empty() ? std::vector<std::string>{scope.dir} : scope.search_dirs;
}

// meta: the action must be one the executor knows (a template is checked when it runs).
void check_meta_action(const Value& args) {
    const Value& cmd = args.get("cmd");
    if (!cmd.is_string() || cmd.as_string().find("{{") != std::string::npos) return;
    std::string action = trim(cmd.as_string());
    const std::vector<std::string>& known = meta_actions();
    if (std::find(known.begin(), known.end(), action) != known.end()) return;
    std::string hint = closest_match(action, known);
    throw UserError(cmd.mark(), "meta: unknown action '" + action + "'" + (hint.empty() ? "" : " (did you mean '" + hint + "'?)"));
}

Task load_action(const Value& t, const Scope& scope, const std::string& action, bool handlers) {
    Task task;
    task.mark = t.mark();
    const Module* mod = scope.modules->find_in(action, module_dirs(scope), t.key_mark(action));
    if (!mod) {
        std::vector<std::string> candidates = scope.modules->names_in(module_dirs(scope));
        std::string hint = closest_match(action, candidates);
        if (hint.empty()) hint = closest_match(action, k_task_keywords);
        throw UserError(t.key_mark(action), "unknown module '" + action + "'" +
                                                (hint.empty() ? "" : " (did you mean '" + hint + "'?)"));
    }
    task.module = mod;
    task.module_name = mod->spec().name;
    Value args = normalize_args(*mod, t.get(action), t.key_mark(action));
    if (t.has("args")) {
        if (!t.get("args").is_map()) throw UserError(t.get("args").mark(), "args must be a map");
        args = merge_maps(args, t.get("args"));
    }
    // Only names can be checked now; values may be templates until run time.
    bool has_template = false;
    if (args.is_map())
        for (const auto& [k, v] : args.as_map()) has_template = has_template || (v.is_string() && v.as_string().find("{{") != std::string::npos);
    check_arg_names(mod->spec(), args);
    if (!has_template) validate_args(mod->spec(), args);  // full check when nothing is templated
    task.args = args;
    if (task.module_name == "meta") check_meta_action(args);
    (void)handlers;
    return task;
}

List scope_environment(const Scope& scope, const Value& t) {
    List env = scope.environment;
    if (t.has("environment") && !t.get("environment").is_null()) {
        const Value& e = t.get("environment");
        if (!e.is_map() && !e.is_string()) throw UserError(e.mark(), "environment must be a map (or a template giving one)");
        env.push_back(e);
    }
    return env;
}

void load_common(Task& task, const Value& t, const Scope& scope) {
    task.name = t.get("name").is_null() ? "" : t.get("name").to_string();
    task.role_name = scope.role_name;
    task.search_dirs = scope.search_dirs;
    task.role_defaults = scope.role_defaults;
    task.role_vars = scope.role_vars;
    task.when = scope.when;  // enclosing roles' and includes' conditions first
    for (auto& w : when_list(t.get("when"))) task.when.push_back(std::move(w));
    if (t.has("loop") || t.has("with_items") || t.has("with_list")) {
        if (t.has("loop") + t.has("with_items") + t.has("with_list") > 1)
            throw UserError(t.mark(), "use only one of loop, with_items, with_list");
        task.loop = t.has("loop") ? t.get("loop") : t.has("with_items") ? t.get("with_items") : t.get("with_list");
    }
    if (t.has("with_first_found")) {
        if (!task.loop.is_null()) throw UserError(t.key_mark("with_first_found"), "use only one loop keyword");
        task.loop = t.get("with_first_found");
        task.first_found = true;
    }
    if (t.has("loop_control")) {
        const Value& lc = t.get("loop_control");
        if (!lc.is_map()) throw UserError(lc.mark(), "loop_control must be a map");
        for (const auto& [k, v] : lc.as_map()) {
            if (k == "loop_var")
                task.loop_var = v.to_string();
            else if (k == "label")
                task.loop_label = v;
            else if (k != "index_var" && k != "pause")
                throw UserError(lc.key_mark(k), "unknown loop_control option '" + k + "'");
        }
    }
    task.register_as = t.get("register").is_null() ? "" : t.get("register").to_string();
    task.notify = string_list(t.get("notify"), "notify");
    task.listen = string_list(t.get("listen"), "listen");
    task.changed_when = t.get("changed_when");
    task.failed_when = t.get("failed_when");
    // A literal bool, or (as Ansible allows) a template judged when the task runs.
    if (t.get("ignore_errors").is_string() && t.get("ignore_errors").as_string().find("{{") != std::string::npos)
        task.ignore_errors_expr = t.get("ignore_errors");
    else
        task.ignore_errors = t.get("ignore_errors").is_null() ? false : t.get("ignore_errors").as_bool();
    task.tags = scope.tags;
    for (const auto& tag : string_list(t.get("tags"), "tags")) task.tags.push_back(tag);
    task.vars = scope.vars;
    if (t.has("vars")) {
        if (!t.get("vars").is_map()) throw UserError(t.get("vars").mark(), "vars must be a map");
        task.vars = merge_maps(task.vars, t.get("vars"));
    }
    task.check_mode = opt_bool(t.get("check_mode"));
    task.diff = opt_bool(t.get("diff"));
    // Block -> task inheritance: a task's own keyword wins over its blocks'.
    task.become = t.has("become") ? opt_bool(t.get("become")) : scope.become;
    task.become_user = t.get("become_user").is_null() ? scope.become_user : t.get("become_user").to_string();
    task.become_method = t.get("become_method").is_null() ? scope.become_method : t.get("become_method").to_string();
    task.no_log = t.get("no_log").is_null() ? false : t.get("no_log").as_bool();
    task.run_once = t.get("run_once").is_null() ? false : t.get("run_once").as_bool();
    for (const char* k : {"debugger", "any_errors_fatal"})
        if (t.has(k)) throw UserError(t.key_mark(k), std::string(k) + " is not supported on tasks yet");
    task.delegate_to = t.get("delegate_to");
    task.environment = scope_environment(scope, t);
    if (t.has("until")) {
        task.until = t.get("until");
        task.retries = t.get("retries").is_null() ? 3 : static_cast<int>(t.get("retries").as_int());
        task.delay = t.get("delay").is_null() ? 5.0 : t.get("delay").as_double();
        if (task.retries < 0) throw UserError(t.get("retries").mark(), "retries must be 0 or more");
    } else if (t.has("retries") || t.has("delay")) {
        throw UserError(t.key_mark(t.has("retries") ? "retries" : "delay"), "retries/delay need an 'until:' condition");
    }
}

// import_tasks and a static include_tasks: the file's tasks, inlined now.
// include_tasks with a templated name or a loop is dynamic: one task that the
// executor expands per host at run time.
std::vector<Task> load_include(const Value& t, const std::string& key, const Scope& scope, bool handlers) {
    const Value& target = t.get(key);
    std::string file = target.is_map() ? target.get("file").to_string() : target.to_string();
    bool has_loop = t.has("loop") || t.has("with_items") || t.has("with_list");
    if (file.find("{{") != std::string::npos || has_loop) {
        if (key == "import_tasks")
            throw UserError(target.mark(), "import_tasks is static: a templated name or a loop needs include_tasks");
        Task task;
        task.mark = t.mark();
        task.is_include = true;
        task.module_name = key;
        task.include_file = target.is_map() ? target.get("file") : target;
        task.include_dir = scope.dir;
        load_common(task, t, scope);
        if (task.name.empty()) task.name = key;
        task.include_vars = t.get("vars");
        task.vars = scope.vars;  // the include's vars go to the included tasks (see load_included_tasks)
        return {task};
    }
    fs::path p = fs::path(file).is_absolute() ? fs::path(file) : fs::path(scope.dir) / file;
    std::string path = fs::weakly_canonical(p).string();
    if (std::find(scope.chain.begin(), scope.chain.end(), path) != scope.chain.end())
        throw UserError(target.mark(), key + " cycle: " + file + " includes itself");
    if (!fs::exists(p)) throw UserError(target.mark(), key + ": file not found: " + p.string());
    Value list = load_yaml_file(p.string());
    Scope inner = scope;
    inner.dir = p.parent_path().string();
    inner.chain.push_back(path);
    for (const auto& tag : string_list(t.get("tags"), "tags")) inner.tags.push_back(tag);
    if (t.has("vars")) inner.vars = merge_maps(inner.vars, t.get("vars"));
    // A condition on an include applies to every included task.
    for (auto& w : when_list(t.get("when"))) inner.when.push_back(std::move(w));
    inner.environment = scope_environment(scope, t);
    if (t.has("become")) inner.become = opt_bool(t.get("become"));
    if (!t.get("become_user").is_null()) inner.become_user = t.get("become_user").to_string();
    if (!t.get("become_method").is_null()) inner.become_method = t.get("become_method").to_string();
    if (key != "include_tasks" || handlers) return load_task_list(list, inner, handlers);
    // include_tasks with a literal name: loaded now (errors at load time, the dry run
    // sees its tasks), run as Ansible runs an include: one result per host on the
    // include (skipped, or included), its condition judged there, not on each task.
    Task task;
    task.mark = t.mark();
    task.is_include = true;
    task.include_static = true;
    task.module_name = key;
    task.include_file = Value(path);
    task.include_dir = scope.dir;
    load_common(task, t, scope);
    if (task.name.empty()) task.name = key;
    inner.when.clear();  // on the include
    task.block = load_task_list(list, inner, handlers);
    return {task};
}

// local_action: <module> args  ==  <module>: args + delegate_to: localhost
Value expand_local_action(const Value& t) {
    Value out(Map{});
    for (const auto& [k, v] : t.as_map())
        if (k != "local_action") out[k] = v;
    const Value& la = t.get("local_action");
    if (t.has("delegate_to")) throw UserError(t.key_mark("delegate_to"), "local_action already delegates to localhost");
    if (la.is_map()) {
        if (!la.has("module")) throw UserError(la.mark(), "local_action needs 'module:'");
        Value args(Map{});
        for (const auto& [k, v] : la.as_map())
            if (k != "module") args[k] = v;
        out[la.get("module").to_string()] = args;
    } else {
        std::string text = trim(la.to_string());
        size_t sp = text.find_first_of(" \t");
        std::string mod = text.substr(0, sp);
        out[mod] = Value(sp == std::string::npos ? std::string() : trim(text.substr(sp))).set_mark(la.mark());
    }
    out["delegate_to"] = Value("localhost");
    out.set_mark(t.mark());
    return out;
}

Task load_task(const Value& t_in, const Scope& scope, bool handlers) {
    if (!t_in.is_map()) throw UserError(t_in.mark(), "a task must be a map, got a " + std::string(t_in.type_name()));
    Value t = t_in.has("local_action") ? expand_local_action(t_in) : t_in;
    // Find the action: the one key that is not a keyword.
    std::vector<std::string> actions;
    for (const auto& [k, v] : t.as_map())
        if (!is_keyword(k)) actions.push_back(k);
    bool is_block = t.has("block");
    if (is_block) {
        for (const auto& a : actions) {
            std::string hint = closest_match(a, k_task_keywords);
            throw UserError(t.key_mark(a), "unknown keyword '" + a + "' in a block" +
                                               (hint.empty() ? "" : " (did you mean '" + hint + "'?)"));
        }
        Task task;
        task.mark = t.mark();
        task.is_block = true;
        load_common(task, t, scope);
        Scope inner = scope;
        inner.tags = task.tags;
        inner.vars = task.vars;
        inner.when.clear();  // the block's conditions (scope's included) are pushed below
        inner.environment = task.environment;
        inner.become = task.become;
        inner.become_user = task.become_user;
        inner.become_method = task.become_method;
        auto sub = [&](const char* key) {
            std::vector<Task> out = load_task_list(t.get(key), inner, handlers);
            for (auto& x : out) x.when.insert(x.when.begin(), task.when.begin(), task.when.end());
            return out;
        };
        task.block = sub("block");
        task.rescue = sub("rescue");
        task.always = sub("always");
        task.when.clear();  // pushed down into the children
        return task;
    }
    if (actions.empty()) throw UserError(t.mark(), "task has no module (e.g. 'copy:', 'command:')");
    if (actions.size() > 1) {
        // Usually a misspelled keyword next to the module: point at it.
        for (const auto& a : actions) {
            if (scope.modules->find_in(a, module_dirs(scope), t.key_mark(a))) continue;
            std::string hint = closest_match(a, k_task_keywords);
            if (!hint.empty())
                throw UserError(t.key_mark(a), "unknown keyword '" + a + "' (did you mean '" + hint + "'?)");
        }
        throw UserError(t.key_mark(actions[1]), "conflicting actions in one task: " + join(actions, ", "));
    }
    Task task = load_action(t, scope, actions[0], handlers);
    load_common(task, t, scope);
    return task;
}

}  // namespace

std::vector<Task> loader::load_task_list(const Value& list, const Scope& scope, bool handlers) {
    std::vector<Task> out;
    if (list.is_null()) return out;
    if (!list.is_list()) throw UserError(list.mark(), "expected a list of tasks");
    for (const auto& t : list.as_list()) {
        if (t.is_map() && (t.has("import_role") || t.has("include_role"))) {
            // include_role is loaded statically too: same tasks, same order (no per-host loops).
            std::string key = t.has("import_role") ? "import_role" : "include_role";
            loader::RoleRef ref = loader::role_ref_from_task(t, key);
            for (auto& x : loader::load_role(ref, scope)) out.push_back(std::move(x));
            continue;
        }
        if (t.is_map() && (t.has("import_tasks") || t.has("include_tasks"))) {
            for (auto& x : load_include(t, t.has("import_tasks") ? "import_tasks" : "include_tasks", scope, handlers))
                out.push_back(std::move(x));
            continue;
        }
        out.push_back(load_task(t, scope, handlers));
    }
    return out;
}

namespace {

// Every notify must name a handler (or a handler's listen topic) of the play.
void check_notify_targets(const Play& play) {
    std::vector<std::string> names;
    for (const auto& h : play.handlers) {
        if (!h.name.empty()) names.push_back(h.name);
        if (!h.name.empty() && !h.role_name.empty()) names.push_back(h.role_name + " : " + h.name);
        for (const auto& l : h.listen) names.push_back(l);
    }
    std::function<void(const std::vector<Task>&)> walk = [&](const std::vector<Task>& tasks) {
        for (const auto& t : tasks) {
            for (const auto& n : t.notify) {
                if (has_name(names, n)) continue;
                std::string hint = closest_match(n, names);
                throw UserError(t.mark, "notify: no handler named '" + n + "' in this play" +
                                            (hint.empty() ? "" : " (did you mean '" + hint + "'?)"));
            }
            walk(t.block);
            walk(t.rescue);
            walk(t.always);
        }
    };
    for (const auto* list : {&play.pre_tasks, &play.tasks, &play.post_tasks, &play.handlers}) walk(*list);
}

// vars_prompt never prompts: the value comes from -e (checked at run time, where
// extra vars win anyway), else the prompt's default; with neither the run stops
// before anything happens (see PlayExecutor).
void load_vars_prompt(const Value& p, Play& play) {
    if (!p.has("vars_prompt") || p.get("vars_prompt").is_null()) return;
    const Value& list = p.get("vars_prompt");
    if (!list.is_list()) throw UserError(list.mark(), "vars_prompt must be a list");
    for (const auto& e : list.as_list()) {
        if (!e.is_map() || e.get("name").is_null()) throw UserError(e.mark(), "a vars_prompt entry needs 'name:'");
        VarsPrompt vp;
        vp.name = e.get("name").to_string();
        vp.mark = e.mark();
        vp.default_value = e.get("default");
        vp.secret = e.get("private").is_null() ? true : e.get("private").truthy();
        play.vars_prompt.push_back(std::move(vp));
    }
}

// One play (not an import_playbook entry) of the file in `dir`.
Play load_play(const Value& p, const std::string& dir, const std::vector<std::string>& chain, const Value& import_vars,
               const std::vector<std::string>& import_tags, const ModuleCatalog& modules) {
    for (const auto& [k, v] : p.as_map()) {
        if (std::find(k_play_keywords.begin(), k_play_keywords.end(), k) != k_play_keywords.end()) continue;
        std::string hint = closest_match(k, k_play_keywords);
        std::string extra = is_keyword(k) || modules.find(k) ? " (tasks go under 'tasks:')" : "";
        throw UserError(p.key_mark(k), "unknown play keyword '" + k + "'" +
                                           (hint.empty() ? extra : " (did you mean '" + hint + "'?)"));
    }
    Play play;
    play.mark = p.mark();
    play.playbook_dir = dir;
    play.modules = &modules;
    play.name = p.get("name").is_null() ? "" : p.get("name").to_string();
    if (!p.has("hosts")) throw UserError(p.mark(), "play has no 'hosts:'");
    play.hosts = p.get("hosts").is_list() ? join(string_list(p.get("hosts"), "hosts"), ":") : p.get("hosts").to_string();
    play.vars = p.get("vars").is_null() ? Value(Map{}) : p.get("vars");
    if (!play.vars.is_map()) throw UserError(play.vars.mark(), "vars must be a map");
    play.vars = merge_maps(play.vars, import_vars);  // import_playbook's vars win (Ansible: entry.vars | import vars)
    for (const auto& f : string_list(p.get("vars_files"), "vars_files")) {
        fs::path vf = fs::path(f).is_absolute() ? fs::path(f) : fs::path(dir) / f;
        play.vars_files.push_back(vf.string());
    }
    play.gather_facts = p.get("gather_facts").is_null() ? true : p.get("gather_facts").as_bool();
    play.become = opt_bool(p.get("become"));
    play.become_user = p.get("become_user").is_null() ? "" : p.get("become_user").to_string();
    play.become_method = p.get("become_method").is_null() ? "" : p.get("become_method").to_string();
    play.remote_user = p.get("remote_user").is_null() ? "" : p.get("remote_user").to_string();
    play.connection = p.get("connection").is_null() ? "" : p.get("connection").to_string();
    if (p.has("strategy") && p.get("strategy").to_string() != "linear")
        throw UserError(p.get("strategy").mark(), "only the linear strategy is supported");
    if (p.has("order") && p.get("order").to_string() != "inventory")
        throw UserError(p.get("order").mark(), "only order: inventory is supported");
    play.serial = p.get("serial");
    if (p.has("max_fail_percentage")) play.max_fail_percentage = p.get("max_fail_percentage").as_double();
    play.any_errors_fatal = p.get("any_errors_fatal").is_null() ? false : p.get("any_errors_fatal").as_bool();
    play.tags = import_tags;
    for (const auto& t : string_list(p.get("tags"), "tags")) play.tags.push_back(t);
    load_vars_prompt(p, play);
    loader::PlayRoles roles;
    roles.playbook_dir = dir;
    roles.search_path = role_search_path(dir);
    Scope scope;
    scope.dir = dir;
    scope.tags = play.tags;
    scope.vars = Value(Map{});
    scope.chain = chain;
    scope.roles = &roles;
    scope.search_dirs = {dir};
    scope.modules = &modules;
    if (p.has("environment") && !p.get("environment").is_null()) {
        const Value& e = p.get("environment");
        if (!e.is_map() && !e.is_string()) throw UserError(e.mark(), "environment must be a map (or a template giving one)");
        scope.environment.push_back(e);
    }
    play.pre_tasks = load_task_list(p.get("pre_tasks"), scope, false);
    // roles: run after pre_tasks (and their handlers), before tasks, in one section.
    if (p.has("roles") && !p.get("roles").is_null()) {
        if (!p.get("roles").is_list()) throw UserError(p.get("roles").mark(), "roles must be a list");
        for (const auto& entry : p.get("roles").as_list())
            for (auto& t : loader::load_role(loader::role_ref_from_roles_entry(entry), scope))
                play.tasks.push_back(std::move(t));
    }
    for (auto& t : load_task_list(p.get("tasks"), scope, false)) play.tasks.push_back(std::move(t));
    play.post_tasks = load_task_list(p.get("post_tasks"), scope, false);
    // Role handlers come first, as in Ansible's handler list.
    play.handlers = std::move(roles.handlers);
    for (auto& h : load_task_list(p.get("handlers"), scope, true)) play.handlers.push_back(std::move(h));
    play.role_defaults = roles.defaults;
    play.role_vars = roles.vars;
    check_notify_targets(play);
    return play;
}

void load_plays(const std::string& path, Playbook& pb, std::vector<std::string> chain, const Value& import_vars,
                const std::vector<std::string>& import_tags, const ModuleCatalog& modules) {
    std::string canon = fs::weakly_canonical(path).string();
    if (std::find(chain.begin(), chain.end(), canon) != chain.end())
        throw UserError(path + ": import_playbook cycle");
    chain.push_back(canon);
    Value doc = load_yaml_file(path);
    // As Ansible: a playbook with no plays is an error, not a successful run of nothing
    // (an empty file usually means a wrong path or a truncated file).
    if (doc.is_null() || (doc.is_list() && doc.as_list().empty()))
        throw UserError(doc.mark().known() ? doc.mark() : Mark{std::make_shared<const std::string>(path), 0, 0},
                        "Empty playbook, nothing to do: " + path);
    if (!doc.is_list()) throw UserError(doc.mark(), "a playbook must be a list of plays");
    std::string dir = fs::path(path).parent_path().string();
    if (dir.empty()) dir = ".";
    for (const auto& p : doc.as_list()) {
        if (!p.is_map()) throw UserError(p.mark(), "a play must be a map");
        if (p.has("import_playbook")) {
            fs::path inc = fs::path(dir) / p.get("import_playbook").to_string();
            if (!fs::exists(inc)) throw UserError(p.get("import_playbook").mark(), "import_playbook: file not found: " + inc.string());
            // import_playbook vars: apply to every play of the imported playbook.
            Value iv = import_vars;
            if (p.has("vars")) {
                if (!p.get("vars").is_map()) throw UserError(p.get("vars").mark(), "vars must be a map");
                iv = merge_maps(iv, p.get("vars"));
            }
            for (const auto& [k, v] : p.as_map())
                if (k != "import_playbook" && k != "vars" && k != "name" && k != "tags" && k != "when")
                    throw UserError(p.key_mark(k), "import_playbook takes vars:, tags: and name: only, not '" + k + "'");
            if (p.has("when")) throw UserError(p.key_mark("when"), "when: on import_playbook is not supported");
            std::vector<std::string> it = import_tags;
            for (const auto& t : string_list(p.get("tags"), "tags")) it.push_back(t);
            load_plays(inc.string(), pb, chain, iv, it, modules);
            continue;
        }
        pb.plays.push_back(load_play(p, dir, chain, import_vars, import_tags, modules));
    }
}

}  // namespace

Playbook load_playbook(const std::string& path, const ModuleCatalog& modules) {
    if (!fs::exists(path)) throw UserError(path + ": playbook not found");
    Playbook pb;
    pb.path = path;
    load_plays(path, pb, {}, Value(Map{}), {}, modules);
    return pb;
}

std::vector<Task> load_included_tasks(const std::string& path, const Task& include, const ModuleCatalog& modules) {
    if (!fs::exists(path)) throw UserError(include.include_file.mark(), "include_tasks: file not found: " + path);
    Scope scope;
    scope.dir = fs::path(path).parent_path().string();
    scope.tags = include.tags;
    scope.vars = include.vars;
    if (include.include_vars.is_map()) scope.vars = merge_maps(scope.vars, include.include_vars);
    scope.role_name = include.role_name;
    scope.search_dirs = include.search_dirs;
    scope.role_defaults = include.role_defaults;
    scope.role_vars = include.role_vars;
    scope.environment = include.environment;
    scope.become = include.become;
    scope.become_user = include.become_user;
    scope.become_method = include.become_method;
    scope.chain = {fs::weakly_canonical(path).string()};
    scope.modules = &modules;
    return load_task_list(load_yaml_file(path), scope, false);
}

Value parse_kv(const std::string& text, std::string* free, const Mark& mark, const std::vector<std::string>* known_keys) {
    Map out;
    // The free-form text keeps the white space between its words as written (as
    // Ansible's does): a multi-line `shell: |` script stays one command a line.
    // Only the k=v words taken as arguments are cut out, each with the space before it.
    std::string free_text;
    size_t i = 0, n = text.size();
    while (i < n) {
        size_t gap = i;
        while (i < n && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
        if (i >= n) break;
        std::string space = text.substr(gap, i - gap);
        // Read one shell-like word, remembering where an unquoted '=' appeared.
        std::string word, raw;
        size_t eq = std::string::npos;
        char quote = 0;
        int depth = 0;  // inside {{ }}: spaces do not end the word
        while (i < n) {
            char c = text[i];
            if (!quote && depth == 0 && std::isspace(static_cast<unsigned char>(c))) break;
            if (!quote && text.compare(i, 2, "{{") == 0) depth++;
            if (!quote && text.compare(i, 2, "}}") == 0 && depth > 0) depth--;
            raw += c;
            if (quote) {
                if (c == quote) quote = 0;
                else if (c == '\\' && quote == '"' && i + 1 < n) {
                    // Escapes in double quotes decode as in Ansible's k=v parser.
                    char e = text[++i];
                    raw += e;
                    word += e == 'n' ? '\n' : e == 't' ? '\t' : e == 'r' ? '\r' : e;
                }
                else word += c;
            } else if ((c == '"' || c == '\'') && depth == 0) {
                quote = c;
            } else {
                if (c == '=' && eq == std::string::npos) eq = word.size();
                word += c;
            }
            ++i;
        }
        if (quote) throw UserError(mark, "unbalanced quotes in '" + text + "'");
        bool is_kv = eq != std::string::npos && eq > 0 &&
                     word.substr(0, eq).find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") == std::string::npos;
        if (is_kv && known_keys &&
            std::find(known_keys->begin(), known_keys->end(), word.substr(0, eq)) == known_keys->end())
            is_kv = false;  // free-form text such as `echo a=b` keeps its words in order
        if (is_kv) {
            Value v(word.substr(eq + 1));
            out[word.substr(0, eq)] = v.set_mark(mark);
        } else if (free) {
            if (!free_text.empty()) free_text += space;
            free_text += raw;
        } else {
            throw UserError(mark, "expected key=value, got '" + raw + "'");
        }
    }
    if (free) *free = std::move(free_text);
    Value v(std::move(out));
    v.set_mark(mark);
    return v;
}

}  // namespace upkeep
