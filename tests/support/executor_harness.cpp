#include "tests/support/executor_harness.hpp"

#include <algorithm>
#include <catch2/catch.hpp>

#include "engine/connection/local_connection.hpp"
#include "engine/connection/planned_connection.hpp"
#include "engine/exec/play_executor.hpp"
#include "engine/module/module.hpp"
#include "engine/playbook/inventory.hpp"
#include "engine/playbook/playbook.hpp"
#include "engine/util/error.hpp"
#include "modules/registry.hpp"

namespace upkeep::test {

void RecordingReporter::task_start(const Task&, const std::string& name, bool handler) {
    std::lock_guard<std::mutex> lock(m_mutex);
    started.push_back(handler ? "handler: " + name : name);
}

void RecordingReporter::host_result(const Task&, const std::string& task_name, const HostResult& r) {
    std::lock_guard<std::mutex> lock(m_mutex);
    results.push_back({task_name, r.host, r.status, r.is_item, r.would_run, r.probe_would_change, r.ignored, r.msg,
                       r.item_label, r.result});
}

void RecordingReporter::warning(const std::string& msg) {
    std::lock_guard<std::mutex> lock(m_mutex);
    warnings.push_back(msg);
}

void RecordingReporter::recap(const std::vector<HostStats>& s, bool) {
    std::lock_guard<std::mutex> lock(m_mutex);
    stats = s;
}

std::vector<RecordedResult> RecordingReporter::of(const std::string& task) const {
    std::vector<RecordedResult> out;
    for (const auto& r : results)
        if (r.task == task) out.push_back(r);
    return out;
}

RecordedResult RecordingReporter::one(const std::string& task, const std::string& host) const {
    std::vector<RecordedResult> found;
    for (const auto& r : results)
        if (r.task == task && r.host == host && !r.is_item) found.push_back(r);
    INFO("results of task '" << task << "' on " << host);
    REQUIRE(found.size() == 1);
    return found.front();
}

const HostStats& RecordingReporter::stats_of(const std::string& host) const {
    auto it = std::find_if(stats.begin(), stats.end(), [&](const HostStats& s) { return s.host == host; });
    INFO("recap of " << host);
    REQUIRE(it != stats.end());
    return *it;
}

std::string RecordingReporter::dump() const {
    std::string out;
    for (const auto& r : results)
        out += r.task + " | " + r.host + " | " + status_name(r.status) + (r.is_item ? " item " + r.item_label : "") +
               (r.would_run ? " would_run" : "") + " | " + r.msg + "\n";
    for (const auto& w : warnings) out += "warning: " + w + "\n";
    return out;
}

void ProbeLog::add(ProbeCall c) {
    std::lock_guard<std::mutex> lock(m_mutex);
    m_calls.push_back(std::move(c));
}

std::vector<ProbeCall> ProbeLog::calls(const std::string& key, const std::string& host) const {
    std::lock_guard<std::mutex> lock(m_mutex);
    std::vector<ProbeCall> out;
    for (const auto& c : m_calls)
        if (c.key == key && (host.empty() || c.host == host)) out.push_back(c);
    return out;
}

int ProbeLog::count(const std::string& key, const std::string& host, bool apply) const {
    int n = 0;
    for (const auto& c : calls(key, host)) n += c.apply == apply ? 1 : 0;
    return n;
}

void ProbeLog::clear() {
    std::lock_guard<std::mutex> lock(m_mutex);
    m_calls.clear();
}

ProbeLog& probe_log() {
    static ProbeLog log;
    return log;
}

namespace {

// probe: records each call. It converges a file to the text of `key` (`path`, or
// a marker named after the key): check reads it, apply writes it through the
// connection it was handed, so a dry run's write lands in the overlay. Without
// `path`, `change: false` makes it converged from the start. `fail: true` makes check fail; `secret` is registered through
// the context, as a module that reads a key from the host does. Its result carries `calls`: how
// many checks this key has had on this host so far (for until:).
class ProbeModule : public Module {
public:
    const ModuleSpec& spec() const override {
        static const ModuleSpec s{
            .name = "probe",
            .summary = "test module: records its calls",
            .args =
                {
                    {.name = "key", .required = true},
                    {.name = "path", .type = ArgType::Path},
                    {.name = "change", .type = ArgType::Bool, .default_value = Value(true)},
                    {.name = "fail", .type = ArgType::Bool, .default_value = Value(false)},
                    {.name = "secret"},
                },
        };
        return s;
    }

    Plan check(ModuleContext& ctx, const Args& args) const override {
        std::string key = args.str("key");
        record(ctx, key, false);
        if (args.has("secret")) ctx.add_secret(args.str("secret"));
        if (args.flag("fail")) throw TaskError("probe " + key + " failed on purpose");
        Plan p;
        p.result["calls"] = Value(static_cast<int64_t>(probe_log().count(key, ctx.conn.host_name(), false)));
        if (args.has("path") || args.flag("change")) {
            std::string path = target(args);
            std::optional<std::string> now = ctx.conn.read_file(path);
            if (now != key) p.changes.push_back({path, "probe writes " + key, now, key});
        }
        p.msg = p.changed() ? "probe would change" : "probe converged";
        return p;
    }

    Value apply(ModuleContext& ctx, const Args& args, const Plan&) const override {
        record(ctx, args.str("key"), true);
        ctx.conn.write_file(target(args), args.str("key"), WriteOptions{});
        return Value(Map{});
    }

private:
    // The file the probe converges: `path`, else a marker named after the key (so a
    // changing probe converges like a real module and --verify-convergence holds).
    static std::string target(const Args& args) {
        return args.has("path") ? args.str("path") : "/.probe-" + args.str("key");
    }

    static void record(ModuleContext& ctx, const std::string& key, bool apply) {
        ProbeCall c;
        c.key = key;
        c.host = ctx.conn.host_name();
        c.apply = apply;
        c.conn = &ctx.conn;
        c.underlying = &ctx.conn.underlying();
        c.overlay = dynamic_cast<const PlannedConnection*>(&ctx.conn) != nullptr;
        probe_log().add(c);
    }
};

class ProbeCatalog : public ModuleCatalog {
public:
    const Module* find(const std::string& name) const override {
        return name == "probe" ? &m_probe : builtin_modules().find(name);
    }
    std::vector<std::string> names() const override {
        std::vector<std::string> n = builtin_modules().names();
        n.push_back("probe");
        std::sort(n.begin(), n.end());
        return n;
    }

private:
    ProbeModule m_probe;
};

// A host that does not answer: connect() fails as a refused SSH connection would.
class UnreachableConnection : public LocalConnection {
public:
    using LocalConnection::LocalConnection;
    void connect() override { throw ConnectionError(host_name() + ": connection refused (test)"); }
};

}  // namespace

const ModuleCatalog& catalog_with_probe() {
    static const ProbeCatalog c;
    return c;
}

ExecutorRun::ExecutorRun(const std::string& inventory_ini, const std::string& playbook_yaml) {
    m_inventory = m_dir / "inventory.ini";
    m_playbook = m_dir / "site.yml";
    write_file(m_inventory, inventory_ini);
    write_file(m_playbook, playbook_yaml);
    opts.forks = 4;
    opts.verify_convergence = true;
    opts.inventory_dir = m_dir.path();
}

int ExecutorRun::run() {
    probe_log().clear();
    Inventory inv = Inventory::load({m_inventory});
    Playbook pb = load_playbook(m_playbook, catalog_with_probe());
    ConnectionFactory factory = [this](const std::string& host, const Value&, const RunOptions&) -> ConnectionPtr {
        std::string root = host_root(host);
        must("mkdir -p '" + root + "/etc'");  // a host with an /etc to write into
        ConnectionPtr c = unreachable.count(host) ? std::make_unique<UnreachableConnection>(host, root)
                                                  : std::make_unique<LocalConnection>(host, root);
        std::lock_guard<std::mutex> lock(m_mutex);
        m_made[host] = c.get();
        return c;
    };
    PlayExecutor exec(inv, opts, events, factory);
    int rc = exec.run(pb);
    UNSCOPED_INFO("exit code " << rc << ", events:\n" << events.dump());
    return rc;
}

const Connection* ExecutorRun::connection_of(const std::string& host) const {
    std::lock_guard<std::mutex> lock(m_mutex);
    auto it = m_made.find(host);
    return it == m_made.end() ? nullptr : it->second;
}

}  // namespace upkeep::test
