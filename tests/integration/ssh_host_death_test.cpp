// A host whose sshd dies in the middle of a run (issue 7.11): every kind of
// operation on the dead session must end as a ConnectionError (the host is
// UNREACHABLE), never as a task error such as "cannot stat ...: error 1".
#include <catch2/catch.hpp>

#include <csignal>
#include <functional>
#include <future>
#include <thread>

#include "engine/connection/ssh_connection.hpp"
#include "engine/util/error.hpp"
#include "tests/support/sshd_lab.hpp"

using namespace upkeep;
using namespace upkeep::test;

TEST_CASE("ssh: every operation on a host whose sshd died is a connection error", "[ssh][integration][hostile]") {
    SshdLab lab;
    TempDir d;
    std::string file = d / "f.txt";
    write_file(file, "x\n");
    const std::vector<std::pair<const char*, std::function<void(SshConnection&)>>> ops = {
        {"stat", [&](SshConnection& c) { c.stat(file); }},
        {"lstat", [&](SshConnection& c) { c.stat(file, false); }},
        {"read", [&](SshConnection& c) { c.read_file(file); }},
        {"write", [&](SshConnection& c) { c.write_file(file, "y\n", {}); }},
        {"list", [&](SshConnection& c) { c.list_dir(d.path()); }},
        {"mkdir", [&](SshConnection& c) { c.make_dirs(d / "sub/dir", std::nullopt); }},
        {"remove", [&](SshConnection& c) { c.remove(d / "nothing", false); }},
        {"chmod", [&](SshConnection& c) { c.set_attributes(file, 0600, "", ""); }},
        {"run", [&](SshConnection& c) { c.run(Command{"true"}); }},
    };
    // SIGKILL cuts the TCP connection; SIGTERM lets sshd close its channels
    // first, so the SFTP channel ends before libssh sees the session go.
    for (int sig : {SIGKILL, SIGTERM})
    for (const auto& [name, op] : ops) {
        DYNAMIC_SECTION("after a " << name << " (signal " << sig << ")") {
            SshConnection c(lab.options(0));
            c.stat(file);  // SFTP open, session in use
            lab.kill_host(0, sig);
            try {
                op(c);
                FAIL(name << " succeeded on a dead host");
            } catch (const ConnectionError& e) {
                CHECK_THAT(e.what(), Catch::Contains(lab.address(0) + ":2222"));
            } catch (const std::exception& e) {
                FAIL(name << " on a dead host threw a non-connection error: " << e.what());
            }
            lab.start_host(0);
        }
    }
}

TEST_CASE("ssh: a host whose sshd dies during a command is a connection error", "[ssh][integration][hostile]") {
    SshdLab lab;
    for (int sig : {SIGKILL, SIGTERM}) {
        INFO("signal " << sig);
        lab.start_host(0);
        SshConnection c(lab.options(0));
        c.run(Command{"true"});
        auto killer = std::async(std::launch::async, [&] {
            std::this_thread::sleep_for(std::chrono::milliseconds(300));
            lab.kill_host(0, sig);
        });
        try {
            CommandResult r = c.run(Command{"sleep 3; echo done"});
            FAIL("the command 'finished' with rc " << r.rc << " on a dead host: " << r.out << r.err);
        } catch (const ConnectionError& e) {
            CHECK_THAT(e.what(), Catch::Contains("connection lost"));
        }
        killer.get();
    }
}
