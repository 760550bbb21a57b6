// SshConnection against real OpenSSH daemons on loopback (tests/support/sshd_lab).
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <future>
#include <regex>
#include <thread>

#include "engine/connection/ssh_connection.hpp"
#include "engine/util/error.hpp"
#include "engine/util/strings.hpp"
#include "tests/support/sshd_lab.hpp"

using namespace upkeep;
using namespace upkeep::test;
namespace fs = std::filesystem;

namespace {

Command cmd(std::string line, std::string in = "") {
    Command c;
    c.cmdline = std::move(line);
    c.stdin_data = std::move(in);
    return c;
}

std::string fingerprint_of(const std::string& pubkey_line) {
    TempDir d;
    write_file(d / "k.pub", pubkey_line + "\n");
    Run r = sh("ssh-keygen -lf " + d / "k.pub" + " -E sha256");
    auto parts = split(r.out, ' ');
    return parts.size() > 1 ? parts[1] : "";
}

// An address on which nothing listens on `port`.
std::string silent_address(int port) {
    for (int n = 250; n > 2; --n) {
        std::string a = "127.0.0." + std::to_string(n);
        int fd = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in sa{};
        sa.sin_family = AF_INET;
        sa.sin_port = htons(static_cast<uint16_t>(port));
        inet_pton(AF_INET, a.c_str(), &sa.sin_addr);
        bool taken = ::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0;
        ::close(fd);
        if (!taken) return a;
    }
    throw std::runtime_error("no silent address");
}

std::vector<std::string> temp_files_in(const std::string& dir) {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(dir))
        if (starts_with(e.path().filename().string(), ".upkeep.")) out.push_back(e.path().string());
    return out;
}

}  // namespace

TEST_CASE("ssh: run captures rc, stdout, stderr and feeds stdin", "[ssh][integration]") {
    SshdLab lab;
    SshConnection c(lab.options(0));
    c.connect();
    CommandResult r = c.run(cmd("echo out; echo err >&2; exit 3"));
    CHECK(r.rc == 3);
    CHECK(r.out == "out\n");
    CHECK(r.err == "err\n");

    r = c.run(cmd("tr a-z A-Z", "hello\nworld"));
    CHECK(r.rc == 0);
    CHECK(r.out == "HELLO\nWORLD");

    Command in_dir = cmd("pwd; echo \"$GREETING $OTHER\"");
    in_dir.chdir = lab.dir();
    in_dir.env = {{"GREETING", "it's"}, {"OTHER", "a $test"}};
    r = c.run(in_dir);
    CHECK(r.out == lab.dir() + "\nit's a $test\n");

    // Large output on both streams at once, and large stdin, without deadlock.
    r = c.run(cmd("head -c 3000000 /dev/zero; head -c 2000000 /dev/zero >&2"));
    CHECK(r.out.size() == 3000000);
    CHECK(r.err.size() == 2000000);
    std::string big(5 * 1024 * 1024 + 7, 'x');
    r = c.run(cmd("wc -c", big));
    CHECK(trim(r.out) == std::to_string(big.size()));
    // The stdin secret never reaches the command line.
    CHECK(c.last_exec_cmdline().find("xxxx") == std::string::npos);
}

TEST_CASE("ssh: one session serves many commands and file operations", "[ssh][integration]") {
    // An account with a plain /bin/sh login shell: root's ~/.bashrc here costs
    // hundreds of milliseconds per command, which is not what this measures.
    TestUser user("upkeep-test", "");
    SshdLab lab(SshdLab::Options{.users = {"upkeep-test"}});
    SshConnection c(lab.options(0, "upkeep-test"));
    auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < 20; ++i) REQUIRE(c.run(cmd("echo " + std::to_string(i))).out == std::to_string(i) + "\n");
    std::string f = user.home() + "/reuse.txt";
    c.write_file(f, "x", {});
    CHECK(c.read_file(f) == "x");
    CHECK(c.stat(f).is_file());
    CHECK(c.stat(f).owner == "upkeep-test");
    auto elapsed = std::chrono::steady_clock::now() - t0;
    CHECK(elapsed < std::chrono::seconds(3));
    CHECK(c.sessions_opened() == 1);
    // sshd logs every authenticated connection: exactly one.
    CHECK(count_of(lab.log(0), "Accepted publickey") == 1);
}

TEST_CASE("ssh: a session dropped between calls reconnects once", "[ssh][integration]") {
    SshdLab lab;
    SshConnection c(lab.options(0));
    CHECK(c.run(cmd("echo a")).out == "a\n");
    CHECK(c.stat(lab.dir()).is_dir());
    lab.kill_host(0);
    lab.start_host(0);
    CHECK(c.run(cmd("echo b")).out == "b\n");
    CHECK(c.stat(lab.dir()).is_dir());
    CHECK(c.sessions_opened() == 2);
    lab.kill_host(0);
    CHECK_THROWS_AS(c.run(cmd("echo c")), ConnectionError);
}

TEST_CASE("ssh: SFTP file operations", "[ssh][integration]") {
    SshdLab lab;
    SshConnection c(lab.options(0));
    std::string d = lab.dir() + "/files";

    CHECK_FALSE(c.stat(d).exists());
    CHECK(c.list_dir(d).empty());
    CHECK_FALSE(c.read_file(d + "/nope").has_value());

    c.make_dirs(d + "/a/b", 0750);
    CHECK(c.stat(d + "/a/b").is_dir());
    CHECK(c.stat(d + "/a/b").mode == 0750);
    CHECK(c.stat(d + "/a").mode == 0750);
    c.make_dirs(d + "/a/b", std::nullopt);  // exists: fine

    std::string content("line1\n\0binary\xff", 14);
    c.write_file(d + "/f.txt", content, {});
    CHECK(read_file(d + "/f.txt") == content);
    CHECK(c.read_file(d + "/f.txt") == content);
    FileInfo fi = c.stat(d + "/f.txt");
    CHECK(fi.is_file());
    CHECK(fi.mode == 0644);
    CHECK(fi.size == content.size());
    CHECK(fi.owner == "root");
    CHECK(fi.group == "root");

    c.write_file(d + "/g.txt", "g", WriteOptions{0600, "", "", false});
    CHECK((fs::status(d + "/g.txt").permissions() & fs::perms::all) == (fs::perms::owner_read | fs::perms::owner_write));

    c.set_attributes(d + "/f.txt", 0640, "nobody", "nogroup");
    fi = c.stat(d + "/f.txt");
    CHECK(fi.mode == 0640);
    CHECK(fi.owner == "nobody");
    CHECK(fi.group == "nogroup");

    c.symlink("f.txt", d + "/link");
    FileInfo li = c.stat(d + "/link", false);
    CHECK(li.is_link());
    CHECK(li.link_target == "f.txt");
    CHECK(c.stat(d + "/link", true).is_file());
    c.symlink("g.txt", d + "/link");  // replace
    CHECK(fs::read_symlink(d + "/link") == "g.txt");

    CHECK(c.list_dir(d) == std::vector<std::string>{"a", "f.txt", "g.txt", "link"});
    CHECK_THROWS_AS(c.read_file(d + "/a"), TaskError);

    c.remove(d + "/link", false);
    CHECK_FALSE(exists(d + "/link"));
    CHECK(exists(d + "/g.txt"));
    c.remove(d + "/nope", false);  // absent is fine
    CHECK_THROWS_AS(c.remove(d + "/a", false), TaskError);  // not empty
    c.remove(d + "/a", true);
    CHECK_FALSE(exists(d + "/a"));
    CHECK(temp_files_in(d).empty());

    // Failures of file operations are task errors, not connection errors.
    CHECK_THROWS_AS(c.write_file(lab.dir() + "/no/such/dir/x", "x", {}), TaskError);
    CHECK_THROWS_AS(c.set_attributes(d + "/f.txt", std::nullopt, "no-such-user-upkeep", ""), TaskError);
}

TEST_CASE("ssh: atomic replace keeps owner and mode, and can keep a backup", "[ssh][integration]") {
    SshdLab lab;
    SshConnection c(lab.options(0));
    std::string f = lab.dir() + "/conf.ini";
    write_file(f, "old\n");
    REQUIRE(sh("chown nobody:nogroup " + f + " && chmod 0640 " + f).rc == 0);
    struct stat before {};
    ::stat(f.c_str(), &before);

    WriteOptions o;
    o.backup = true;
    WriteResult w = c.write_file(f, "new\n", o);
    CHECK(read_file(f) == "new\n");
    struct stat after {};
    ::stat(f.c_str(), &after);
    CHECK(after.st_uid == before.st_uid);
    CHECK(after.st_gid == before.st_gid);
    CHECK((after.st_mode & 07777) == 0640);
    CHECK(after.st_ino != before.st_ino);  // a new inode: renamed over, not rewritten in place

    REQUIRE_FALSE(w.backup_path.empty());
    CHECK(std::regex_match(w.backup_path, std::regex(std::regex_replace(f, std::regex("\\."), "\\.") +
                                                     R"(\.\d+\.\d{4}-\d\d-\d\d@\d\d:\d\d:\d\d~)")));
    CHECK(read_file(w.backup_path) == "old\n");
    CHECK(temp_files_in(lab.dir()).empty());

    // Writing through a symlink replaces the file it points to.
    REQUIRE(sh("ln -s conf.ini " + lab.dir() + "/conf.link").rc == 0);
    c.write_file(lab.dir() + "/conf.link", "via link\n", {});
    CHECK(fs::is_symlink(lab.dir() + "/conf.link"));
    CHECK(read_file(f) == "via link\n");
}

TEST_CASE("ssh: a changed host key is refused with both fingerprints", "[ssh][integration]") {
    SshdLab lab(SshdLab::Options{.hosts = 2});
    TempDir d;
    // known_hosts claims host 0 has host 1's key.
    std::string kh = d / "known_hosts";
    write_file(kh, "[" + lab.address(0) + "]:2222 " + lab.host_public_key(1) + "\n");
    SshOptions o = lab.options(0);
    o.known_hosts_file = kh;
    SshConnection c(o);
    try {
        c.connect();
        FAIL("connected despite a changed host key");
    } catch (const ConnectionError& e) {
        std::string expected = "host key for [" + lab.address(0) + "]:2222 has changed: expected " +
                               fingerprint_of(lab.host_public_key(1)) + ", offered " +
                               fingerprint_of(lab.host_public_key(0));
        CHECK_THAT(e.what(), Catch::Contains(expected));
        CHECK_THAT(e.what(), Catch::StartsWith("host key for ["));
    }
    // Even accept-new refuses a changed key.
    o.host_key_checking = SshOptions::HostKeyChecking::AcceptNew;
    CHECK_THROWS_AS(SshConnection(o).connect(), ConnectionError);
}

TEST_CASE("ssh: unknown hosts are refused unless accept-new or off", "[ssh][integration]") {
    SshdLab lab;
    TempDir d;
    SshOptions o = lab.options(0);
    o.known_hosts_file = d / "known_hosts";
    try {
        SshConnection(o).connect();
        FAIL("connected to an unknown host");
    } catch (const ConnectionError& e) {
        CHECK_THAT(e.what(), Catch::Contains("host key for [" + lab.address(0) + "]:2222 is unknown"));
        CHECK_THAT(e.what(), Catch::Contains(fingerprint_of(lab.host_public_key(0))));
    }
    CHECK_FALSE(exists(o.known_hosts_file));

    o.host_key_checking = SshOptions::HostKeyChecking::AcceptNew;
    SshConnection accept(o);
    CHECK(accept.run(cmd("echo ok")).out == "ok\n");
    std::string recorded = read_file(o.known_hosts_file);
    CHECK_THAT(recorded, Catch::Contains(lab.host_public_key(0).substr(12)));  // the base64 part

    o.host_key_checking = SshOptions::HostKeyChecking::Strict;
    CHECK(SshConnection(o).run(cmd("echo again")).out == "again\n");

    SshOptions off = lab.options(0);
    off.known_hosts_file = d / "other_known_hosts";
    off.host_key_checking = SshOptions::HostKeyChecking::Off;
    CHECK(SshConnection(off).run(cmd("echo off")).out == "off\n");
    CHECK_FALSE(exists(off.known_hosts_file));
}

TEST_CASE("ssh: unreachable hosts are connection errors, quickly", "[ssh][integration]") {
    SshdLab lab;
    SshOptions o = lab.options(0);
    o.address = silent_address(2222);
    auto t0 = std::chrono::steady_clock::now();
    try {
        SshConnection(o).connect();
        FAIL("connected to a closed port");
    } catch (const ConnectionError& e) {
        CHECK(std::string(e.what()) == o.address + ":2222: connection refused");
    }
    CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(1));

    // A server that accepts TCP but never speaks: the connect timeout applies.
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = 0;
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0);
    REQUIRE(::listen(fd, 4) == 0);
    socklen_t len = sizeof sa;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len);
    SshOptions mute = lab.options(0);
    mute.address = "127.0.0.1";
    mute.port = ntohs(sa.sin_port);
    mute.connect_timeout_s = 1;
    t0 = std::chrono::steady_clock::now();
    try {
        SshConnection(mute).connect();
        FAIL("connected to a mute server");
    } catch (const ConnectionError& e) {
        CHECK_THAT(e.what(), Catch::StartsWith("127.0.0.1:" + std::to_string(mute.port) + ": "));
    }
    CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(4));
    ::close(fd);

    // A key the server does not know: authentication failure.
    SshOptions bad = lab.options(0);
    TempDir d;
    REQUIRE(sh("ssh-keygen -q -t ed25519 -N '' -f " + d / "other").rc == 0);
    bad.identity_files = {d / "other"};
    try {
        SshConnection(bad).connect();
        FAIL("authenticated with an unknown key");
    } catch (const ConnectionError& e) {
        CHECK_THAT(e.what(), Catch::Contains("authentication failed"));
    }
}

TEST_CASE("ssh: sudo become with a password", "[ssh][integration][become]") {
    TestUser user("upkeep-test", "T3st-pass-w0rd");
    SudoersEntry sudoers("upkeep-test", "Defaults:upkeep-test lecture=never\nupkeep-test ALL=(ALL) ALL");
    SshdLab lab(SshdLab::Options{.users = {"root", "upkeep-test"}});

    SshOptions o = lab.options(0, "upkeep-test");
    CHECK(SshConnection(o).run(cmd("id -un")).out == "upkeep-test\n");

    o.become = true;
    o.become_password = "T3st-pass-w0rd";
    SshConnection c(o);
    CommandResult r = c.run(cmd("id -un; cat", "payload\nmore"));
    CHECK(r.rc == 0);
    CHECK(r.out == "root\npayload\nmore");
    CHECK(c.last_exec_cmdline().find("T3st-pass-w0rd") == std::string::npos);
    CHECK(c.last_exec_cmdline().find("payload") == std::string::npos);
    CHECK_THAT(c.last_exec_cmdline(), Catch::StartsWith("sudo -S -p "));

    // Files under become go through sudo: a root-only directory.
    std::string priv = lab.dir() + "/private";
    REQUIRE(sh("mkdir -m 0700 " + priv + " && echo secret > " + priv + "/old && chmod 0600 " + priv + "/old").rc == 0);
    CHECK(c.read_file(priv + "/old") == "secret\n");
    CHECK_FALSE(c.read_file(priv + "/missing").has_value());
    FileInfo fi = c.stat(priv + "/old");
    CHECK(fi.is_file());
    CHECK(fi.mode == 0600);
    CHECK(fi.owner == "root");
    CHECK_FALSE(c.stat(priv + "/missing").exists());
    WriteOptions bo;
    bo.backup = true;
    WriteResult w = c.write_file(priv + "/old", "replaced\n", bo);
    CHECK(read_file(priv + "/old") == "replaced\n");
    CHECK(read_file(w.backup_path) == "secret\n");
    struct stat st {};
    ::stat((priv + "/old").c_str(), &st);
    CHECK(st.st_uid == 0);
    CHECK((st.st_mode & 07777) == 0600);
    c.write_file(priv + "/new", std::string(300000, 'n'), WriteOptions{0640, "upkeep-test", "", false});
    ::stat((priv + "/new").c_str(), &st);
    CHECK((st.st_mode & 07777) == 0640);
    CHECK(read_file(priv + "/new").size() == 300000);
    c.make_dirs(priv + "/x/y", 0700);
    CHECK(c.stat(priv + "/x/y").is_dir());
    c.symlink("new", priv + "/ln");
    CHECK(c.stat(priv + "/ln", false).link_target == "new");
    c.set_attributes(priv + "/new", 0600, "root", "root");
    CHECK(c.stat(priv + "/new").owner == "root");
    CHECK(c.list_dir(priv).size() == 5);  // ln, new, old, old.<backup>~, x
    c.remove(priv + "/x", true);
    CHECK_FALSE(c.stat(priv + "/x").exists());
    CHECK(temp_files_in(priv).empty());
    CHECK(c.sessions_opened() == 1);

    // A wrong password: the command does not run, and the rc says so.
    o.become_password = "wrong";
    CommandResult bad = SshConnection(o).run(cmd("touch " + priv + "/should-not-exist", "input"));
    CHECK(bad.rc != 0);
    CHECK_THAT(bad.err, Catch::Contains("sudo refused the password for root"));
    CHECK_FALSE(exists(priv + "/should-not-exist"));

    // No password where sudo needs one: a clear failure, not a hang.
    o.become_password.clear();
    CommandResult none = SshConnection(o).run(cmd("true"));
    CHECK(none.rc != 0);
    CHECK_THAT(none.err, Catch::Contains("password is required"));
}

TEST_CASE("ssh: su become", "[ssh][integration][become]") {
    TestUser user("upkeep-test", "");
    TestUser other("upkeep-test2", "Su-pass-42");
    SshdLab lab(SshdLab::Options{.users = {"root", "upkeep-test"}});

    // From root, su needs no password.
    SshOptions o = lab.options(0);
    o.become = true;
    o.become_method = "su";
    o.become_user = "upkeep-test";
    SshConnection c(o);
    CommandResult r = c.run(cmd("id -un; cat", "in"));
    CHECK(r.out == "upkeep-test\nin");
    CHECK(r.rc == 0);

    // From a user, su asks for the target's password.
    SshOptions u = lab.options(0, "upkeep-test");
    u.become = true;
    u.become_method = "su";
    u.become_user = "upkeep-test2";
    u.become_password = "Su-pass-42";
    SshConnection cu(u);
    r = cu.run(cmd("id -un; cat", "data"));
    CHECK(r.out == "upkeep-test2\ndata");
    CHECK(r.err.empty());
    CHECK(cu.last_exec_cmdline().find("Su-pass-42") == std::string::npos);
}

TEST_CASE("ssh: sshd killed in the middle of a write leaves the old file", "[ssh][integration]") {
    SshdLab lab;
    std::string dir = lab.dir() + "/victim";
    fs::create_directories(dir);
    std::string f = dir + "/big.bin";
    write_file(f, "old bytes\n");
    SshConnection c(lab.options(0));
    c.connect();

    std::string payload(128 * 1024 * 1024, 'z');
    auto writer = std::async(std::launch::async, [&] {
        try {
            c.write_file(f, payload, {});
            return std::string("finished");
        } catch (const ConnectionError& e) {
            return std::string("connection error: ") + e.what();
        } catch (const std::exception& e) {
            return std::string("other error: ") + e.what();
        }
    });
    // Wait until the temp file has some bytes, then kill the host.
    bool seen = false;
    for (int i = 0; i < 5000 && !seen; ++i) {
        for (const auto& t : temp_files_in(dir)) {
            std::error_code ec;
            if (fs::file_size(t, ec) > 1024 * 1024) seen = true;
        }
        if (!seen) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    REQUIRE(seen);
    lab.kill_host(0);
    std::string outcome = writer.get();
    CHECK_THAT(outcome, Catch::StartsWith("connection error: "));
    CHECK(read_file(f) == "old bytes\n");

    // The host comes back: the next call reconnects and removes the stray temp file.
    lab.start_host(0);
    CHECK(c.stat(f).size == 10);
    CHECK(temp_files_in(dir).empty());
}

TEST_CASE("ssh: password authentication", "[ssh][integration]") {
    TestUser user("upkeep-test", "Pw-for-ssh-1");
    SshdLab lab(SshdLab::Options{.password_auth = true, .users = {"root"}});
    SshOptions o = lab.options(0, "upkeep-test");
    o.identity_files.clear();
    o.password = "Pw-for-ssh-1";
    SshConnection c(o);
    CHECK(c.run(cmd("id -un")).out == "upkeep-test\n");
    o.password = "nope";
    CHECK_THROWS_AS(SshConnection(o).connect(), ConnectionError);
}

TEST_CASE("ssh: proxy jump through another host", "[ssh][integration]") {
    SshdLab lab(SshdLab::Options{.hosts = 2});
    SshOptions o = lab.options(1);
    o.proxy_jump = "root@" + lab.address(0) + ":2222";
    SshConnection c(o);
    CHECK(c.run(cmd("echo through")).out == "through\n");
    CHECK(c.read_file(lab.known_hosts()).has_value());
    // The jump host saw the forwarding, the target a connection from loopback.
    CHECK_THAT(lab.log(0), Catch::Contains("Accepted publickey"));
    CHECK_THAT(lab.log(1), Catch::Contains("Accepted publickey"));
}

TEST_CASE("ssh: a host with its own copy-on-write root", "[ssh][integration][cow]") {
    SshdLab lab(SshdLab::Options{.hosts = 2, .own_root = true});
    SshConnection a(lab.options(0)), b(lab.options(1));
    std::string marker = "/etc/upkeep-lab-marker-" + std::to_string(::getpid());
    a.write_file(marker, "host0\n", {});
    CHECK(a.read_file(marker) == "host0\n");
    CHECK_FALSE(b.read_file(marker).has_value());
    CHECK_FALSE(exists(marker));
    CHECK(a.run(cmd("hostname")).out == "lab-host0\n");
}

TEST_CASE("ssh: options resolved from Ansible inventory variables reach the host", "[ssh][integration]") {
    SshdLab lab;
    Value vars;
    vars["ansible_host"] = Value(lab.address(0));
    vars["ansible_port"] = Value(2222);
    vars["ansible_user"] = Value("root");
    vars["ansible_ssh_private_key_file"] = Value(lab.client_key());
    vars["ansible_ssh_common_args"] = Value("-o UserKnownHostsFile=" + lab.known_hosts() + " -o StrictHostKeyChecking=yes");
    SshOptions cli;
    cli.ssh_config_file = "none";
    SshOptions o = ssh_options_from_vars("web1", vars, cli);
    SshConnection c(o);
    CHECK(c.host_name() == "web1");
    CHECK(c.run(cmd("echo hi")).out == "hi\n");
    CHECK(c.endpoint() == lab.address(0) + ":2222");
}
