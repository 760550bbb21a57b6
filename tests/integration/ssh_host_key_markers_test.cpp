// Hostile known_hosts cases against real sshd daemons (issue 7.9): @revoked
// keys are refused under every policy, @cert-authority lines are not plain
// keys, and StrictHostKeyChecking=no with a changed key goes on only loudly
// and without passwords, as OpenSSH does.
#include <catch2/catch.hpp>

#include "engine/connection/ssh_connection.hpp"
#include "engine/util/error.hpp"
#include "tests/support/sshd_lab.hpp"

using namespace upkeep;
using namespace upkeep::test;

namespace {

Command cmd(std::string line) {
    Command c;
    c.cmdline = std::move(line);
    return c;
}

std::string connect_error(const SshOptions& o) {
    try {
        SshConnection(o).connect();
    } catch (const ConnectionError& e) {
        return e.what();
    }
    return "";
}

}  // namespace

TEST_CASE("ssh: a key marked @revoked in known_hosts is refused under every policy", "[ssh][integration][hostile]") {
    SshdLab lab;
    TempDir d;
    std::string kh = d / "known_hosts";
    // The plain line alone would let the connection through.
    write_file(kh, "[" + lab.address(0) + "]:2222 " + lab.host_public_key(0) + "\n@revoked * " +
                       lab.host_public_key(0) + "\n");
    SshOptions o = lab.options(0);
    o.known_hosts_file = kh;
    for (auto policy : {SshOptions::HostKeyChecking::Strict, SshOptions::HostKeyChecking::AcceptNew,
                        SshOptions::HostKeyChecking::Off}) {
        o.host_key_checking = policy;
        std::string err = connect_error(o);
        CHECK_THAT(err, Catch::Contains("is marked @revoked in " + kh));
    }
    // A @revoked line for another key leaves this host alone.
    SshdLab other;
    write_file(kh, "[" + lab.address(0) + "]:2222 " + lab.host_public_key(0) + "\n@revoked * " +
                       other.host_public_key(0) + "\n");
    o.host_key_checking = SshOptions::HostKeyChecking::Strict;
    CHECK(SshConnection(o).run(cmd("echo fine")).out == "fine\n");
}

TEST_CASE("ssh: a @cert-authority line is not a host key", "[ssh][integration][hostile]") {
    SshdLab lab;
    TempDir d;
    std::string kh = d / "known_hosts";
    // The host offers exactly the CA's key: it must not pass as a plain key,
    // and accept-new must not pin it either.
    std::string line = "@cert-authority * " + lab.host_public_key(0) + "\n";
    write_file(kh, line);
    SshOptions o = lab.options(0);
    o.known_hosts_file = kh;
    for (auto policy : {SshOptions::HostKeyChecking::Strict, SshOptions::HostKeyChecking::AcceptNew}) {
        o.host_key_checking = policy;
        CHECK_THAT(connect_error(o), Catch::Contains("@cert-authority line, and upkeep does not verify host certificates"));
    }
    CHECK(read_file(kh) == line);
}

TEST_CASE("ssh: StrictHostKeyChecking=no with a changed key warns and never sends a password",
          "[ssh][integration][hostile]") {
    TestUser user("upkeep-hk", "Pw-hk-1");
    SshdLab lab(SshdLab::Options{.hosts = 2, .password_auth = true, .users = {"root"}});
    TempDir d;
    std::string kh = d / "known_hosts";
    // known_hosts says host 0 has host 1's key: host 0 now looks like an impostor.
    write_file(kh, "[" + lab.address(0) + "]:2222 " + lab.host_public_key(1) + "\n");

    SshOptions pw = lab.options(0, "upkeep-hk");
    pw.identity_files.clear();
    pw.password = "Pw-hk-1";
    pw.known_hosts_file = kh;
    pw.host_key_checking = SshOptions::HostKeyChecking::Off;
    SshConnection c(pw);
    try {
        c.connect();
        FAIL("logged in with a password to a host whose key changed");
    } catch (const ConnectionError& e) {
        CHECK_THAT(e.what(), Catch::Contains("not the password: the host key changed"));
    }
    auto warnings = c.take_warnings();
    REQUIRE(warnings.size() == 1);
    CHECK_THAT(warnings[0], Catch::Contains("REMOTE HOST IDENTIFICATION HAS CHANGED"));
    CHECK_THAT(warnings[0], Catch::Contains("password and keyboard-interactive authentication disabled"));
    CHECK_THAT(lab.log(0), !Catch::Contains("Accepted password"));

    // Key authentication goes on, with the warning.
    SshOptions key = lab.options(0);
    key.known_hosts_file = kh;
    key.host_key_checking = SshOptions::HostKeyChecking::Off;
    SshConnection k(key);
    CHECK(k.run(cmd("echo in")).out == "in\n");
    CHECK(k.take_warnings().size() == 1);
    // An unknown host under "off" connects without a warning and records nothing.
    SshOptions fresh = lab.options(0);
    fresh.known_hosts_file = d / "empty_known_hosts";
    fresh.host_key_checking = SshOptions::HostKeyChecking::Off;
    SshConnection f(fresh);
    CHECK(f.run(cmd("echo new")).out == "new\n");
    CHECK(f.take_warnings().empty());
    CHECK_FALSE(exists(fresh.known_hosts_file));
}
