#include "engine/exec/play_executor.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <functional>
#include <set>

#include "engine/exec/connection_factory.hpp"
#include "engine/exec/exit_codes.hpp"
#include "engine/exec/path_hints.hpp"
#include "engine/exec/facts.hpp"
#include "engine/playbook/playbook.hpp"
#include "engine/lua/lua_env.hpp"
#include "engine/lua/lua_pool.hpp"
#include "engine/report/secret_registry.hpp"
#include "engine/util/error.hpp"
#include "engine/util/strings.hpp"
#include "engine/value/yaml.hpp"

namespace upkeep {

namespace {

// Batch sizes for `serial`: a number, "30%", or a list of those (the last repeats).
std::vector<size_t> batch_sizes(const Value& serial, size_t total) {
    std::vector<size_t> out;
    if (serial.is_null() || total == 0) return {total};
    List spec = serial.is_list() ? serial.as_list() : List{serial};
    auto size_of = [&](const Value& v) -> size_t {
        std::string s = trim(v.to_string());
        if (ends_with(s, "%")) {
            double pct = std::stod(s.substr(0, s.size() - 1));
            return std::max<size_t>(1, static_cast<size_t>(std::floor(total * pct / 100.0)));
        }
        int64_t n = v.as_int();
        if (n <= 0) throw UserError(v.mark(), "serial must be a positive number or percentage");
        return static_cast<size_t>(n);
    };
    size_t done = 0, i = 0;
    while (done < total) {
        size_t n = std::min(size_of(spec[std::min(i, spec.size() - 1)]), total - done);
        out.push_back(n);
        done += n;
        ++i;
    }
    return out;
}

bool has(const std::vector<std::string>& v, const std::string& x) { return std::find(v.begin(), v.end(), x) != v.end(); }

// vars_prompt without a terminal: -e answers it, else the default, else stop here.
// A private answer given with -e is a secret like the default.
Value prompted_vars(const Play& play, const Value& extra_vars) {
    Value prompted(Map{});
    for (const auto& vp : play.vars_prompt) {
        if (vp.secret && extra_vars.get(vp.name).is_string()) secrets().add(extra_vars.get(vp.name).as_string());
        if (extra_vars.has(vp.name)) continue;
        if (vp.default_value.is_null())
            throw UserError(vp.mark, "vars_prompt '" + vp.name + "' has no default and upkeep never prompts: pass -e " +
                                         vp.name + "=...");
        Value d = vp.default_value;
        if (vp.secret) d.set_secret(true);
        prompted[vp.name] = d;
    }
    return prompted;
}

// Variables may refer to each other in any order: render in passes until stable.
// Each pass renders from the raw templates, so a variable rendered before one it
// uses (map order is by name) is corrected by the next pass instead of keeping
// the other's unrendered text.
void render_until_stable(Value& v) {
    std::vector<std::pair<std::string, Value>> raw;
    for (const auto& [k, val] : v.as_map()) {
        if (k == "hostvars") continue;
        if ((val.is_string() && LuaEnv::is_templated(val.as_string())) || val.is_list() || val.is_map())
            raw.emplace_back(k, val);
    }
    for (int pass = 0; pass < 4; ++pass) {
        bool again = false;
        for (const auto& [k, tmpl] : raw) {
            try {
                Value r = lua_lease()->render(tmpl, v);
                if (r != v.get(k)) {
                    v[k] = r;
                    again = true;
                }
            } catch (const std::exception&) {
                again = true;  // may depend on a variable rendered later in this pass
            }
        }
        if (!again) break;
    }
}

}  // namespace

PlayExecutor::PlayExecutor(const Inventory& inventory, const RunOptions& opts, Reporter& reporter,
                           ConnectionFactory connect)
    : m_inventory(inventory),
      m_opts(opts),
      m_reporter(reporter),
      m_connect(std::move(connect)),
      m_tasks(opts, reporter, m_connect),
      m_pool(opts.forks) {
    m_started = opts.start_at_task.empty();
    m_tasks.delegate_connection = [this](const std::string& d, const std::string& h) -> Connection& {
        return delegate_connection(d, h);
    };
}

PlayExecutor::~PlayExecutor() {
    for (auto& [name, h] : m_hosts) {
        for (auto& [key, c] : h->become_conns) c->close();
        if (h->conn) h->conn->close();
    }
    for (auto& [key, c] : m_delegates) c->close();
}

Connection& PlayExecutor::delegate_connection(const std::string& delegate, const std::string& host) {
    // One connection per (delegate, host): tasks of different hosts run in parallel.
    std::lock_guard<std::mutex> lock(m_delegate_mutex);
    std::string key = delegate + "\n" + host;
    auto it = m_delegates.find(key);
    if (it != m_delegates.end()) return *it->second;
    Value vars = m_inventory.has_host(delegate) ? m_inventory.host_vars(delegate) : Value(Map{});
    // Ansible's implicit localhost: not in the inventory, reached without SSH.
    if (!m_inventory.has_host(delegate) && (delegate == "localhost" || delegate == "127.0.0.1"))
        vars["ansible_connection"] = Value("local");
    else if (!m_inventory.has_host(delegate))
        throw TaskError("delegate_to: host '" + delegate + "' is not in the inventory");
    ConnectionPtr c = m_connect(delegate, vars, m_opts);
    c->connect();
    return *(m_delegates[key] = std::move(c));
}

HostState& PlayExecutor::state(const std::string& host) {
    auto it = m_hosts.find(host);
    if (it != m_hosts.end()) return *it->second;
    auto h = std::make_unique<HostState>();
    h->name = host;
    h->stats.host = host;
    h->inventory_vars = m_inventory.host_vars(host);
    secrets().add_from(h->inventory_vars);
    m_host_order.push_back(host);
    return *(m_hosts[host] = std::move(h));
}

int PlayExecutor::run(const Playbook& pb) {
    m_reporter.playbook_start(pb.path, m_opts.check);
    for (const auto& play : pb.plays) run_play(play);
    std::vector<HostStats> stats;
    bool failed = false, unreachable = false, changed = false;
    for (const auto& name : m_host_order) {
        const HostState& h = *m_hosts[name];
        stats.push_back(h.stats);
        failed = failed || h.stats.failed > 0;
        unreachable = unreachable || h.stats.unreachable > 0;
        changed = changed || h.stats.changed > 0;
    }
    m_reporter.recap(stats, m_opts.check);
    if (failed) return k_exit_failed;  // failures and unreachable hosts take precedence
    if (unreachable) return k_exit_unreachable;
    return m_opts.detailed_exitcode && changed ? k_exit_changes : k_exit_ok;
}

void PlayExecutor::run_play(const Play& play) {
    std::vector<std::string> names = m_inventory.match(play.hosts);
    if (!m_opts.limit.empty()) {
        std::vector<std::string> lim = m_inventory.match(m_opts.limit);
        std::set<std::string> allowed(lim.begin(), lim.end());
        names.erase(std::remove_if(names.begin(), names.end(), [&](const auto& n) { return !allowed.count(n); }), names.end());
    }
    std::erase_if(names, [&](const std::string& n) { return !in_shard(n, m_opts.shard); });
    std::vector<HostState*> hosts;
    for (const auto& n : names) {
        HostState& h = state(n);
        h.ended = false;
        if (!h.unreachable && !h.failed) hosts.push_back(&h);
    }
    m_reporter.play_start(play, play.name.empty() ? play.hosts : play.name, names);
    if (hosts.empty()) return;
    m_stop_play = false;
    // serial may be a template over play, inventory (first host's) and extra vars.
    Value serial = play.serial;
    if (serial.is_string() && LuaEnv::is_templated(serial.as_string())) {
        Value ctx = merge_maps(merge_maps(hosts.front()->inventory_vars, play.vars), m_opts.extra_vars);
        serial = lua_lease()->render(serial, ctx);
    }
    size_t offset = 0;
    for (size_t n : batch_sizes(serial, hosts.size())) {
        std::vector<HostState*> batch(hosts.begin() + offset, hosts.begin() + offset + n);
        offset += n;
        m_batch_size = batch.size();
        run_batch(play, batch);
        if (m_stop_play) break;
    }
}

void PlayExecutor::run_batch(const Play& play, std::vector<HostState*>& batch) {
    for (auto* h : batch) {
        if (h->connected) continue;
        if (!play.remote_user.empty() && !h->inventory_vars.has("ansible_user"))
            h->inventory_vars["ansible_user"] = Value(play.remote_user);
        if (!play.connection.empty() && !h->inventory_vars.has("ansible_connection"))
            h->inventory_vars["ansible_connection"] = Value(play.connection);
        // -c/--connection: below the inventory and the play's keyword, as in Ansible.
        if (!m_opts.connection.empty() && !h->inventory_vars.has("ansible_connection") &&
            !h->inventory_vars.has("upkeep_connection"))
            h->inventory_vars["ansible_connection"] = Value(m_opts.connection);
    }
    // Connection and become variables follow Ansible's precedence: a play's
    // `vars:` beat the inventory, -e beats both.
    for (auto* h : batch) {
        Value cv = merge_maps(merge_maps(h->inventory_vars, play.vars), m_opts.extra_vars);
        // The play's become keywords apply where no ansible_become* variable is set.
        h->play_become = become_keywords(play);
        std::string key = connection_key(with_become_keywords(cv, h->play_become));
        if (h->conn && key != h->conn_key) {
            h->planned.reset();  // it wraps the old connection
            h->become_conns.clear();
            h->conn.reset();
            h->connected = false;
        }
        h->conn_vars = std::move(cv);
        h->conn_key = std::move(key);
    }
    gather_facts(play, batch);
    prepare_play_vars(play, batch);
    for (const auto* section : {&play.pre_tasks, &play.tasks, &play.post_tasks}) {
        if (!run_tasks(play, *section, batch, false)) return;
        flush_handlers(play, batch);
        if (m_stop_play) return;
    }
}

void PlayExecutor::gather_facts(const Play& play, std::vector<HostState*>& hosts) {
    if (!play.gather_facts) return;
    std::vector<HostState*> todo;
    for (auto* h : hosts)
        if (h->active() && h->facts.is_null()) todo.push_back(h);
    if (todo.empty()) return;
    static Task k_facts_task = [] {
        Task t;
        t.name = "Gathering Facts";
        t.module_name = "setup";
        return t;
    }();
    m_reporter.task_start(k_facts_task, "Gathering Facts", false);
    m_pool.parallel_for(todo.size(), [&](size_t i) {
        HostState& h = *todo[i];
        if (!m_tasks.ensure_connected(h, k_facts_task, "Gathering Facts")) return;
        HostResult r;
        r.host = h.name;
        try {
            h.facts = upkeep::gather_facts(*h.conn);
            r.status = Status::Ok;
            h.stats.ok++;
        } catch (const ConnectionError& e) {
            r.status = Status::Unreachable;
            r.msg = e.what();
            h.unreachable = true;
            h.stats.unreachable++;
        } catch (const std::exception& e) {
            r.status = Status::Failed;
            r.msg = e.what();
            h.failed = true;
            h.stats.failed++;
        }
        m_reporter.host_result(k_facts_task, "Gathering Facts", r);
    });
}

void PlayExecutor::prepare_play_vars(const Play& play, std::vector<HostState*>& hosts) {
    // The playbook's own Lua modules (`require`), checked file by file when loaded.
    if (std::error_code ec; std::filesystem::is_directory(play.playbook_dir + "/lua", ec))
        LuaEnv::add_global_search_path(play.playbook_dir + "/lua");
    // hostvars: every host's inventory vars, facts, and what earlier plays registered or
    // set with set_fact (as in Ansible: a later play reads the pool master's set_fact),
    // shared (copy-on-write) by all.
    Value hostvars(Map{});
    for (const auto& [name, h] : m_hosts) {
        Value hv = h->inventory_vars;
        if (h->facts.is_map()) hv["ansible_facts"] = h->facts;
        if (h->runtime_vars.is_map())
            for (const auto& [k, v] : h->runtime_vars.as_map()) hv[k] = v;
        hostvars[name] = hv;
    }
    // One list shared by every host (copy-on-write): a copy per host was 1,000 lists
    // of 1,000 names at 1,000 hosts.
    List play_host_names;
    for (auto* h : hosts) play_host_names.emplace_back(h->name);
    const Value play_hosts(std::move(play_host_names));
    std::vector<std::pair<std::string, Value>> files;
    for (const auto& f : play.vars_files) {
        if (f.find("{{") == std::string::npos) files.emplace_back(f, load_yaml_file(f));
    }
    Value prompted = prompted_vars(play, m_opts.extra_vars);
    m_pool.parallel_for(hosts.size(), [&](size_t i) {
        HostState& h = *hosts[i];
        // Role defaults are the lowest precedence: under the inventory.
        Value v = merge_maps(play.role_defaults, h.inventory_vars);
        if (h.facts.is_map()) {
            v["ansible_facts"] = h.facts;
            for (const auto& [k, f] : h.facts.as_map()) v["ansible_" + k] = f;
        }
        v["playbook_dir"] = Value(play.playbook_dir);
        v["ansible_check_mode"] = Value(m_opts.check);
        v["ansible_play_hosts"] = play_hosts;
        v["hostvars"] = hostvars;
        v["upkeep_inventory_dir"] = Value(m_opts.inventory_dir);
        auto layer = [&](const Value& vars) {
            if (!vars.is_map()) return;
            for (const auto& [k, raw] : vars.as_map()) v[k] = raw;
        };
        layer(play.vars);
        layer(prompted);
        for (const auto& f : play.vars_files) {
            if (f.find("{{") == std::string::npos) continue;
            try {
                layer(load_yaml_file(lua_lease()->render_string(f, v)));
            } catch (const std::exception& e) {
                m_reporter.warning(h.name + ": vars_files " + f + ": " + e.what());
            }
        }
        for (const auto& [path, content] : files) layer(content);
        layer(play.role_vars);  // role vars sit above play vars and vars_files
        // Extra vars (-e) are the highest precedence and play vars may refer to
        // them ("d: '{{ root }}/x'" with -e root=...): they must be visible
        // while play vars are rendered below, not only at task time.
        layer(m_opts.extra_vars);
        render_until_stable(v);
        // Not `hostvars`: every host's entries in it were registered where they came
        // from (inventory vars in state(), set_fact through its task's arguments), and
        // walking all hosts' vars for each host made 1,000 hosts cost 1,000,000 walks.
        for (const auto& [k, x] : v.as_map())
            if (k != "hostvars") secrets().add_from(x);
        h.default_keys.clear();
        for (const auto& [k, d] : play.role_defaults.as_map()) {
            bool overridden = h.inventory_vars.has(k) || play.vars.has(k) || prompted.has(k) || play.role_vars.has(k) ||
                              m_opts.extra_vars.has(k);
            for (const auto& [path, content] : files) overridden = overridden || content.get(k).is_null() == false;
            if (!overridden) h.default_keys.insert(k);
        }
        h.play_vars = std::move(v);
    });
}

bool PlayExecutor::tags_selected(const Task& task) const {
    const auto& t = task.tags;
    if (!m_opts.skip_tags.empty()) {
        for (const auto& s : m_opts.skip_tags)
            if (has(t, s) || (s == "tagged" && !t.empty()) || (s == "untagged" && t.empty()) || s == "all") return false;
    }
    if (has(t, "never") && !std::any_of(t.begin(), t.end(), [&](const auto& x) { return x != "never" && has(m_opts.tags, x); }))
        return false;
    if (m_opts.tags.empty() || has(m_opts.tags, "all")) return true;
    if (has(t, "always")) return true;
    for (const auto& s : m_opts.tags)
        if (has(t, s) || (s == "tagged" && !t.empty()) || (s == "untagged" && t.empty())) return true;
    return false;
}

std::string PlayExecutor::task_display_name(const Task& task, const std::vector<HostState*>& hosts) const {
    // A role's tasks show as "role : name" (Ansible's display).
    std::string prefix = task.role_name.empty() ? "" : task.role_name + " : ";
    if (task.name.empty()) return prefix + task.module_name;
    if (!LuaEnv::is_templated(task.name) || hosts.empty()) return prefix + task.name;
    try {
        return prefix + lua_lease()->render_string(task.name, m_tasks.task_vars(task, *hosts.front()), task.mark);
    } catch (const std::exception&) {
        return prefix + task.name;
    }
}

bool PlayExecutor::failure_policy_allows(const Play& play, const std::vector<HostState*>& hosts) const {
    size_t failed = 0;
    for (auto* h : hosts)
        if (h->failed || h->unreachable) ++failed;
    if (failed == 0) return true;
    if (play.any_errors_fatal) return false;
    if (play.max_fail_percentage && m_batch_size > 0 &&
        100.0 * static_cast<double>(failed) / static_cast<double>(m_batch_size) > *play.max_fail_percentage)
        return false;
    return true;
}

bool PlayExecutor::run_tasks(const Play& play, const std::vector<Task>& tasks, std::vector<HostState*>& hosts,
                             bool handlers) {
    for (size_t index = 0; index < tasks.size(); ++index) {
        const Task& task = tasks[index];
        if (m_stop_play) return false;
        std::vector<HostState*> active;
        for (auto* h : hosts)
            if (h->active()) active.push_back(h);
        if (active.empty()) return true;
        if (!m_started && !task.is_block && !task.is_include) {
            // --start-at-task: skip until a task's name (as displayed) matches.
            std::string name = task_display_name(task, active);
            if (name != m_opts.start_at_task && task.name != m_opts.start_at_task) continue;
            m_started = true;
        }
        if (task.is_block)
            run_block(play, task, active, handlers);
        else if (task.is_include)
            run_include(play, task, active, handlers);
        else if (tags_selected(task))
            run_task(play, task, active, handlers, upcoming_tasks(tasks, index));
        if (!failure_policy_allows(play, hosts)) {
            m_stop_play = true;
            m_reporter.warning("stopping the play: " +
                               std::string(play.any_errors_fatal ? "any_errors_fatal is set"
                                                                 : "max_fail_percentage exceeded"));
            return false;
        }
    }
    return true;
}

bool PlayExecutor::run_block(const Play& play, const Task& block, std::vector<HostState*>& hosts, bool handlers) {
    std::vector<HostState*> active;
    for (auto* h : hosts)
        if (h->active()) active.push_back(h);
    run_tasks(play, block.block, active, handlers);
    std::vector<HostState*> failed_here;
    for (auto* h : active)
        if (h->failed && !h->unreachable) failed_here.push_back(h);
    if (!block.rescue.empty() && !failed_here.empty()) {
        for (auto* h : failed_here) {
            h->failed = false;
            h->stats.failed--;
            h->stats.rescued++;
        }
        run_tasks(play, block.rescue, failed_here, handlers);
    }
    if (!block.always.empty()) {
        std::vector<HostState*> targets;
        std::vector<bool> was_failed;
        for (auto* h : active) {
            if (h->unreachable || h->ended) continue;
            targets.push_back(h);
            was_failed.push_back(h->failed);
            h->failed = false;
        }
        bool stop = m_stop_play;
        m_stop_play = false;
        run_tasks(play, block.always, targets, handlers);
        m_stop_play = m_stop_play || stop;
        for (size_t i = 0; i < targets.size(); ++i) targets[i]->failed = targets[i]->failed || was_failed[i];
    }
    return !m_stop_play;
}

bool PlayExecutor::run_meta(const Play& play, const Task& task, std::vector<HostState*>& hosts) {
    std::string action = trim(task.args.get("cmd").is_null() ? task.args.get("_raw_params").to_string()
                                                             : task.args.get("cmd").to_string());
    if (action == "flush_handlers") {
        flush_handlers(play, hosts);
    } else if (action == "end_play") {
        m_stop_play = true;
    } else if (action == "end_host" || action == "end_batch") {
        for (auto* h : hosts) {
            Value vars = m_tasks.task_vars(task, *h);
            bool ok = true;
            for (const auto& w : task.when) ok = ok && lua_lease()->eval_bool(w.to_string(), vars, w.mark());
            if (ok) h->ended = true;
        }
    } else if (action == "clear_host_errors") {
        for (auto& [n, h] : m_hosts) h->failed = false;
    } else if (std::find(meta_actions().begin(), meta_actions().end(), action) == meta_actions().end()) {
        throw UserError(task.mark, "unknown meta action '" + action + "'");
    }
    // The others (noop, clear_facts, refresh_inventory, reset_connection) have nothing to do here.
    return true;
}

bool PlayExecutor::run_task(const Play& play, const Task& task, std::vector<HostState*>& hosts, bool handler,
                            const std::vector<const Task*>& upcoming) {
    if (task.module_name == "meta") return run_meta(play, task, hosts);
    std::string name = task_display_name(task, hosts);
    m_reporter.task_start(task, name, handler);
    if (task.run_once) {
        HostState& first = *hosts.front();
        m_tasks.run(play, task, first, name, upcoming);
        for (auto* h : hosts) {
            if (h == &first) continue;
            if (!task.register_as.empty() && first.runtime_vars.has(task.register_as))
                h->runtime_vars[task.register_as] = first.runtime_vars.get(task.register_as);
        }
        return true;
    }
    m_pool.parallel_for(hosts.size(), [&](size_t i) { m_tasks.run(play, task, *hosts[i], name, upcoming); });
    return true;
}

namespace {
// Does the include (or anything it holds) run under --tags/--skip-tags?
bool any_selected(const Task& t, const std::function<bool(const Task&)>& selected) {
    if (selected(t)) return true;
    for (const auto* list : {&t.block, &t.rescue, &t.always})
        for (const auto& c : *list)
            if (any_selected(c, selected)) return true;
    return false;
}

// Hosts that include the same file with the same loop item run it together.
struct IncludeGroup {
    std::string path;
    Value item;  // null without a loop
    std::vector<HostState*> hosts;
};

// Every condition is evaluated (an error in a later one fails the host even when an
// earlier one is false), as before the include had its own function.
bool include_condition_holds(const Task& inc, const Value& vars) {
    bool ok = true;
    for (const auto& w : inc.when) {
        Value r = w.is_bool() ? w : LuaEnv::is_templated(w.to_string()) ? lua_lease()->render(w, vars)
                                                                     : lua_lease()->eval(w.to_string(), vars, w.mark());
        ok = ok && r.truthy();
    }
    return ok;
}

// A dynamic include: the host renders the file name per loop item and joins the
// group of hosts including that file with that item (a new group if none yet).
void group_by_included_file(const Task& inc, const Value& vars, HostState* h, std::vector<IncludeGroup>& groups) {
    List items{Value()};
    if (!inc.loop.is_null()) {
        Value lv = lua_lease()->render(inc.loop, vars);
        if (!lv.is_list()) throw UserError(inc.loop.mark(), "loop must be a list");
        items = lv.as_list();
    }
    for (const auto& item : items) {
        Value iv = vars;
        if (!inc.loop.is_null()) iv[inc.loop_var] = item;
        std::string file = lua_lease()->render(inc.include_file, iv).to_string();
        std::filesystem::path p(file);
        if (p.is_relative()) p = std::filesystem::path(inc.include_dir) / p;
        auto g = std::find_if(groups.begin(), groups.end(),
                              [&](const IncludeGroup& x) { return x.path == p.string() && x.item == item; });
        if (g == groups.end()) groups.push_back({p.string(), item, {h}});
        else g->hosts.push_back(h);
    }
}
}  // namespace

void PlayExecutor::run_include(const Play& play, const Task& inc, std::vector<HostState*>& hosts, bool handlers) {
    // Each host judges the include's condition once: a host for which it is false
    // gets one "skipping" for the include, a host that includes gets one "included"
    // (Ansible's recap counts both once, whatever the file holds). Dynamic: each host
    // renders the file name (per loop item) and hosts that include the same file with
    // the same item run it together, in order. Static: the tasks loaded with the play.
    if (inc.include_static && !any_selected(inc, [&](const Task& t) { return tags_selected(t); })) return;
    std::string name = task_display_name(inc, hosts);
    bool header = false;
    auto report = [&](HostState* h, Status status, const std::string& msg) {
        if (!m_started) return;  // --start-at-task: not reached yet
        if (!header) m_reporter.task_start(inc, name, handlers);
        header = true;
        HostResult r;
        r.host = h->name;
        r.status = status;
        r.msg = msg;
        m_reporter.host_result(inc, name, r);
        (status == Status::Skipped ? h->stats.skipped : h->stats.ok)++;
    };
    std::vector<IncludeGroup> groups;
    std::vector<HostState*> static_hosts;
    for (auto* h : hosts) {
        try {
            Value vars = m_tasks.task_vars(inc, *h);
            if (!include_condition_holds(inc, vars)) {
                report(h, Status::Skipped, "");
            } else if (inc.include_static) {
                report(h, Status::Ok, "included: " + inc.include_file.to_string());
                static_hosts.push_back(h);
            } else {
                group_by_included_file(inc, vars, h, groups);
            }
        } catch (const std::exception& e) {
            HostResult r;
            r.host = h->name;
            r.status = Status::Failed;
            r.msg = e.what();
            m_reporter.task_start(inc, "include_tasks", handlers);
            m_reporter.host_result(inc, "include_tasks", r);
            h->failed = true;
            h->stats.failed++;
        }
    }
    if (inc.include_static) {
        run_tasks(play, inc.block, static_hosts, handlers);
        return;
    }
    for (auto* h : hosts) {
        std::vector<std::string> files;
        for (const auto& g : groups)
            if (std::find(g.hosts.begin(), g.hosts.end(), h) != g.hosts.end() &&
                std::find(files.begin(), files.end(), g.path) == files.end())
                files.push_back(g.path);
        if (!files.empty()) report(h, Status::Ok, "included: " + join(files, ", "));
    }
    for (auto& g : groups) {
        Task include = inc;
        if (!inc.loop.is_null()) {
            // The loop variable is a var of every included task.
            if (!include.include_vars.is_map()) include.include_vars = Value(Map{});
            include.include_vars[inc.loop_var] = g.item;
        }
        if (!play.modules) throw ContractError("include_tasks: the play was not loaded with a module catalog");
        std::vector<Task> tasks = load_included_tasks(g.path, include, *play.modules);
        run_tasks(play, tasks, g.hosts, handlers);
    }
}

void PlayExecutor::flush_handlers(const Play& play, std::vector<HostState*>& hosts) {
    // A handler may notify another; go round until nothing is left (bounded).
    for (int round = 0; round < 10; ++round) {
        bool ran = false;
        for (const auto& handler : play.handlers) {
            std::vector<HostState*> targets;
            for (auto* h : hosts) {
                if (!h->active()) continue;
                bool hit = h->notified.erase(handler.name) > 0;
                if (!handler.role_name.empty()) hit = (h->notified.erase(handler.role_name + " : " + handler.name) > 0) || hit;
                for (const auto& topic : handler.listen) hit = (h->notified.erase(topic) > 0) || hit;
                if (hit) targets.push_back(h);
            }
            if (targets.empty()) continue;
            ran = true;
            if (handler.is_block)
                run_block(play, handler, targets, true);
            else
                run_task(play, handler, targets, true);
        }
        if (!ran) break;
    }
    // Notifications for handlers that do not exist were caught at load time; drop leftovers.
    for (auto* h : hosts) h->notified.clear();
}

}  // namespace upkeep
