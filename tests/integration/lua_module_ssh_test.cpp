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

int recap(const std::string& out, const std::string& host, const std::string& field) {
    size_t at = out.find("\n" + host + " ");
    if (at == std::string::npos) return -1;
    size_t f = out.find(field + "=", at);
    return f == std::string::npos ? -1 : std::stoi(out.substr(f + field.size() + 1));
}

const char* const k_kv_module = R"lua(
return {
  summary = "a key=value line",
  args = {
    { name = "path", type = "path", required = true },
    { name = "key", required = true },
    { name = "value", required = true },
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

TEST_CASE("lua module over ssh: check writes nothing, apply writes the plan, second run converges", "[lua_module][ssh]") {
    SshdLab lab(SshdLab::Options{.hosts = 1, .own_root = true});
    TempDir dir;
    ::chmod(dir.path().c_str(), 0755);
    write_file(dir / "inventory.ini", "h0 ansible_host=" + lab.address(0) + " ansible_port=" + std::to_string(lab.port()) +
                                          " ansible_user=root ansible_ssh_private_key_file=" + lab.client_key() + "\n");
    write_file(dir / "known_hosts", read_file(lab.known_hosts()));
    write_file(dir / "lua/modules/kv_line.lua", k_kv_module);
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
    CHECK(recap(dry.out, "h0", "changed") == 2);
    CHECK(has(dry.out, "+port=8250"));
    CHECK(has(dry.out, "+guest.network.device=cloudbr0"));
    CHECK(*conn.read_file("/etc/upkeep-lua-test.conf") == "host=a\n");
    CHECK(*conn.read_file("/etc/cloudstack/agent/agent.properties") == agent);

    Run real = play("");
    INFO(real.out);
    CHECK(real.rc == 0);
    CHECK(recap(real.out, "h0", "changed") == 2);
    CHECK(*conn.read_file("/etc/upkeep-lua-test.conf") == "host=a\nport=8250\n");
    CHECK(conn.stat("/etc/upkeep-lua-test.conf").mode == 0640);
    CHECK(*conn.read_file("/etc/cloudstack/agent/agent.properties") == "host=192.168.1.5\nguest.network.device=cloudbr0\n");

    Run again = play("");
    INFO(again.out);
    CHECK(recap(again.out, "h0", "changed") == 0);
    CHECK(recap(again.out, "h0", "failed") == 0);

    // The bridge check reads the host's real /sys/class/net over SSH: no such bridge there.
    Run verify = play("--check -e verify=true -e guest_bridge=upkeepbr9");
    INFO(verify.out);
    CHECK(recap(verify.out, "h0", "failed") == 1);
    CHECK(has(verify.out, "names bridge 'upkeepbr9' for guest.network.device, but the host has no such bridge"));
    CHECK(*conn.read_file("/etc/cloudstack/agent/agent.properties") == "host=192.168.1.5\nguest.network.device=cloudbr0\n");
}
