#include "engine/exec/task_executor.hpp"

#include <chrono>
#include <filesystem>
#include <thread>

#include "engine/connection/run_lock.hpp"
#include "engine/connection/env_connection.hpp"
#include "engine/exec/connection_factory.hpp"
#include "engine/exec/path_hints.hpp"
#include "engine/exec/plan_gate.hpp"
#include "engine/lua/lua_env.hpp"
#include "engine/lua/lua_pool.hpp"
#include "engine/module/module.hpp"
#include "engine/lua/jinja_native.hpp"
#include "engine/report/secret_registry.hpp"
#include "engine/util/error.hpp"
#include "engine/util/strings.hpp"

namespace upkeep {

struct TaskExecutor::ItemResult {
    Status status = Status::Ok;
    bool would_run = false;
    bool probe_would_change = false;  // check_mode: true task whose plan has changes
    std::string depends_on;           // Plan::depends_on of a changed plan
    std::string msg;
    std::vector<Change> changes;
    Value result = Value(Map{});
};

namespace {

// The value of the `omit` variable; a module argument rendered to exactly this is dropped.
constexpr const char* k_omit_placeholder = "__omit_place_holder__upkeep";

// A `when`/`changed_when`/`failed_when`/`until` value: a literal bool or a Jinja
// expression; "{{ x }} == 'y'" is the comparison it reads as (LuaEnv::eval_bool).
bool eval_condition(const Value& cond, const Value& vars) {
    if (cond.is_bool()) return cond.as_bool();
    if (cond.is_null()) return false;
    return lua_lease()->eval_bool(cond.to_string(), vars, cond.mark());
}

// Modules that run on the controller only and build their results from their
// (already rendered) arguments: their results keep the marks of what went in.
// Every other module's result is what a managed host said: untrusted data.
bool runs_on_controller(const Module& mod) {
    const std::string& n = mod.spec().name;
    return n == "set_fact" || n == "debug" || n == "assert" || n == "fail" || n == "meta";
}

std::string describe_error(const std::exception& e) {
    std::string where;
    if (const auto* ue = dynamic_cast<const UserError*>(&e)) where = ue->mark().to_string();
    if (const auto* te = dynamic_cast<const TaskError*>(&e)) where = te->mark().to_string();
    return where.empty() ? e.what() : where + ": " + e.what();
}

// with_first_found: the first of the names that exists on the controller, looked up
// like the task's own files (a role's vars/ for include_vars, templates/ for
// template, files/ otherwise, then the directories themselves).
std::string first_found(const Task& task, const List& names) {
    std::string kind = task.module_name == "include_vars" ? "vars" : task.module_name == "template" ? "templates" : "files";
    std::vector<std::string> tried;
    for (const auto& n : names) {
        if (!n.is_string()) throw UserError(n.mark(), "with_first_found: give file names (the files:/paths: form is not supported)");
        std::string name = n.as_string();
        if (!name.empty() && name[0] == '/') {
            if (std::filesystem::exists(name)) return name;
            tried.push_back(name);
            continue;
        }
        for (const auto& d : task.search_dirs)
            for (const std::string& c : {d + "/" + kind + "/" + name, d + "/" + name}) {
                if (std::filesystem::exists(c)) return c;
                tried.push_back(c);
            }
    }
    throw UserError(task.loop.mark(), "with_first_found: none of the files exists (looked at " + join(tried, ", ") + ")");
}

// changed_when / failed_when (they see the result as `result` and under the register
// name), the probe rule (check_mode: true reports ok) and the item's status. A
// template only because ItemResult is the executor's private type.
template <class ItemResult>
void judge_result(const Task& task, const Value& vars, Value& result, ItemResult& out) {
    bool changed = result.get("changed").truthy();
    bool failed = result.get("failed").truthy();
    Value cond_vars = vars;
    cond_vars["result"] = result;
    if (!task.register_as.empty()) cond_vars[task.register_as] = result;
    // A command the dry run only recorded has no output to judge; changed_when: false
    // below clears would_run for the display, so remember it for failed_when.
    const bool not_run = out.would_run;
    if (!task.changed_when.is_null()) {
        if (out.would_run && !task.changed_when.is_bool()) {
            // The command did not run, so its output cannot be judged: keep "would run".
        } else {
            changed = eval_condition(task.changed_when, cond_vars);
            result["changed"] = Value(changed);
            if (!changed) out.would_run = false;
        }
    }
    if (!task.failed_when.is_null() && !(not_run && !task.failed_when.is_bool())) {
        failed = eval_condition(task.failed_when, cond_vars);
        result["failed"] = Value(failed);
        if (failed && result.get("msg").is_null()) out.msg = "failed_when condition met";
    }
    if (task.no_log) result.set_secret(true);
    out.result = result;
    out.status = failed ? Status::Failed : changed ? Status::Changed : Status::Ok;
    // A probe (check_mode: true) changes nothing in either run: it reports ok, so the
    // (host, task) pairs a dry run marks changed are those a real run changes. Its
    // registered result keeps changed: true for the `when:` that reads it.
    if (out.status == Status::Changed && task.check_mode.value_or(false)) {
        out.status = Status::Ok;
        out.would_run = false;
        out.probe_would_change = true;
    }
    if (failed && out.msg.empty()) out.msg = "task failed";
}

}  // namespace

Value TaskExecutor::task_vars(const Task& task, const HostState& host) const {
    Value vars = host.play_vars;
    // The task's own role: its defaults replace other roles' (never a higher layer),
    // its vars sit above the play's.
    if (task.role_defaults.is_map())
        for (const auto& [k, v] : task.role_defaults.as_map())
            if (host.default_keys.count(k)) vars[k] = lua_lease()->render(v, vars);
    if (task.role_vars.is_map())
        for (const auto& [k, v] : task.role_vars.as_map()) vars[k] = lua_lease()->render(v, vars);
    if (task.vars.is_map() && !task.vars.as_map().empty()) {
        // Task vars may refer to play vars, to each other and (as in Ansible) to
        // registered values and -e: render them in order in a context that has
        // those; below, registered values and -e still take precedence.
        Value ctx = vars;
        if (host.runtime_vars.is_map())
            for (const auto& [k, v] : host.runtime_vars.as_map()) ctx[k] = v;
        for (const auto& [k, v] : m_opts.extra_vars.as_map()) ctx[k] = v;
        for (const auto& [k, v] : task.vars.as_map()) {
            Value r = lua_lease()->render(v, ctx);
            vars[k] = r;
            ctx[k] = std::move(r);
        }
    }
    if (host.runtime_vars.is_map())
        for (const auto& [k, v] : host.runtime_vars.as_map()) vars[k] = v;
    for (const auto& [k, v] : m_opts.extra_vars.as_map()) vars[k] = v;
    if (!vars.has("omit")) vars["omit"] = Value(std::string(k_omit_placeholder));
    // Ansible's ansible_search_path: the role's directory, then the playbook's (the
    // template module and lookups resolve relative files with it).
    if (!task.search_dirs.empty() && !vars.has("ansible_search_path")) {
        List sp;
        for (const auto& d : task.search_dirs) sp.push_back(Value(d));
        vars["ansible_search_path"] = Value(std::move(sp));
    }
    return vars;
}

Connection& TaskExecutor::become_connection(const Play& play, const Task& task, HostState& host) {
    const Value& base = host.conn_vars.is_map() ? host.conn_vars : host.inventory_vars;
    Value vars = with_become_keywords(base, become_keywords(play, &task));
    std::string key = connection_key(vars);
    if (key == connection_key(with_become_keywords(base, host.play_become))) return *host.conn;
    ConnectionPtr& c = host.become_conns[key];
    if (!c) {
        ConnectionPtr fresh = m_connect(host.name, vars, m_opts);
        fresh->connect();  // no run lock: the main connection holds the host's
        for (const auto& w : fresh->take_warnings()) m_reporter.warning(w);
        c = std::move(fresh);
    }
    return *c;
}

bool TaskExecutor::ensure_connected(HostState& host, const Task& task, const std::string& task_name) {
    if (host.connected) return true;
    try {
        if (!host.conn) {
            // The play's become keywords (and -b) apply to the host's main connection;
            // a task that differs gets its own (become_connection).
            Value vars = with_become_keywords(host.conn_vars.is_map() ? host.conn_vars : host.inventory_vars,
                                              host.play_become);
            host.conn = m_connect(host.name, vars, m_opts);
        }
        host.conn->connect();
        for (const auto& w : host.conn->take_warnings()) m_reporter.warning(w);
        // One run at a time per host: held until the connection closes.
        host.conn->lock_run(RunLockRequest{run_lock_holder(), m_opts.lock_timeout_s});
        for (const auto& w : host.conn->take_warnings()) m_reporter.warning(w);
        host.connected = true;
        // A reviewed plan admits the host only while what it touches is as reviewed.
        if (m_opts.plan_gate) {
            std::string refused = m_opts.plan_gate->admit_host(host.name, *host.conn);
            if (!refused.empty()) {
                host.failed = true;
                host.stats.failed++;
                HostResult r;
                r.host = host.name;
                r.status = Status::Failed;
                r.msg = refused;
                m_reporter.host_result(task, task_name, r);
                return false;
            }
        }
        return true;
    } catch (const HostBusyError& e) {
        // Another run works on this host: fail it (for the whole run), never interleave.
        host.unreachable = true;
        host.stats.failed++;
        HostResult r;
        r.host = host.name;
        r.status = Status::Failed;
        r.msg = e.what();
        m_reporter.host_result(task, task_name, r);
        return false;
    } catch (const std::exception& e) {
        host.unreachable = true;
        host.stats.unreachable++;
        HostResult r;
        r.host = host.name;
        r.status = Status::Unreachable;
        r.msg = describe_error(e);
        m_reporter.host_result(task, task_name, r);
        return false;
    }
}

struct TaskExecutor::TaskConnection {
    Connection* conn = nullptr;
    bool on_host = true;                         // false: delegated to another host
    std::unique_ptr<PlannedConnection> scratch;  // a probe's or a delegate's dry-run overlay
    std::unique_ptr<EnvConnection> with_env;     // environment: on top of whichever connection
};

TaskExecutor::TaskConnection TaskExecutor::task_connection(const Play& play, const Task& task, HostState& host, const Value& vars,
                                                           bool check) {
    // The dry-run swap: in --check every read and write goes through the overlay.
    TaskConnection tc;
    tc.conn = &become_connection(play, task, host);
    std::string delegate = task.delegate_to.is_null() ? "" : lua_lease()->render(task.delegate_to, vars).to_string();
    if (!delegate.empty() && delegate != host.name) {
        if (!delegate_connection) throw TaskError("delegate_to is not available here");
        tc.conn = &delegate_connection(delegate, host.name);
        tc.on_host = false;
        if (check) {
            // A delegated task's dry run plans on a throwaway overlay of the delegate.
            tc.scratch = std::make_unique<PlannedConnection>(*tc.conn);
            tc.conn = tc.scratch.get();
        }
    } else if (check) {
        if (m_opts.check) {
            // One planned state per host, whichever connection (become setting) the task uses.
            if (!host.planned) host.planned = std::make_unique<PlannedConnection>(*tc.conn);
            else host.planned->rebase(*tc.conn);
            tc.conn = host.planned.get();
        }
        if (!m_opts.check || task.check_mode.value_or(false)) {
            // check_mode: true (a probe): a throwaway overlay, so later tasks don't see its
            // writes, in a real run and in --check alike (there on top of the planned state).
            tc.scratch = std::make_unique<PlannedConnection>(*tc.conn);
            tc.conn = tc.scratch.get();
        }
    }
    if (!task.environment.empty()) {
        std::map<std::string, std::string> env;
        for (const auto& layer : task.environment) {
            Value e = lua_lease()->render(layer, vars);
            if (e.is_null()) continue;
            if (!e.is_map()) throw UserError(layer.mark(), "environment must be a map, got a " + std::string(e.type_name()));
            secrets().add_from(e);  // a vaulted value stays masked wherever the command echoes it
            for (const auto& [k, v] : e.as_map()) env[k] = v.is_bool() ? (v.as_bool() ? "True" : "False") : v.to_string();
        }
        tc.with_env = std::make_unique<EnvConnection>(*tc.conn, std::move(env));
        tc.conn = tc.with_env.get();
    }
    return tc;
}

namespace {

// The module's arguments for this host: rendered, `omit` dropped, validated; secret
// arguments (and every string argument of a no_log task) registered for masking.
Args render_args(const Task& task, const Value& vars) {
    Value rendered = lua_lease()->render(task.args, vars);
    if (rendered.is_map()) {
        // Ansible's `default(omit)`: an argument rendered to the placeholder is left out.
        Map& m = rendered.as_map_mut();
        for (auto it = m.begin(); it != m.end();)
            it = it->second.is_string() && it->second.as_string() == k_omit_placeholder ? m.erase(it) : std::next(it);
    }
    Args args = validate_args(task.module->spec(), rendered);
    secrets().add_from(args.raw());
    if (task.no_log) {
        // Every string argument of a no_log task is a secret: mask it wherever it shows up.
        for (const auto& [k, v] : args.raw().as_map())
            if (v.is_string()) secrets().add(v.as_string());
    }
    return args;
}

// A module's failure (TaskError from check, or from apply of `plan`) as the item's
// result: the plan's and the error's result fields with failed and msg, judged like
// any other result, so failed_when may clear it, until retries it and register keeps
// rc/stdout/status_code... A failure in apply keeps the plan's changes and changed
// (a command that ran and exited non-zero did run).
template <class ItemResult>
void module_failure(const Task& task, const Module& mod, const Value& vars, const Plan& plan, const TaskError& e,
                    ItemResult& out) {
    Value result = plan.result.is_map() ? plan.result : Value(Map{});
    if (e.result().is_map()) result = merge_maps(result, e.result());
    out.msg = describe_error(e);
    // The module's own msg value stays (it may be marked secret); the text is for display.
    if (result.get("msg").is_null()) result["msg"] = Value(out.msg);
    if (!runs_on_controller(mod)) result.set_untrusted();
    result["changed"] = Value(plan.changed());
    result["failed"] = Value(true);
    out.changes = plan.changes;
    judge_result(task, vars, result, out);
}

}  // namespace

TaskExecutor::ItemResult TaskExecutor::run_item(const Play& play, const Task& task, HostState& host, Value vars,
                                                bool check, const std::string& task_name) {
    ItemResult out;
    const Module& mod = *task.module;
    Args args = render_args(task, vars);
    TaskConnection tc = task_connection(play, task, host, vars, check);
    auto eval = [&](const Value& expr) {
        if (expr.mark().known()) return lua_lease()->eval_expression(expr, vars);
        Value at_task = expr;
        at_task.set_mark(task.mark);
        return lua_lease()->eval_expression(at_task, vars);
    };
    ModuleContext ctx{*tc.conn, vars, eval, play.playbook_dir};
    ctx.search_dirs = task.search_dirs.empty() ? std::vector<std::string>{play.playbook_dir} : task.search_dirs;
    ctx.secrets = &secrets();
    // A module fails one way, by throwing TaskError; from check() or apply() it becomes
    // the item's failed result here, and nowhere else.
    Plan plan;
    try {
        plan = mod.check(ctx, args);
    } catch (const TaskError& e) {
        module_failure(task, mod, vars, Plan{}, e, out);
        return out;
    }
    // What a real run carries out (a probe never does) goes past the reviewed plan.
    // Outside the module's failure path: failed_when must never wave a refusal through.
    if (m_opts.plan_gate && plan.changed() && !task.check_mode.value_or(false))
        m_opts.plan_gate->on_plan(host.name, tc.on_host ? host.conn.get() : nullptr, task, task_name, plan);
    Value result = plan.result.is_map() ? plan.result : Value(Map{});
    if (plan.changed()) {
        Value applied;
        try {
            applied = mod.apply(ctx, args, plan);
        } catch (const TaskError& e) {
            module_failure(task, mod, vars, plan, e, out);
            return out;
        }
        result = merge_maps(result, applied);
        if (!check && m_opts.verify_convergence && !plan.unpredictable) {
            Plan again = mod.check(ctx, args);
            if (again.changed())
                throw ContractError("module '" + mod.spec().name + "' did not converge: a second check still plans '" +
                                    again.changes.front().summary + "' on " + again.changes.front().target);
        }
    }
    out.would_run = check && plan.unpredictable && plan.changed();
    if (plan.changed()) out.depends_on = plan.depends_on;
    out.changes = plan.changes;
    // A command a dry run really ran (check_mode: false) did not "would run": its
    // --diff line says what happened.
    if (m_opts.check && !check)
        for (auto& c : out.changes)
            if (starts_with(c.summary, "would run")) c.summary = "ran" + c.summary.substr(9);
    out.msg = plan.msg;
    if (result.get("msg").is_null() && !plan.msg.empty()) result["msg"] = Value(plan.msg);
    else if (!result.get("msg").is_null()) out.msg = result.get("msg").to_string();
    // From here on the result (stdout, file contents, facts...) is the host's data: the
    // changed_when/failed_when/until conditions and `register` may read it, never run it.
    if (!runs_on_controller(mod)) result.set_untrusted();
    bool changed = plan.changed();
    // A plan that could not predict its effect (mysql_query's INSERT IGNORE) may learn
    // from apply whether anything changed.
    if (!check && plan.unpredictable && changed && result.get("changed").is_bool())
        changed = result.get("changed").as_bool();
    result["changed"] = Value(changed);
    judge_result(task, vars, result, out);
    return out;
}

TaskExecutor::ItemResult TaskExecutor::run_until(const Play& play, const Task& task, HostState& host,
                                                 const Value& vars, bool check, const std::string& task_name) {
    ItemResult ir = run_item(play, task, host, vars, check, task_name);
    // until/retries: run again while the condition does not hold (Ansible's order:
    // the condition sees the result as `result` and under the register name).
    for (int attempt = 1; !task.until.is_null() && !ir.would_run; ++attempt) {
        Value cv = vars;
        cv["result"] = ir.result;
        if (!task.register_as.empty()) cv[task.register_as] = ir.result;
        ir.result["attempts"] = Value(attempt);
        if (eval_condition(task.until, cv)) break;
        if (attempt > task.retries) {
            ir.status = Status::Failed;
            ir.msg = "still not true after " + std::to_string(attempt) + " attempts: " + task.until.to_string();
            ir.result["failed"] = Value(true);
            break;
        }
        std::this_thread::sleep_for(std::chrono::duration<double>(task.delay));
        ir = run_item(play, task, host, vars, check, task_name);
    }
    return ir;
}

TaskExecutor::ItemResult TaskExecutor::run_guarded(const Play& play, const Task& task, HostState& host,
                                                   const Value& vars, bool check, const std::string& task_name) {
    ItemResult ir;
    try {
        for (const auto& cond : task.when)
            if (!eval_condition(cond, vars)) {
                ir.status = Status::Skipped;
                ir.msg = "conditional result was False: " + cond.to_string();
                ir.result["skipped"] = Value(true);
                ir.result["changed"] = Value(false);
                ir.result["skip_reason"] = Value(ir.msg);
                return ir;
            }
        return run_until(play, task, host, vars, check, task_name);
    } catch (const ConnectionError& e) {
        ir.status = Status::Unreachable;
        ir.msg = e.what();
    } catch (const ContractError& e) {
        ir.status = Status::Failed;
        ir.msg = std::string("BUG: ") + e.what();
        ir.result["failed"] = Value(true);
    } catch (const std::exception& e) {
        ir.status = Status::Failed;
        ir.msg = describe_error(e);
        ir.result["failed"] = Value(true);
        ir.result["msg"] = Value(ir.msg);
    }
    return ir;
}

Value TaskExecutor::run_loop(const Play& play, const Task& task, HostState& host, const Value& vars, bool check,
                             const std::string& task_name, HostResult& summary) {
    List loop_items;
    try {
        Value lv = lua_lease()->render(task.loop, vars);
        if (!lv.is_list()) throw UserError(task.loop.mark(), "loop must be a list, got a " + std::string(lv.type_name()));
        // Assigned only once everything succeeded: a failure leaves no items to run.
        loop_items = task.first_found ? List{Value(first_found(task, lv.as_list()))} : lv.as_list();
    } catch (const std::exception& e) {
        // A loop that failed to render says why (e.g. an undefined name), not "no items".
        summary.status = Status::Failed;
        summary.msg = describe_error(e);
        Value registered = Value(Map{});
        registered["results"] = Value(List{});
        registered["changed"] = Value(false);
        registered["failed"] = Value(true);
        return registered;
    }
    bool any_changed = false, any_failed = false, all_skipped = true, any_probe_change = false, unreachable = false;
    List results;
    for (const auto& item : loop_items) {
        Value iv = vars;
        iv[task.loop_var] = item;
        ItemResult ir = run_guarded(play, task, host, iv, check, task_name);
        ir.result[task.loop_var] = item;
        any_changed = any_changed || ir.status == Status::Changed;
        any_probe_change = any_probe_change || ir.probe_would_change;
        any_failed = any_failed || ir.status == Status::Failed;
        all_skipped = all_skipped && ir.status == Status::Skipped;
        unreachable = unreachable || ir.status == Status::Unreachable;
        results.push_back(ir.result);
        HostResult r;
        r.host = host.name;
        r.status = ir.status;
        r.is_item = true;
        r.no_log = task.no_log;
        r.show_diff = summary.show_diff;
        r.would_run = ir.would_run;
        r.probe_would_change = ir.probe_would_change;
        r.depends_on = ir.depends_on;
        r.msg = ir.msg;
        r.changes = ir.changes;
        r.result = ir.result;
        try {
            r.item_label = task.loop_label.is_null() ? (item.is_string() ? item.as_string() : item.to_json())
                                                     : lua_lease()->render(task.loop_label, iv).to_string();
        } catch (const std::exception&) {
            r.item_label = item.to_json();
        }
        if (task.no_log) r.item_label = k_masked;
        r.ignored = ir.status == Status::Failed && ignores_errors(task, vars);
        m_reporter.host_result(task, task_name, r);
        if (unreachable) break;
    }
    Value registered = Value(Map{});
    registered["results"] = Value(std::move(results));
    registered["changed"] = Value(any_changed || any_probe_change);
    if (any_failed) registered["failed"] = Value(true);
    summary.status = unreachable  ? Status::Unreachable
                     : any_failed ? Status::Failed
                     : any_changed ? Status::Changed
                     : all_skipped && !loop_items.empty() ? Status::Skipped
                                                          : Status::Ok;
    summary.msg = any_failed ? "one or more items failed" : loop_items.empty() ? "no items" : "";
    return registered;
}

bool TaskExecutor::ignores_errors(const Task& task, const Value& vars) const {
    if (task.ignore_errors || task.ignore_errors_expr.is_null()) return task.ignore_errors;
    try {
        return eval_condition(task.ignore_errors_expr, vars);
    } catch (const std::exception&) {
        return false;
    }
}

void TaskExecutor::record(const Task& task, HostState& host, HostResult& summary, Value registered, const Value& vars) {
    summary.result = registered;
    // Register and set_fact land in the host's runtime vars (above play vars). A host
    // module's registered result (error messages included) is untrusted data.
    if (!runs_on_controller(*task.module)) registered.set_untrusted();
    if (!task.register_as.empty() && summary.status != Status::Unreachable)
        host.runtime_vars[task.register_as] = registered;
    if (summary.status != Status::Failed && registered.get("ansible_facts").is_map())
        for (const auto& [k, v] : registered.get("ansible_facts").as_map()) host.runtime_vars[k] = v;
    // A looped set_fact/include_vars sets the facts of every item that succeeded (Ansible's order).
    if (registered.get("results").is_list())
        for (const auto& item : registered.get("results").as_list())
            if (!item.get("failed").truthy() && item.get("ansible_facts").is_map())
                for (const auto& [k, v] : item.get("ansible_facts").as_map()) host.runtime_vars[k] = v;

    switch (summary.status) {
        case Status::Unreachable:
            host.unreachable = true;
            host.stats.unreachable++;
            break;
        case Status::Failed:
            if (ignores_errors(task, vars)) {
                summary.ignored = true;
                host.stats.ignored++;
            } else {
                host.failed = true;
                host.stats.failed++;
            }
            break;
        case Status::Changed:  // Ansible counts a changed task in ok too
            host.stats.changed++;
            host.stats.ok++;
            break;
        case Status::Skipped: host.stats.skipped++; break;
        case Status::Ok: host.stats.ok++; break;
    }
    if (summary.status == Status::Changed)
        for (const auto& n : task.notify) host.notified.insert(n);
}

bool TaskExecutor::run(const Play& play, const Task& task, HostState& host, const std::string& task_name,
                       const std::vector<const Task*>& upcoming) {
    // lookup('file'), lookup('template') and {% include %} look next to the playbook.
    std::string pb = play.playbook_dir.empty() ? "." : play.playbook_dir;
    set_template_search_path({pb + "/templates", pb + "/files", pb});
    if (!ensure_connected(host, task, task_name)) return false;
    bool check = task.check_mode.value_or(m_opts.check);
    HostResult summary;
    summary.host = host.name;
    summary.no_log = task.no_log;
    summary.show_diff = task.diff.value_or(m_opts.diff);
    Value registered;
    bool loop_summary = false;  // a looped task reports its items; its own line only when the loop itself failed
    Value vars;
    try {
        vars = task_vars(task, host);
    } catch (const std::exception& e) {
        summary.status = Status::Failed;
        summary.msg = describe_error(e);
        loop_summary = true;
    }
    if (summary.status != Status::Failed && !upcoming.empty() && host.conn && host.conn->wants_path_hints())
        host.conn->expect_paths(hinted_paths(upcoming, vars));
    if (summary.status == Status::Failed) {
        // The task's variables did not render: nothing ran.
    } else if (task.loop.is_null()) {
        ItemResult ir = run_guarded(play, task, host, vars, check, task_name);
        registered = ir.result;
        summary.status = ir.status;
        summary.msg = ir.msg;
        summary.changes = ir.changes;
        summary.would_run = ir.would_run;
        summary.probe_would_change = ir.probe_would_change;
        summary.depends_on = ir.depends_on;
    } else {
        registered = run_loop(play, task, host, vars, check, task_name, summary);
        loop_summary = registered.get("results").as_list().empty() && summary.status == Status::Failed;
    }
    record(task, host, summary, registered, vars);
    if (task.loop.is_null() || loop_summary || summary.status == Status::Unreachable)
        m_reporter.host_result(task, task_name, summary);
    return summary.status == Status::Changed;
}

}  // namespace upkeep
