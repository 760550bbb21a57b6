// Lua modules end to end through the binary: a playbook's own module (lua/modules/)
// runs with --check writing nothing, then applies, then converges; a world-writable
// module is refused; did-you-mean for module and argument names; a secret argument
// masks the diff; the KVM seed playbook stops a host whose agent names a missing
// bridge. The module contract in process: tests/unit/lua_module_test.cpp.
#include <catch2/catch.hpp>

#include "tests/support/test_support.hpp"

using namespace upkeep::test;

namespace {

bool has(const std::string& hay, const std::string& needle) { return hay.find(needle) != std::string::npos; }

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
};

// A module that writes key=value lines into a file: the smallest full module.
std::string kv_module() { return read_file(std::string(UPKEEP_TEST_FIXTURES) + "/lua/kv_line.lua"); }

}  // namespace

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
    pb.module("kv_line", kv_module());
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
    CHECK(recap_count(real.out, "h1", "changed") == 1);
    CHECK(read_file(pb.dir / "root/etc/app.conf") == "host=a\nport=8250\n");
    CHECK(sh("stat -c %a '" + pb.dir / "root/etc/app.conf" + "'").out == "640\n");
    Run again = pb.play();
    INFO(again.out);
    CHECK(recap_count(again.out, "h1", "changed") == 0);
    CHECK(recap_count(again.out, "h1", "ok") == 2);
}

TEST_CASE("lua module: did-you-mean for a module name and for an argument", "[lua_module]") {
    PlaybookDir pb;
    pb.module("kv_line", kv_module());
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
    pb.module("kv_line", kv_module());
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
        CHECK(recap_count(r.out, "kvm02", "failed") == 1);
        CHECK(recap_count(r.out, "kvm01", "failed") == 0);
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
