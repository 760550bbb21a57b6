// Lua modules (modules/lua_module.hpp): the module contract (check read-only with
// exact before/after, apply carries out the plan, a second check converges), the
// sandbox (no io/os, the host object only during its call), the loading rules
// (lua_code_path) and "did you mean". The end-to-end runs of the binary (--check
// writes nothing, the real run writes, the second run changes nothing) are in
// tests/e2e/lua_module_play_test.cpp.
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

// A playbook directory with its own Lua modules, loaded as the playbook loader does.
struct PlaybookDir {
    TempDir dir;
    void module(const std::string& name, const std::string& code) { write_file(dir / ("lua/modules/" + name + ".lua"), code); }
    const Module& load(const std::string& name) {
        must("chmod -R go-w '" + dir.path() + "'");
        const Module* m = find_lua_module(name, lua_module_dirs({dir.path()}));
        REQUIRE(m != nullptr);
        return *m;
    }
};

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

