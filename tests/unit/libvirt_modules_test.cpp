// libvirt_hook, libvirt_restart and libvirt_facts without a daemon: hooks in a
// sandbox host (exact plan, mode 0755, drop-ins gated on the host's libvirt
// version), the restart of a sandbox host through its service only, libvirt's
// in-process test:///default driver for facts, and the URI derived for SSH hosts.
#include <sys/stat.h>

#include <catch2/catch.hpp>

#include "engine/util/error.hpp"
#include <libvirt/libvirt.h>

#include "engine/virt/libvirt_client.hpp"
#include "engine/virt/libvirt_uri.hpp"
#include "tests/unit/module_sandbox.hpp"

using namespace upkeep;

namespace {

void write_exec(const std::string& path, const std::string& text) {
    test::write_file(path, text);
    ::chmod(path.c_str(), 0755);
}

uint32_t mode_of(const std::string& path) {
    struct stat st {};
    REQUIRE(::stat(path.c_str(), &st) == 0);
    return st.st_mode & 07777;
}

const char* k_hook = "#!/bin/sh\n# CloudStack's qemu hook stands in here\nexit 0\n";

}  // namespace

TEST_CASE("libvirt_hook installs the hook with mode 0755, exact plan, idempotent", "[libvirt_hook]") {
    test::Sandbox box;
    std::string yaml = std::string("name: qemu\ncontent: |\n  #!/bin/sh\n  # CloudStack's qemu hook stands in here\n  exit 0\n");
    Plan first = box.check("libvirt_hook", yaml);
    REQUIRE(first.changes.size() == 2);
    CHECK(first.changes[0].target == "/etc/libvirt/hooks");
    CHECK(first.changes[0].summary == "directory created");
    CHECK(first.changes[1].target == "/etc/libvirt/hooks/qemu");
    CHECK_FALSE(first.changes[1].before.has_value());
    CHECK(*first.changes[1].after == k_hook);
    CHECK_FALSE(test::exists(box.local("/etc/libvirt/hooks")));  // check() is read-only

    box.converge("libvirt_hook", yaml);
    CHECK(test::read_file(box.local("/etc/libvirt/hooks/qemu")) == k_hook);
    CHECK(mode_of(box.local("/etc/libvirt/hooks/qemu")) == 0755);

    // A changed script: the exact old and new bytes; a mode drift alone is a change too.
    Plan changed = box.check("libvirt_hook", "name: qemu\ncontent: \"#!/bin/sh\\nexit 1\\n\"\n");
    REQUIRE(changed.changes.size() == 1);
    CHECK(*changed.changes[0].before == k_hook);
    CHECK(changed.msg == "hook replaced");
    ::chmod(box.local("/etc/libvirt/hooks/qemu").c_str(), 0644);
    Plan mode = box.check("libvirt_hook", yaml);
    REQUIRE(mode.changes.size() == 1);
    CHECK(mode.changes[0].summary == "mode 0644 -> 0755");
}

TEST_CASE("libvirt_hook takes src from the host and refuses scripts libvirt cannot run", "[libvirt_hook]") {
    test::Sandbox box;
    test::write_file(box.local("/usr/share/cloudstack-agent/lib/libvirtqemuhook"), k_hook);
    box.converge("libvirt_hook", "name: qemu\nsrc: /usr/share/cloudstack-agent/lib/libvirtqemuhook\nremote_src: true\n");
    CHECK(test::read_file(box.local("/etc/libvirt/hooks/qemu")) == k_hook);
    CHECK_THROWS_WITH(box.check("libvirt_hook", "name: qemu\ncontent: \"exit 0\\n\"\n"), Catch::Contains("no #! line"));
    CHECK_THROWS_WITH(box.check("libvirt_hook", "name: qemu\nsrc: /nope\nremote_src: true\n"),
                      Catch::Contains("does not exist on the host"));
}

TEST_CASE("libvirt_hook drop-ins only where the host's libvirt runs them", "[libvirt_hook]") {
    test::Sandbox box;
    std::string yaml = "name: qemu\ndropin: 50-cloudstack\ncontent: \"#!/bin/sh\\nexit 0\\n\"\n";
    // The sandbox's PATH starts with its own usr/sbin: its libvirtd tells the version.
    write_exec(box.local("/usr/sbin/libvirtd"), "#!/bin/sh\nexit 1\n");
    CHECK_THROWS_WITH(box.check("libvirt_hook", yaml), Catch::Contains("cannot tell the host's libvirt version"));
    write_exec(box.local("/usr/sbin/libvirtd"), "#!/bin/sh\necho 'libvirtd (libvirt) 4.5.0'\n");
    CHECK_THROWS_WITH(box.check("libvirt_hook", yaml), Catch::Contains("runs libvirt 4.5.0, which ignores"));
    write_exec(box.local("/usr/sbin/libvirtd"), "#!/bin/sh\necho 'libvirtd (libvirt) 9.0.0'\n");
    Plan p = box.converge("libvirt_hook", yaml);
    CHECK(p.result.get("path").as_string() == "/etc/libvirt/hooks/qemu.d/50-cloudstack");
    CHECK(test::read_file(box.local("/etc/libvirt/hooks/qemu.d/50-cloudstack")) == "#!/bin/sh\nexit 0\n");
    CHECK_THROWS_WITH(box.check("libvirt_hook", "name: qemu\ndropin: ../x\ncontent: \"#!/bin/sh\\n\"\n"),
                      Catch::Contains("plain file name"));
}

TEST_CASE("libvirt_restart on a sandbox host restarts through the service only, unverified", "[libvirt_restart]") {
    test::Sandbox box;
    write_exec(box.local("/usr/sbin/service"), "#!/bin/sh\necho \"$1 $2\" >> \"$UPKEEP_ROOT/service.log\"\n");
    Plan p = box.check("libvirt_restart", "name: libvirtd\n");
    REQUIRE(p.changed());
    CHECK(p.unpredictable);
    CHECK(p.msg.find("without API verification: a sandbox host has no libvirtd") != std::string::npos);
    Value r = box.apply("libvirt_restart", "name: libvirtd\n", p);
    CHECK(test::read_file(box.local("/service.log")) == "libvirtd restart\n");
    CHECK_FALSE(r.get("verified").truthy());
    CHECK(r.get("restarted").truthy());
}

TEST_CASE("libvirt_restart fails when the old daemon still answers after the restart command", "[libvirt_restart]") {
    // test:///default lives in this process: `true` restarts nothing, and the
    // connection opened before the command keeps answering.
    test::Sandbox box;
    std::string yaml = "uri: test:///default\nmethod: command\ncommand: \"true\"\ntimeout: 0\n";
    Plan p = box.check("libvirt_restart", yaml);
    CHECK(p.msg.find("then verify 1 running domain(s) (test)") != std::string::npos);
    CHECK_THROWS_WITH(box.apply("libvirt_restart", yaml, p), Catch::Contains("it did not restart"));
    CHECK_THROWS_WITH(box.check("libvirt_restart", "method: command\n"), Catch::Contains("needs `command`"));
}

TEST_CASE("libvirt_facts reads version and domains through the API", "[libvirt_facts]") {
    test::Sandbox box;
    Plan p = box.check("libvirt_facts", "uri: test:///default\n");
    CHECK_FALSE(p.changed());
    const Value& f = p.result.get("ansible_facts");
    unsigned long lib = 0;
    REQUIRE(virGetVersion(&lib, nullptr, nullptr) == 0);
    CHECK(f.get("libvirt_version").as_string() == libvirt_version_text(lib));
    REQUIRE(f.get("libvirt_domains").as_list().size() == 1);
    CHECK(f.get("libvirt_domains").as_list()[0].get("name").as_string() == "test");
    CHECK(f.get("libvirt_domains").as_list()[0].get("state").as_string() == "running");
    CHECK(f.get("libvirt_hypervisor").as_string().rfind("TEST", 0) == 0);
    // The host variable libvirt_uri counts when the task gives none.
    box.vars["libvirt_uri"] = Value("test:///default");
    CHECK(box.check("libvirt_facts", "{}\n").result.get("ansible_facts").get("libvirt_uri").as_string() == "test:///default");
    // A sandbox without a URI has no daemon to ask.
    box.vars = Value();
    CHECK_THROWS_WITH(box.check("libvirt_facts", "{}\n"), Catch::Contains("sandbox host has no libvirtd"));
    CHECK_THROWS_WITH(box.check("libvirt_facts", "uri: \"test:///nonexistent.xml\"\n"), Catch::Contains("cannot connect"));
}

TEST_CASE("libvirt URI for an SSH host: same user, key and known_hosts as the inventory", "[libvirt_uri]") {
    test::TempDir d;
    test::write_file(d / "id key", "k");
    SshOptions o;
    o.host_name = "kvm01";
    o.address = "127.0.0.5";
    o.user = "root";
    o.port = 2222;
    o.identity_files = {d / "missing", d / "id key"};
    o.known_hosts_file = d / "known_hosts";
    CHECK(libvirt_ssh_uri(o) == "qemu+libssh://root@127.0.0.5:2222/system?keyfile=" + d.path() +
                                    "/id%20key&known_hosts=" + d.path() +
                                    "/known_hosts&known_hosts_verify=normal&sshauth=privkey");
    o.host_key_checking = SshOptions::HostKeyChecking::AcceptNew;
    o.identity_files.clear();
    o.address = "::1";
    CHECK(libvirt_ssh_uri(o) == "qemu+libssh://root@[::1]:2222/system?known_hosts=" + d.path() +
                                    "/known_hosts&known_hosts_verify=auto&sshauth=agent,privkey");
    CHECK(libvirt_ssh_uri(o, "/srv/lv sock").find("&socket=/srv/lv%20sock") != std::string::npos);
    o.proxy_jump = "bastion";
    CHECK_THROWS_WITH(libvirt_ssh_uri(o), Catch::Contains("set the host variable libvirt_uri"));
    CHECK(compare_dotted_versions("6.10.0", "6.5.0") > 0);
    CHECK(compare_dotted_versions("6.5", "6.5.0") == 0);
    CHECK(compare_dotted_versions("4.5.0", "6.5.0") < 0);
}
