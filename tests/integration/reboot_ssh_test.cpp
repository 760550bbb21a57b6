// reboot over real SSH (tests/support/sshd_lab). No machine reboots in a test:
// the lab host's "reboot command" asks the test to play the reboot, and the test
// kills the host's sshd (every live session drops, as when a host goes down),
// writes a new boot id file, and starts sshd again. So the module's dropped
// connection, its reconnect attempts while the host is down, and its wait for a
// new boot id all run for real; the kernel's own boot id is not involved.
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <chrono>
#include <thread>

#include "engine/util/strings.hpp"
#include "tests/support/sshd_lab.hpp"
#include "tests/support/test_support.hpp"

using namespace upkeep;
using namespace upkeep::test;

TEST_CASE("reboot over SSH: the connection drops, the module waits for the host's new boot id", "[reboot][ssh]") {
    SshdLab lab;
    TempDir dir;
    ::chmod(dir.path().c_str(), 0755);
    write_file(dir / "boot_id", "boot-1\n");
    write_file(dir / "known_hosts", read_file(lab.known_hosts()));
    write_file(dir / "inventory.ini", "[lab]\nh0 ansible_host=" + lab.address(0) + " ansible_port=" +
                                          std::to_string(lab.port()) + " ansible_user=root ansible_ssh_private_key_file=" +
                                          lab.client_key() + "\n");
    write_file(dir / "site.yml", "- hosts: lab\n  gather_facts: false\n  tasks:\n"
                                 "    - name: reboot\n      reboot:\n"
                                 "        reboot_command: touch " + dir / "reboot-requested" + "\n"
                                 "        boot_id_path: " + dir / "boot_id" + "\n"
                                 "        reboot_timeout: 40\n"
                                 "    - name: after\n      command: cat " + dir / "boot_id" + "\n"
                                 "      register: after\n      changed_when: false\n      check_mode: false\n"
                                 "    - debug: var=after.stdout\n");
    std::string play = "play " + shell_quote(dir / "site.yml") + " -i " + shell_quote(dir / "inventory.ini") +
                       " --known-hosts " + shell_quote(dir / "known_hosts") + " -T 5 ";

    // Dry run: planned, nothing asked of the host.
    Run dry = upkeep::test::upkeep(play + "--check");
    INFO(dry.out);
    CHECK(dry.rc == 0);
    CHECK(dry.out.find("changed: [h0]") != std::string::npos);
    CHECK_FALSE(exists(dir / "reboot-requested"));

    // The "reboot": the host goes away under the live session and comes back later.
    bool rebooted = false;
    std::thread harness([&] {
        auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
        while (!exists(dir / "reboot-requested") && std::chrono::steady_clock::now() < deadline)
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        if (!exists(dir / "reboot-requested")) return;
        lab.kill_host(0);
        std::this_thread::sleep_for(std::chrono::seconds(2));  // down: reconnects fail meanwhile
        write_file(dir / "boot_id", "boot-2\n");
        lab.start_host(0);
        rebooted = true;
    });
    Run real = upkeep::test::upkeep(play);
    harness.join();
    INFO(real.out);
    REQUIRE(rebooted);
    CHECK(real.rc == 0);
    CHECK(real.out.find("changed: [h0]") != std::string::npos);
    CHECK(real.out.find("after.stdout: \"boot-2\"") != std::string::npos);
}
