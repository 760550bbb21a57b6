// Lua modules over SSH: the playbook's own module and the shipped
// cloudstack_agent_bridges run against a real sshd (tests/support/sshd_lab, a
// copy-on-write root per host) through the same host API as on a sandbox:
// --check reads the host and writes nothing, the real run writes the planned
// bytes, the second run changes nothing, and a bridge check reads the host's
// real /sys/class/net.
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include "engine/connection/ssh_connection.hpp"
#include "engine/util/strings.hpp"
#include "tests/support/sshd_lab.hpp"
#include "tests/support/test_support.hpp"

using namespace upkeep;
using namespace upkeep::test;

namespace {

bool has(const std::string& hay, const std::string& needle) { return hay.find(needle) != std::string::npos; }

// tests/e2e/lua_module_play_test runs the same module on a sandbox host.
std::string kv_module() { return read_file(std::string(UPKEEP_TEST_FIXTURES) + "/lua/kv_line.lua"); }

}  // namespace

TEST_CASE("lua module over ssh: check writes nothing, apply writes the plan, second run converges", "[lua_module][ssh]") {
    SshdLab lab(SshdLab::Options{.hosts = 1, .own_root = true});
    TempDir dir;
    ::chmod(dir.path().c_str(), 0755);
    write_file(dir / "inventory.ini", "h0 ansible_host=" + lab.address(0) + " ansible_port=" + std::to_string(lab.port()) +
                                          " ansible_user=root ansible_ssh_private_key_file=" + lab.client_key() + "\n");
    write_file(dir / "known_hosts", read_file(lab.known_hosts()));
    write_file(dir / "lua/modules/kv_line.lua", kv_module());
    write_file(dir / "site.yml",
               "- hosts: all\n  gather_facts: false\n  tasks:\n"
               "    - kv_line: {path: /etc/upkeep-lua-test.conf, key: port, value: '8250'}\n"
               "    - cloudstack_agent_bridges:\n"
               "        path: /etc/cloudstack/agent/agent.properties\n"
               "        guest: \"{{ guest_bridge | default('cloudbr0') }}\"\n"
               "        verify: \"{{ verify | default(false) }}\"\n");
    must("chmod -R go-w '" + dir.path() + "'");
    auto play = [&](const std::string& flags) {
        return upkeep::test::upkeep("play '" + dir / "site.yml" + "' -i '" + dir / "inventory.ini" + "' --known-hosts '" +
                                    dir / "known_hosts" + "' -T 5 --verify-convergence " + flags + " 2>&1");
    };
    SshConnection conn(lab.options(0));
    conn.connect();
    const std::string agent = "host=192.168.1.5\nguest.network.device=cloud0\n";
    conn.make_dirs("/etc/cloudstack/agent", 0755);
    conn.write_file("/etc/cloudstack/agent/agent.properties", agent, WriteOptions{});
    conn.write_file("/etc/upkeep-lua-test.conf", "host=a\n", WriteOptions{});

    Run dry = play("--check --diff");
    INFO(dry.out);
    CHECK(dry.rc == 0);
    CHECK(recap_count(dry.out, "h0", "changed") == 2);
    CHECK(has(dry.out, "+port=8250"));
    CHECK(has(dry.out, "+guest.network.device=cloudbr0"));
    CHECK(*conn.read_file("/etc/upkeep-lua-test.conf") == "host=a\n");
    CHECK(*conn.read_file("/etc/cloudstack/agent/agent.properties") == agent);

    Run real = play("--log-file '" + dir / "run.log" + "'");
    INFO(real.out);
    CHECK(real.rc == 0);
    // The run log has the SSH connection's steps and each command with its timing.
    std::string log = read_file(dir / "run.log");
    INFO(log);
    CHECK(has(log, "debug host=h0 event=host_key checking=strict"));
    CHECK(has(log, "changed=false"));
    CHECK(has(log, "debug host=h0 event=connected endpoint=" + lab.address(0) + ":" + std::to_string(lab.port()) + " user=root"));
    CHECK(has(log, "debug host=h0 event=lua_module module=kv_line fn=apply"));
    CHECK(has(log, "info host=h0 event=result task=kv_line module=kv_line status=changed"));
    CHECK(has(log, "debug host=h0 event=disconnect"));
    struct stat st {};
    REQUIRE(::stat((dir / "run.log").c_str(), &st) == 0);
    CHECK((st.st_mode & 07777) == 0600);
    CHECK(recap_count(real.out, "h0", "changed") == 2);
    CHECK(*conn.read_file("/etc/upkeep-lua-test.conf") == "host=a\nport=8250\n");
    CHECK(conn.stat("/etc/upkeep-lua-test.conf").mode == 0640);
    CHECK(*conn.read_file("/etc/cloudstack/agent/agent.properties") == "host=192.168.1.5\nguest.network.device=cloudbr0\n");

    Run again = play("");
    INFO(again.out);
    CHECK(recap_count(again.out, "h0", "changed") == 0);
    CHECK(recap_count(again.out, "h0", "failed") == 0);

    // The bridge check reads the host's real /sys/class/net over SSH: no such bridge there.
    Run verify = play("--check -e verify=true -e guest_bridge=upkeepbr9");
    INFO(verify.out);
    CHECK(recap_count(verify.out, "h0", "failed") == 1);
    CHECK(has(verify.out, "names bridge 'upkeepbr9' for guest.network.device, but the host has no such bridge"));
    CHECK(*conn.read_file("/etc/cloudstack/agent/agent.properties") == "host=192.168.1.5\nguest.network.device=cloudbr0\n");
}
