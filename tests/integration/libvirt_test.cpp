// libvirt_hook, libvirt_restart and libvirt_facts against a real libvirtd
// started by the test (LibvirtLab): a `daemon` hook installed by upkeep records
// every daemon start, which proves that the restart really happened and that the
// new daemon runs the installed hook; a domain that does not survive the restart
// fails the task. One daemon per test case (starting one takes well under a second
// without QEMU installed).
#include <catch2/catch.hpp>

#include "engine/virt/libvirt_client.hpp"
#include "tests/support/libvirt_lab.hpp"
#include "tests/support/sshd_lab.hpp"

using namespace upkeep;
using test::LibvirtLab;

namespace {

int count(const std::string& text, const std::string& needle) {
    int n = 0;
    for (size_t p = text.find(needle); p != std::string::npos; p = text.find(needle, p + 1)) ++n;
    return n;
}

struct Estate {
    LibvirtLab lab;
    test::TempDir pb;
    std::string hook_log = pb / "hook.log";

    Estate() {
        test::write_file(pb / "files/daemon-hook", "#!/bin/sh\necho \"$*\" >> " + hook_log + "\n");
        test::write_file(pb / "inventory.ini", "kvm01 ansible_connection=sandbox upkeep_sandbox_root=" + lab.host_root() +
                                                   " libvirt_uri='" + lab.test_uri() + "'\n");
        test::write_file(pb / "site.yml",
                         "- hosts: kvm01\n"
                         "  gather_facts: false\n"
                         "  tasks:\n"
                         "    - name: Install the daemon hook\n"
                         "      libvirt_hook:\n"
                         "        name: daemon\n"
                         "        src: daemon-hook\n"
                         "      notify: restart libvirtd\n"
                         "    - libvirt_facts:\n"
                         "    - debug:\n"
                         "        msg: \"libvirt {{ libvirt_version }} domains {{ libvirt_domains | length }}\"\n"
                         "  handlers:\n"
                         "    - name: restart libvirtd\n"
                         "      libvirt_restart:\n"
                         "        method: command\n"
                         "        command: " + lab.restart_command() + "\n");
    }
    test::Run play(const std::string& extra = "") {
        return test::upkeep("play " + pb / "site.yml" + " -i " + pb / "inventory.ini" + " " + extra);
    }
    std::string hooks() const { return test::exists(hook_log) ? test::read_file(hook_log) : ""; }
};

}  // namespace

TEST_CASE("libvirt_hook + libvirt_restart: dry run, install, verified restart, second run", "[libvirt]") {
    Estate e;
    int first_pid = e.lab.pid();
    // Keep the daemon's test driver state alive across our calls, as a guest would be.
    LibvirtClient watcher(e.lab.test_uri());
    REQUIRE(watcher.domains().size() == 1);

    test::Run dry = e.play("--check --diff");
    INFO(dry.out);
    REQUIRE(dry.rc == 0);
    CHECK(dry.out.find("+echo \"$*\" >> " + e.hook_log) != std::string::npos);  // the exact new script
    CHECK(dry.out.find("would restart, then verify 1 running domain(s) (test)") != std::string::npos);
    CHECK_FALSE(test::exists(e.lab.host_root() + "/etc/libvirt/hooks/daemon"));
    CHECK(e.lab.pid() == first_pid);  // the dry run restarted nothing

    test::Run run = e.play("-v");
    INFO(run.out);
    REQUIRE(run.rc == 0);
    CHECK(e.lab.pid() != first_pid);
    // The hook saw the new daemon start: it was installed, and the restart happened
    // (the old daemon may report its shutdown through it first).
    CHECK(count(e.hooks(), "- start - start\n") == 1);
    CHECK(e.hooks().size() >= 16);
    CHECK(e.hooks().substr(e.hooks().size() - 16) == "- start - start\n");
    CHECK(run.out.find("answers again after") != std::string::npos);
    CHECK(run.out.find("1 running domain(s) kept (test)") != std::string::npos);
    CHECK(run.out.find("libvirt 9.") != std::string::npos);
    CHECK(run.out.find("domains 1") != std::string::npos);

    int second_pid = e.lab.pid();
    test::Run again = e.play();
    INFO(again.out);
    REQUIRE(again.rc == 0);
    CHECK(again.out.find("changed=0") != std::string::npos);
    CHECK(e.lab.pid() == second_pid);  // no change, no restart
    CHECK(count(e.hooks(), "start - start") == 1);
}

TEST_CASE("libvirt_restart fails when a running domain is gone after the restart", "[libvirt]") {
    Estate e;
    test::write_file(e.pb / "restart.yml",
                     "- hosts: kvm01\n"
                     "  gather_facts: false\n"
                     "  tasks:\n"
                     "    - libvirt_restart:\n"
                     "        method: command\n"
                     "        command: " + e.lab.restart_command() + "\n");
    // A transient guest lives only in this daemon's memory: a restart loses it.
    LibvirtClient watcher(e.lab.test_uri());
    test::write_file(e.pb / "guest.xml",
                     "<domain type='test'><name>guest2</name><memory>8192</memory><os><type>hvm</type></os></domain>");
    test::must("virsh -q -c '" + e.lab.test_uri() + "' create " + e.pb / "guest.xml" + " >/dev/null");
    REQUIRE(watcher.domains().size() == 2);

    test::Run run = test::upkeep("play " + e.pb / "restart.yml" + " -i " + e.pb / "inventory.ini");
    INFO(run.out);
    CHECK(run.rc != 0);
    CHECK(run.out.find("domain(s) that were running are gone: guest2") != std::string::npos);
}

TEST_CASE("libvirt_restart notices a restart command that restarted nothing", "[libvirt]") {
    Estate e;
    test::write_file(e.pb / "noop.yml",
                     "- hosts: kvm01\n"
                     "  gather_facts: false\n"
                     "  tasks:\n"
                     "    - libvirt_restart:\n"
                     "        method: command\n"
                     "        command: \"true\"\n"
                     "        uri: \"" + e.lab.qemu_uri() + "\"\n"
                     "        timeout: 1\n");
    test::Run run = test::upkeep("play " + e.pb / "noop.yml" + " -i " + e.pb / "inventory.ini");
    INFO(run.out);
    CHECK(run.rc != 0);
    CHECK(run.out.find("did not restart") != std::string::npos);
}

TEST_CASE("libvirt over SSH: the URI derived from the inventory reaches the daemon", "[libvirt][ssh]") {
    // A real sshd; libvirt's own SSH transport (libssh) logs in with the inventory's
    // key and known_hosts and relays to the lab daemon's socket (libvirt_socket).
    LibvirtLab lab;
    test::SshdLab ssh;
    test::TempDir pb;
    test::write_file(pb / "known_hosts", test::read_file(ssh.known_hosts()));
    test::write_file(pb / "inventory.ini", "kvm01 ansible_host=" + ssh.address(0) + " ansible_port=" +
                                               std::to_string(ssh.port()) + " ansible_user=root ansible_ssh_private_key_file=" +
                                               ssh.client_key() + " libvirt_socket=" + lab.socket() + "\n");
    test::write_file(pb / "site.yml",
                     "- hosts: kvm01\n"
                     "  gather_facts: false\n"
                     "  tasks:\n"
                     "    - libvirt_facts:\n"
                     "    - libvirt_restart:\n"
                     "        method: command\n"
                     "        command: " + lab.restart_command() + "\n");
    int pid = lab.pid();
    test::Run run = test::upkeep("play " + pb / "site.yml" + " -i " + pb / "inventory.ini" + " --known-hosts " +
                                 pb / "known_hosts -v");
    INFO(run.out);
    CHECK(run.rc == 0);
    CHECK(run.out.find("libvirt_uri: qemu+libssh://root@" + ssh.address(0) + ":" + std::to_string(ssh.port()) +
                       "/system?keyfile=") != std::string::npos);
    CHECK(run.out.find("libvirt_hypervisor: QEMU") != std::string::npos);
    CHECK(run.out.find("verified: true") != std::string::npos);
    CHECK(lab.pid() != pid);
}
