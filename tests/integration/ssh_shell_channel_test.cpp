// The long-lived remote shell (engine/connection/shell_channel): every command
// of a connection, and every file operation that needs a command, runs on one
// exec channel per host and become user, against real sshd daemons
// (tests/support/sshd_lab). sshd logs each channel it starts ("Starting
// session: command ..."), which is what the tests count.
#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "engine/connection/ssh_connection.hpp"
#include "engine/util/strings.hpp"
#include "tests/support/delay_proxy.hpp"
#include "tests/support/sshd_lab.hpp"
#include "tests/support/test_support.hpp"

using namespace upkeep;
using namespace upkeep::test;

namespace {

Command cmd(std::string line, std::string in = "") {
    Command c;
    c.cmdline = std::move(line);
    c.stdin_data = std::move(in);
    return c;
}

}  // namespace

TEST_CASE("ssh shell channel: commands and file operations share one remote shell", "[ssh][integration][shell-channel]") {
    TestUser user("upkeep-test", "");
    SshdLab lab(SshdLab::Options{.users = {"upkeep-test"}});
    SshConnection c(lab.options(0, "upkeep-test"));
    for (int i = 0; i < 30; ++i) REQUIRE(c.run(cmd("echo " + std::to_string(i))).out == std::to_string(i) + "\n");
    // Exact bytes both ways: no trailing newline, binary stdin, both streams, rc.
    CommandResult r = c.run(cmd("printf 'no newline'; printf 'e1\\ne2' >&2; exit 7"));
    CHECK(r.out == "no newline");
    CHECK(r.err == "e1\ne2");
    CHECK(r.rc == 7);
    std::string bin;
    for (int i = 0; i < 256; ++i) bin += static_cast<char>(i);
    CHECK(c.run(cmd("od -An -tx1 | tr -d ' \\n' | wc -c", bin + "\n\n")).out == "516\n");
    // A command that ignores its stdin does not desynchronise the next one.
    CHECK(c.run(cmd("true", std::string(200000, 'y'))).rc == 0);
    CHECK(c.run(cmd("cat", "next")).out == "next");
    // A command cannot eat the protocol: its stdin is /dev/null without input.
    CHECK(c.run(cmd("cat; echo done")).out == "done\n");
    // Each command starts fresh: a cd or a variable does not leak.
    CHECK(c.run(cmd("cd /; X=1; export X")).rc == 0);
    CHECK(c.run(cmd("pwd; echo \"[$X]\"")).out == user.home() + "\n[]\n");
    // Replacing an existing file (the rename) and a backup go through the shell too.
    std::string f = user.home() + "/shell-channel.txt";
    c.write_file(f, "one\n", {});
    WriteOptions bo;
    bo.backup = true;
    WriteResult w = c.write_file(f, "two\n", bo);
    CHECK(c.read_file(f) == "two\n");
    CHECK(c.read_file(w.backup_path) == "one\n");
    CHECK(c.sessions_opened() == 1);
    // One command channel for all of it (plus the SFTP subsystem).
    CHECK(count_of(lab.log(0), "Starting session: command") == 1);
    ::unlink(f.c_str());
    ::unlink(w.backup_path.c_str());

    // upkeep_ssh_shell=exec keeps one exec channel per command.
    SshOptions o = lab.options(0, "upkeep-test");
    o.persistent_shell = false;
    SshConnection e(o);
    for (int i = 0; i < 3; ++i) CHECK(e.run(cmd("echo x")).out == "x\n");
    CHECK(count_of(lab.log(0), "Starting session: command") == 4);
}

TEST_CASE("ssh shell channel: sudo with a password authenticates once per host, not per command",
          "[ssh][integration][shell-channel][become]") {
    TestUser user("upkeep-test", "T3st-pass-w0rd");
    SudoersEntry sudoers("upkeep-test", "Defaults:upkeep-test lecture=never,timestamp_timeout=0\nupkeep-test ALL=(ALL) ALL");
    SshdLab lab(SshdLab::Options{.users = {"root", "upkeep-test"}});
    SshOptions o = lab.options(0, "upkeep-test");
    o.become = true;
    o.become_password = "T3st-pass-w0rd";
    SshConnection c(o);
    // sudo's timestamp is off (timestamp_timeout=0): every sudo would ask again.
    for (int i = 0; i < 10; ++i) REQUIRE(c.run(cmd("id -un")).out == "root\n");
    std::string priv = lab.dir() + "/priv-" + std::to_string(::getpid());
    c.make_dirs(priv, 0700);
    c.write_file(priv + "/a", "secret\n", WriteOptions{0600, "", "", false});
    CHECK(c.read_file(priv + "/a") == "secret\n");
    CHECK(c.stat(priv + "/a").owner == "root");
    CHECK(c.run(cmd("cat", "in")).out == "in");
    CHECK(c.last_exec_cmdline().find("T3st-pass-w0rd") == std::string::npos);
    CHECK(count_of(lab.log(0), "Starting session: command") == 1);
    c.remove(priv, true);

    // A wrong password: nothing runs, every command says why.
    o.become_password = "wrong";
    SshConnection bad(o);
    CommandResult r = bad.run(cmd("touch " + lab.dir() + "/should-not-exist"));
    CHECK(r.rc != 0);
    CHECK_THAT(r.err, Catch::Contains("sudo refused the password for root"));
    CHECK_FALSE(exists(lab.dir() + "/should-not-exist"));
}

TEST_CASE("ssh shell channel: across a slow link, file operations take one round trip on the shell",
          "[ssh][integration][shell-channel]") {
    TestUser user("upkeep-test", "");
    SshdLab lab(SshdLab::Options{.users = {"upkeep-test"}});
    std::string proxy_addr = "127.0.95." + std::to_string(10 + ::getpid() % 200);
    DelayProxy proxy(proxy_addr + ":2222", lab.address(0) + ":2222", 20);  // 40 ms round trip
    SshOptions o = lab.options(0, "upkeep-test");
    o.files_via = "auto";
    o.address = proxy_addr;
    o.known_hosts_file = lab.dir() + "/known_hosts_proxy";
    o.host_key_checking = SshOptions::HostKeyChecking::AcceptNew;
    SshConnection c(o);
    std::string f = user.home() + "/slow-link.txt";
    c.write_file(f, "v1\n", {});
    auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < 10; ++i) {
        REQUIRE(c.stat(f).is_file());
        REQUIRE(c.read_file(f) == "v1\n");
    }
    double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    // 20 operations, the first of each pair one 40 ms round trip, the second
    // read ahead with it; over SFTP a read alone is six round trips.
    CHECK(ms < 20 * 40 * 1.5);
    // What was read ahead is forgotten by a write and by any mutating command.
    c.write_file(f, "v2\n", {});
    CHECK(read_file(f) == "v2\n");
    CHECK(c.read_file(f) == "v2\n");
    CHECK(c.run(cmd("echo v3 > " + shell_quote(f))).rc == 0);
    CHECK(c.read_file(f) == "v3\n");
    CHECK(c.stat(f).size == 3);
    CHECK(c.stat(f).owner == "upkeep-test");
    // The SFTP subsystem was never started.
    CHECK(count_of(lab.log(0), "subsystem 'sftp'") == 0);
    ::unlink(f.c_str());
}
