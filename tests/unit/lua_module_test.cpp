// Lua modules (modules/lua_module.hpp): the module contract (check read-only with
// exact before/after, apply carries out the plan, a second check converges), the
// sandbox (no io/os, the host object only during its call), the loading rules
// (lua_code_path), "did you mean", and end-to-end runs of the binary: --check
// writes nothing, the real run writes, the second run changes nothing.
#include <catch2/catch.hpp>

#include "engine/lua/lua_env.hpp"
#include "engine/playbook/playbook.hpp"
#include "engine/util/error.hpp"
#include "modules/lua_module.hpp"
#include "tests/unit/module_sandbox.hpp"

using namespace upkeep;
using namespace upkeep::test;

namespace {

bool has(const std::string& hay, const std::string& needle) { return hay.find(needle) != std::string::npos; }

int recap(const std::string& out, const std::string& host, const std::string& field) {
    size_t at = out.find("\n" + host + " ");
    if (at == std::string::npos) return -1;
    size_t f = out.find(field + "=", at);
    return f == std::string::npos ? -1 : std::stoi(out.substr(f + field.size() + 1));
}

const char* const k_agent =
    "#Storage\n"
    "host=192.168.1.5\n"
    "public.network.device=cloudbr0\n"
    "private.network.device = cloudbr1\n"
    "guest.network.device=cloud0\n"
    "hypervisor.type=kvm";  // no newline at the end: kept as it is

struct BridgeHost : Sandbox {
    BridgeHost() {
        write_file(local("/etc/cloudstack/agent/agent.properties"), k_agent);
        for (const char* b : {"cloudbr0", "cloudbr1"}) write_file(local(std::string("/sys/class/net/") + b + "/bridge/bridge_id"), "8000.0\n");
    }
};

// A playbook directory with its own Lua module and an inventory of one sandbox host.
struct PlaybookDir {
    TempDir dir;
    void module(const std::string& name, const std::string& code) { write_file(dir / ("lua/modules/" + name + ".lua"), code); }
    void playbook(const std::string& tasks) {
        write_file(dir / "inventory.ini", "h1 ansible_connection=sandbox upkeep_sandbox_root=" + dir / "root" + "\n");
        write_file(dir / "site.yml", "- hosts: all\n  gather_facts: false\n  tasks:\n" + tasks);
        must("chmod -R go-w '" + dir.path() + "'");
    }
    Run play(const std::string& flags = "") {
        return upkeep::test::upkeep("play '" + dir / "site.yml" + "' -i '" + dir / "inventory.ini" + "' " + flags + " 2>&1");
    }
    const Module& load(const std::string& name) {
        must("chmod -R go-w '" + dir.path() + "'");
        const Module* m = find_lua_module(name, lua_module_dirs({dir.path()}));
        REQUIRE(m != nullptr);
        return *m;
    }
};

// A module that writes key=value lines into a file: the smallest full module.
const char* const k_kv_module = R"lua(
return {
  summary = "a key=value line",
  args = {
    { name = "path", type = "path", required = true },
    { name = "key", required = true },
    { name = "value", required = true },
    { name = "token", secret = true },
  },
  check = function(args, host)
    local old = host:read_file(args.path) or ""
    local line = args.key .. "=" .. args.value .. "\n"
    if old:find(line, 1, true) then return { msg = "already set" } end
    return { changes = { { target = args.path, summary = "line added", before = old, after = old .. line } },
             data = { path = args.path, content = old .. line } }
  end,
  apply = function(plan, host)
    host:write_file(plan.data.path, plan.data.content, { mode = "0640" })
  end,
}
)lua";

}  // namespace

TEST_CASE("lua module: cloudstack_agent_bridges plans exact bytes, applies them, converges", "[lua_module]") {
    BridgeHost h;
    const std::string yaml = "{guest: cloudbr0, private: cloudbr1}";
    Plan plan = h.check("cloudstack_agent_bridges", yaml);
    REQUIRE(plan.changes.size() == 1);
    CHECK(plan.changes[0].target == "/etc/cloudstack/agent/agent.properties");
    CHECK(plan.changes[0].summary == "guest.network.device: cloud0 -> cloudbr0");
    CHECK(*plan.changes[0].before == k_agent);
    std::string want = std::string(k_agent);
    want.replace(want.find("cloud0\n"), 6, "cloudbr0");
    CHECK(*plan.changes[0].after == want);
    // check() only read: the file is as it was.
    CHECK(read_file(h.local("/etc/cloudstack/agent/agent.properties")) == k_agent);
    h.converge("cloudstack_agent_bridges", yaml);
    CHECK(read_file(h.local("/etc/cloudstack/agent/agent.properties")) == want);
    Plan again = h.check("cloudstack_agent_bridges", yaml);
    CHECK(again.result.get("bridges").get("guest").as_string() == "cloudbr0");
}

TEST_CASE("lua module: cloudstack_agent_bridges fails on a bridge the host does not have", "[lua_module]") {
    BridgeHost h;
    // The file already names cloud0, which is not a bridge here: even without changes.
    try {
        h.check("cloudstack_agent_bridges", "{}");
        FAIL("no error");
    } catch (const TaskError& e) {
        CHECK(has(e.what(), "names bridge 'cloud0' for guest.network.device, but the host has no such bridge"));
    }
    CHECK_FALSE(h.check("cloudstack_agent_bridges", "{verify: false}").changed());
    CHECK_THROWS_WITH(h.check("cloudstack_agent_bridges", "{guest: 'a b'}"), Catch::Contains("not a network interface name"));
    CHECK_THROWS_AS(Sandbox::args("cloudstack_agent_bridges", "{gest: cloudbr0}"), UserError);
}

TEST_CASE("lua module: check() is read-only, apply() runs through the host API", "[lua_module]") {
    PlaybookDir pb;
    pb.module("sneaky", R"lua(
return {
  summary = "writes in check",
  args = { { name = "how" } },
  check = function(args, host)
    if args.how == "write" then host:write_file("/x", "y") end
    if args.how == "run" then host:run("touch /x") end
    if args.how == "query" then return { result = { out = host:run("echo hi", { query = true }).stdout } } end
    return nil
  end,
  apply = function(plan, host) end,
}
)lua");
    const Module& m = pb.load("sneaky");
    Sandbox h;
    auto args = [&](const char* how) { return validate_args(m.spec(), parse_yaml(std::string("{how: ") + how + "}", "t.yml")); };
    CHECK_THROWS_WITH(m.check(h.ctx(), args("write")), Catch::Contains("check() is read-only: host:write_file()"));
    CHECK_THROWS_WITH(m.check(h.ctx(), args("run")), Catch::Contains("check() is read-only"));
    CHECK_FALSE(exists(h.local("/x")));
    Plan q = m.check(h.ctx(), args("query"));
    CHECK(q.result.get("out").as_string() == "hi\n");
    CHECK_FALSE(q.changed());
}

TEST_CASE("lua module: the sandbox has no io/os, and a kept host object is dead after its call", "[lua_module][sandbox]") {
    PlaybookDir pb;
    pb.module("escape", R"lua(
local kept
return {
  summary = "tries to escape",
  args = { { name = "how" } },
  check = function(args, host)
    if args.how == "io" then return { msg = io.open("/etc/passwd"):read("a") } end
    if args.how == "os" then os.execute("touch /tmp/upkeep-lua-escaped") end
    if args.how == "global" then leaked = host end
    if args.how == "keep" then kept = host; return nil end
    if args.how == "use" then return { msg = kept:read_file("/etc/hostname") } end
    return nil
  end,
  apply = function(plan, host) end,
}
)lua");
    const Module& m = pb.load("escape");
    Sandbox h;
    auto args = [&](const char* how) { return validate_args(m.spec(), parse_yaml(std::string("{how: ") + how + "}", "t.yml")); };
    CHECK_THROWS_WITH(m.check(h.ctx(), args("io")), Catch::Contains("io"));
    CHECK_THROWS_WITH(m.check(h.ctx(), args("os")), Catch::Contains("os"));
    CHECK_FALSE(exists("/tmp/upkeep-lua-escaped"));
    CHECK_THROWS_WITH(m.check(h.ctx(), args("global")), Catch::Contains("read-only"));
    m.check(h.ctx(), args("keep"));
    CHECK_THROWS_WITH(m.check(h.ctx(), args("use")), Catch::Contains("belongs to a check() or apply() call that is over"));
}

TEST_CASE("lua module: a runaway module is stopped by the evaluation limits", "[lua_module][limits]") {
    PlaybookDir pb;
    pb.module("spin", R"lua(
return { summary = "loops", check = function() while true do end end, apply = function() end }
)lua");
    const Module& m = pb.load("spin");
    Sandbox h;
    CHECK_THROWS_WITH(m.check(h.ctx(), Args(Value(Map{}))), Catch::Contains("ran too long"));
}

TEST_CASE("lua module: a malformed module or plan is refused with the file's name", "[lua_module]") {
    PlaybookDir pb;
    pb.module("nocheck", "return { summary = 'x', apply = function() end }\n");
    pb.module("badarg", "return { summary = 'x', args = { { name = 'a', type = 'strng' } }, check = function() end, apply = function() end }\n");
    pb.module("typo", "return { summary = 'x', sumary = 'y', check = function() end, apply = function() end }\n");
    pb.module("badplan", "return { summary = 'x', check = function() return { change = {} } end, apply = function() end }\n");
    must("chmod -R go-w '" + pb.dir.path() + "'");
    auto dirs = lua_module_dirs({pb.dir.path()});
    CHECK_THROWS_WITH(find_lua_module("nocheck", dirs), Catch::Contains("needs a function 'check'"));
    CHECK_THROWS_WITH(find_lua_module("badarg", dirs), Catch::Contains("unknown argument type 'strng' (did you mean 'string'?)"));
    CHECK_THROWS_WITH(find_lua_module("typo", dirs), Catch::Contains("unknown field 'sumary' (did you mean 'summary'?)"));
    const Module* bad = find_lua_module("badplan", dirs);
    REQUIRE(bad);
    Sandbox h;
    CHECK_THROWS_WITH(bad->check(h.ctx(), Args(Value(Map{}))), Catch::Contains("unknown field 'change' (did you mean 'changes'?)"));
}

TEST_CASE("lua module: a world-writable module file is refused and never runs", "[lua_module][luapath]") {
    PlaybookDir pb;
    pb.module("planted", "return { summary = 'x', check = function() end, apply = function() end }\n");
    pb.playbook("    - planted: {}\n");
    must("chmod o+w '" + pb.dir / "lua/modules/planted.lua" + "'");
    Run r = pb.play();
    INFO(r.out);
    CHECK(r.rc != 0);
    CHECK(has(r.out, "refusing to load the Lua module 'planted'"));
    CHECK(has(r.out, "world-writable"));
    CHECK(has(r.out, "site.yml:4:"));
}

TEST_CASE("lua module: a playbook's module runs end to end: --check writes nothing, then applies, then converges",
          "[lua_module][e2e]") {
    PlaybookDir pb;
    pb.module("kv_line", k_kv_module);
    pb.playbook("    - name: set it\n      kv_line: {path: /etc/app.conf, key: port, value: '8250'}\n"
                "    - name: typo'd argument is caught at load time\n      debug: msg=x\n");
    write_file(pb.dir / "root/etc/app.conf", "host=a\n");
    Run dry = pb.play("--check --diff");
    INFO(dry.out);
    CHECK(dry.rc == 0);
    CHECK(has(dry.out, "+port=8250"));
    CHECK(read_file(pb.dir / "root/etc/app.conf") == "host=a\n");
    Run real = pb.play();
    INFO(real.out);
    CHECK(recap(real.out, "h1", "changed") == 1);
    CHECK(read_file(pb.dir / "root/etc/app.conf") == "host=a\nport=8250\n");
    CHECK(sh("stat -c %a '" + pb.dir / "root/etc/app.conf" + "'").out == "640\n");
    Run again = pb.play();
    INFO(again.out);
    CHECK(recap(again.out, "h1", "changed") == 0);
    CHECK(recap(again.out, "h1", "ok") == 2);
}

TEST_CASE("lua module: did-you-mean for a module name and for an argument", "[lua_module]") {
    PlaybookDir pb;
    pb.module("kv_line", k_kv_module);
    pb.playbook("    - kv_lin: {path: /a, key: k, value: v}\n");
    Run r = pb.play();
    CHECK(has(r.out, "unknown module 'kv_lin' (did you mean 'kv_line'?)"));
    pb.playbook("    - kv_line: {path: /a, kye: k, value: v}\n");
    r = pb.play();
    INFO(r.out);
    CHECK(has(r.out, "'kye'"));
    CHECK(has(r.out, "did you mean 'key'?"));
    // The shipped ones are in `upkeep doc` and its did-you-mean.
    Run doc = upkeep::test::upkeep("doc");
    CHECK(has(doc.out, "cloudstack_agent_bridges"));
    Run typo = upkeep::test::upkeep("doc cloudstack_agent_bridge 2>&1");
    CHECK(has(typo.out, "did you mean 'cloudstack_agent_bridges'?"));
    Run one = upkeep::test::upkeep("doc cloudstack_agent_bridges");
    CHECK(has(one.out, "guest.network.device"));
}

TEST_CASE("lua module: a secret argument masks the module's diff", "[lua_module][secret]") {
    PlaybookDir pb;
    pb.module("kv_line", k_kv_module);
    write_file(pb.dir / "root/etc/app.conf", "user=a\n");
    pb.playbook("    - kv_line: {path: /etc/app.conf, key: password, value: \"{{ pw }}\", token: \"{{ pw }}\"}\n");
    Run r = pb.play("--check --diff -e pw=Hunter2Secret");
    INFO(r.out);
    CHECK(r.rc == 0);
    CHECK_FALSE(has(r.out, "Hunter2Secret"));
    CHECK(has(r.out, "changed: [h1]"));
    CHECK(has(r.out, "diff of /etc/app.conf hidden: it contains secrets"));
}

TEST_CASE("lua module: the KVM seed playbook stops a host whose agent.properties names a missing bridge",
          "[lua_module][seeds]") {
    const std::string repo = std::string(UPKEEP_TEST_FIXTURES) + "/../..";
    TempDir dir;
    write_file(dir / "inventory.ini", read_file(repo + "/playbooks/sandbox/inventory.ini"));
    Run reset = sh("bash " + repo + "/playbooks/sandbox/reset " + dir / "state");
    REQUIRE(reset.rc == 0);
    std::string agent = dir / "state/kvm02/etc/cloudstack/agent/agent.properties";
    std::string text = read_file(agent);
    REQUIRE(has(text, "private.network.device=cloudbr1\n"));
    text.replace(text.find("private.network.device=cloudbr1"), 31, "private.network.device=cloud1");
    write_file(agent, text);
    for (const char* flags : {"--check", ""}) {
        Run r = upkeep::test::upkeep("play " + repo + "/playbooks/cloudstack-kvm-agent.yml -i " + dir / "inventory.ini " +
                                     flags + " --limit kvm01,kvm02 2>&1");
        INFO(r.out);
        CHECK(has(r.out, "names bridge 'cloud1' for private.network.device, but the host has no such bridge"));
        CHECK(recap(r.out, "kvm02", "failed") == 1);
        CHECK(recap(r.out, "kvm01", "failed") == 0);
        // kvm02 stopped at the probe: no task after it ran there (the agent was not touched).
        size_t fatal = r.out.find("fatal: [kvm02]");
        REQUIRE(fatal != std::string::npos);
        CHECK(r.out.rfind("TASK [Probe the agent's bridge names]", fatal) > r.out.rfind("TASK [", fatal - 1) - 1);
        size_t next_task = r.out.find("\nTASK [", fatal);
        std::string after = r.out.substr(next_task, r.out.find("PLAY RECAP") - next_task);
        CHECK_FALSE(has(after, "[kvm02]"));
    }
    CHECK(read_file(agent) == text);
}

TEST_CASE("lua module: upkeep doc lists a playbook's Lua modules and the shipped ones, with their arguments",
          "[lua_module][doc]") {
    PlaybookDir pb;
    pb.module("kv_line", k_kv_module);
    write_file(pb.dir / "roles/app/library/app_probe.lua",
               "return { summary = 'probe', args = {{ name = 'port', type = 'int', default = 8250 }},\n"
               "  check = function() end, apply = function() end }\n");
    write_file(pb.dir / "roles/app/library/cloudstack_agent_bridges.lua", read_file(std::string(UPKEEP_TEST_FIXTURES) +
                                                                                    "/../../lua/modules/cloudstack_agent_bridges.lua"));
    write_file(pb.dir / "lua/modules/broken.lua", "return {}\n");
    pb.playbook("    - debug: msg=x\n");
    Run all = upkeep::test::upkeep("doc -p '" + pb.dir / "site.yml" + "' 2>&1");
    INFO(all.out);
    CHECK(all.rc == 0);
    CHECK(has(all.out, "LUA MODULES (file; arguments, * = required)"));
    CHECK(has(all.out, "kv_line            " + pb.dir / "lua/modules/kv_line.lua\n"));
    CHECK(has(all.out, "path* [path], key*, value*, token (secret)"));
    CHECK(has(all.out, "app_probe          " + pb.dir / "roles/app/library/app_probe.lua\n"));
    CHECK(has(all.out, "port [int]=8250"));
    CHECK(has(all.out, "broken.lua\n                   cannot be loaded:"));
    // A role's copy of a shipped module's name is not what a task gets: said so.
    CHECK(has(all.out, "roles/app/library/cloudstack_agent_bridges.lua  (not used: another module has this name)"));
    CHECK(has(all.out, "/lua/modules/cloudstack_systemvm_template.lua\n"));
    CHECK(has(all.out, "verify [bool]=true"));
    // Without -p only the shipped ones.
    Run plain = upkeep::test::upkeep("doc");
    CHECK(has(plain.out, "cloudstack_systemvm_template"));
    CHECK_FALSE(has(plain.out, "kv_line"));
    // One of the playbook's modules, with its file; did-you-mean among them.
    Run one = upkeep::test::upkeep("doc kv_line -p '" + pb.dir.path() + "'");
    CHECK(has(one.out, "(Lua module: " + pb.dir / "lua/modules/kv_line.lua)"));
    CHECK(has(one.out, "token"));
    Run typo = upkeep::test::upkeep("doc kv_lin -p '" + pb.dir.path() + "' 2>&1");
    CHECK(typo.rc == 1);
    CHECK(has(typo.out, "did you mean 'kv_line'?"));
    Run missing = upkeep::test::upkeep("doc -p '" + pb.dir / "nope.yml" + "' 2>&1");
    CHECK(missing.rc == 1);
    CHECK(has(missing.out, "does not exist"));
}
