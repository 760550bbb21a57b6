#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <regex>

#include "engine/connection/local_connection.hpp"
#include "engine/util/error.hpp"
#include "tests/support/test_support.hpp"

using namespace upkeep;
using upkeep::test::TempDir;

namespace {

uint32_t mode_of(const std::string& p) {
    struct stat st;
    REQUIRE(::stat(p.c_str(), &st) == 0);
    return st.st_mode & 07777;
}

}  // namespace

TEST_CASE("write_file replaces atomically and keeps mode and owner", "[connection][local]") {
    TempDir dir;
    std::string p = dir / "etc/app.conf";
    test::write_file(p, "old\n");
    REQUIRE(::chmod(p.c_str(), 0640) == 0);
    bool root = ::geteuid() == 0;
    if (root) REQUIRE(::chown(p.c_str(), 1, 100) == 0);  // daemon:users
    struct stat before;
    REQUIRE(::stat(p.c_str(), &before) == 0);

    LocalConnection conn("local");
    WriteResult w = conn.write_file(p, "new\n", WriteOptions{});
    CHECK(w.backup_path.empty());
    CHECK(test::read_file(p) == "new\n");
    struct stat after;
    REQUIRE(::stat(p.c_str(), &after) == 0);
    CHECK((after.st_mode & 07777) == 0640);
    CHECK(after.st_uid == before.st_uid);
    CHECK(after.st_gid == before.st_gid);
    CHECK(after.st_ino != before.st_ino);  // a new inode: rename, not an in-place rewrite
    // No temp file is left behind.
    CHECK(conn.list_dir(dir / "etc") == std::vector<std::string>{"app.conf"});

    FileInfo info = conn.stat(p);
    CHECK(info.is_file());
    CHECK(info.mode == 0640);
    CHECK(info.size == 4);
    if (root) {
        CHECK(info.owner == "daemon");
        CHECK(info.group == "users");
    }
}

TEST_CASE("write_file options set mode and owner, a new file gets 0644", "[connection][local]") {
    TempDir dir;
    LocalConnection conn("local");
    conn.write_file(dir / "a", "x", WriteOptions{});
    CHECK(mode_of(dir / "a") == 0644);
    WriteOptions o;
    o.mode = 0600;
    if (::geteuid() == 0) {
        o.owner = "daemon";
        o.group = "100";
    }
    conn.write_file(dir / "b", "y", o);
    CHECK(mode_of(dir / "b") == 0600);
    if (::geteuid() == 0) {
        FileInfo i = conn.stat(dir / "b");
        CHECK(i.uid == 1);
        CHECK(i.gid == 100);
    }
    WriteOptions bad;
    bad.owner = "no-such-user-upkeep";
    CHECK_THROWS_AS(conn.write_file(dir / "a", "z", bad), TaskError);
    CHECK(test::read_file(dir / "a") == "x");  // the failed write left the old file
    CHECK(conn.list_dir(dir.path()) == std::vector<std::string>{"a", "b"});
}

TEST_CASE("write_file with backup uses Ansible's naming", "[connection][local]") {
    TempDir dir;
    std::string p = dir / "hosts";
    test::write_file(p, "one\n");
    ::chmod(p.c_str(), 0600);
    LocalConnection conn("local");
    WriteOptions o;
    o.backup = true;
    WriteResult w = conn.write_file(p, "two\n", o);
    std::regex want(std::regex_replace(p, std::regex(R"([.^$|()\[\]{}*+?\\])"), R"(\$&)") + "\\." +
                    std::to_string(::getpid()) + R"(\.\d{4}-\d\d-\d\d@\d\d:\d\d:\d\d~)");
    CHECK(std::regex_match(w.backup_path, want));
    CHECK(test::read_file(w.backup_path) == "one\n");
    CHECK(mode_of(w.backup_path) == 0600);
    CHECK(test::read_file(p) == "two\n");
    // No backup for a file that did not exist.
    CHECK(conn.write_file(dir / "fresh", "x", o).backup_path.empty());
}

TEST_CASE("write_file through a symbolic link keeps the link", "[connection][local]") {
    TempDir dir;
    test::write_file(dir / "real", "a");
    REQUIRE(::symlink((dir / "real").c_str(), (dir / "link").c_str()) == 0);
    LocalConnection conn("local");
    conn.write_file(dir / "link", "b", WriteOptions{});
    CHECK(conn.stat(dir / "link", false).is_link());
    CHECK(test::read_file(dir / "real") == "b");
}

TEST_CASE("write_file into a missing directory fails cleanly", "[connection][local]") {
    TempDir dir;
    LocalConnection conn("local");
    CHECK_THROWS_AS(conn.write_file(dir / "nope/x", "a", WriteOptions{}), TaskError);
    CHECK_THROWS_AS(conn.write_file(dir.path(), "a", WriteOptions{}), TaskError);
}

TEST_CASE("sandbox maps absolute paths under the root and clamps escapes", "[connection][sandbox]") {
    TempDir dir;
    LocalConnection conn("sandbox", dir.path());
    CHECK(conn.map_path("/etc/x") == dir / "etc/x");
    CHECK(conn.map_path("/etc/../etc/./x") == dir / "etc/x");
    CHECK(conn.map_path("/") == dir.path());
    CHECK(conn.map_path("etc/x") == dir / "etc/x");
    CHECK(conn.unmap_path(dir / "etc/x") == "/etc/x");
    // As under chroot, ".." stops at the root.
    CHECK(conn.map_path("/../etc/passwd") == dir / "etc/passwd");
    CHECK(conn.map_path("/etc/../../x") == dir / "x");
    CHECK_FALSE(conn.read_file("/../../etc/passwd").has_value());

    conn.make_dirs("/etc/app", 0750);
    CHECK(mode_of(dir / "etc/app") == 0750);
    conn.write_file("/etc/app/a.conf", "k=v\n", WriteOptions{});
    CHECK(test::read_file(dir / "etc/app/a.conf") == "k=v\n");
    CHECK(*conn.read_file("/etc/app/a.conf") == "k=v\n");
    CHECK_FALSE(conn.read_file("/etc/app/missing").has_value());
    CHECK(conn.list_dir("/etc") == std::vector<std::string>{"app"});
    CHECK_FALSE(conn.stat("/nope").exists());

    // An absolute link target resolves inside the sandbox and reads back unmapped.
    conn.symlink("/etc/app/a.conf", "/etc/current");
    FileInfo l = conn.stat("/etc/current", false);
    CHECK(l.is_link());
    CHECK(l.link_target == "/etc/app/a.conf");
    CHECK(conn.stat("/etc/current", true).is_file());
    CHECK(*conn.read_file("/etc/current") == "k=v\n");

    conn.set_attributes("/etc/app/a.conf", 0600, "", "");
    CHECK(mode_of(dir / "etc/app/a.conf") == 0600);
    conn.remove("/etc/current", false);
    CHECK_FALSE(test::exists(dir / "etc/current"));
    conn.remove("/etc/app", true);
    CHECK_FALSE(test::exists(dir / "etc/app"));
    conn.remove("/etc/app", true);  // absent is fine
    CHECK_THROWS_AS(conn.remove("/", true), TaskError);
}

TEST_CASE("run captures rc, stdout and stderr and feeds stdin", "[connection][local]") {
    LocalConnection conn("local");
    Command c;
    c.cmdline = "echo out; echo err >&2; exit 3";
    CommandResult r = conn.run(c);
    CHECK(r.rc == 3);
    CHECK(r.out == "out\n");
    CHECK(r.err == "err\n");
    CHECK(r.executed);

    Command in;
    in.cmdline = "tr a-z A-Z";
    in.stdin_data = std::string(200000, 'a');  // larger than a pipe buffer
    r = conn.run(in);
    CHECK(r.rc == 0);
    CHECK(r.out == std::string(200000, 'A'));

    // A child that ignores its stdin must not hurt us.
    Command ignore;
    ignore.cmdline = "exit 0";
    ignore.stdin_data = std::string(1 << 20, 'x');
    CHECK(conn.run(ignore).rc == 0);

    Command env;
    env.cmdline = "printf '%s' \"$UPKEEP_TEST_VAR\"";
    env.env["UPKEEP_TEST_VAR"] = "hello world";
    CHECK(conn.run(env).out == "hello world");

    TempDir dir;
    Command cd;
    cd.cmdline = "pwd -P";
    cd.chdir = dir.path();
    CHECK(conn.run(cd).out == dir.path() + "\n");

    Command missing;
    missing.cmdline = "no-such-command-upkeep";
    CHECK(conn.run(missing).rc == 127);
}

TEST_CASE("sandbox commands run in the root with its tools first on PATH", "[connection][sandbox]") {
    TempDir dir;
    test::write_file(dir / "usr/bin/hello-upkeep", "#!/bin/sh\necho \"sandboxed $1\"\n");
    ::chmod((dir / "usr/bin/hello-upkeep").c_str(), 0755);
    ::mkdir((dir / "srv").c_str(), 0755);
    LocalConnection conn("sandbox", dir.path());
    Command c;
    c.cmdline = "pwd -P; echo \"$UPKEEP_ROOT\"; hello-upkeep x";
    CommandResult r = conn.run(c);
    CHECK(r.rc == 0);
    CHECK(r.out == dir.path() + "\n" + dir.path() + "\nsandboxed x\n");
    Command cd;
    cd.cmdline = "pwd -P";
    cd.chdir = "/srv";
    CHECK(conn.run(cd).out == dir / "srv" + "\n");
}
