// The read-ahead of ShellFiles on slow links (issue 12): each command is a
// round trip across a WAN, so these tests count the commands a sequence of
// file operations costs, and check that what the cache answers is what the
// file system holds. They run the shell scripts on this machine.
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "engine/connection/local_connection.hpp"
#include "engine/connection/shell_files.hpp"
#include "engine/util/error.hpp"
#include "engine/util/host_path.hpp"
#include "tests/support/test_support.hpp"

using namespace upkeep;
using test::TempDir;

namespace {

// ShellFiles over this machine, counting the commands it runs.
struct CountingShellFiles {
    LocalConnection conn{"local"};
    int commands = 0;
    ShellFiles files{[this](const Command& c) {
                         ++commands;
                         return conn.run(c);
                     },
                     "local"};
    CountingShellFiles() { files.enable_cache(true); }
    // Commands run by `f`.
    template <class F>
    int cost(F&& f) {
        int before = commands;
        f();
        return commands - before;
    }
};

}  // namespace

TEST_CASE("shell read-ahead: a write probes the file again in the same command", "[shell_files][shell]") {
    TempDir dir;
    CountingShellFiles s;
    std::string f = dir / "app.conf";
    test::write_file(f, "port=8080\n");
    REQUIRE(s.cost([&] { CHECK(s.files.read_file(f) == "port=8080\n"); }) == 1);
    WriteOptions opts;
    opts.mode = 0640;
    // lineinfile after lineinfile on one file: each is one write, no probe.
    for (const char* content : {"port=9090\n", "port=9090\nlog=info\n", "log=info\n"}) {
        CHECK(s.cost([&] { s.files.write_file(f, content, opts); }) == 1);
        CHECK(s.cost([&] {
                  FileInfo i = s.files.stat(f, true);
                  CHECK(i.is_file());
                  CHECK(i.mode == 0640);
                  CHECK(i.size == std::string(content).size());
                  CHECK(s.files.read_file(f) == content);
              }) == 0);
        CHECK(test::read_file(f) == content);
    }
    // A mode change, a removal: the same.
    CHECK(s.cost([&] { s.files.set_attributes(f, 0600, "", ""); }) == 1);
    CHECK(s.cost([&] { CHECK(s.files.stat(f, false).mode == 0600); }) == 0);
    CHECK(s.cost([&] { s.files.remove(f, false); }) == 1);
    CHECK(s.cost([&] {
              CHECK_FALSE(s.files.stat(f, false).exists());
              CHECK_FALSE(s.files.read_file(f).has_value());
          }) == 0);
    CHECK(::access(f.c_str(), F_OK) != 0);
}

TEST_CASE("shell read-ahead: a path's probe brings its missing parents and the first existing directory",
          "[shell_files][shell]") {
    TempDir dir;
    CountingShellFiles s;
    std::string deep = dir / "a/b/c.conf";
    CHECK(s.cost([&] { CHECK_FALSE(s.files.stat(deep, false).exists()); }) == 1);
    // What file/copy ask next (is the parent there? which ones must mkdir
    // create?) is already known.
    CHECK(s.cost([&] {
              CHECK_FALSE(s.files.stat(dir / "a/b", true).exists());
              CHECK_FALSE(s.files.stat(dir / "a", true).exists());
              CHECK(s.files.stat(dir.path(), true).is_dir());
          }) == 0);
    // The walk stops at the first existing directory: its own parent is not probed.
    CHECK(s.cost([&] { s.files.stat(parent_path(dir.path()), true); }) == 1);
    // mkdir and the file's write change what the cache knew: the directory it
    // made is probed again with it, the rest is forgotten.
    CHECK(s.cost([&] { s.files.make_dirs(dir / "a/b", 0750); }) == 1);
    CHECK(s.cost([&] { CHECK(s.files.stat(dir / "a/b", true).is_dir()); }) == 0);
    CHECK(s.cost([&] { CHECK(s.files.stat(dir / "a", true).is_dir()); }) == 1);
    CHECK(s.files.stat(dir / "a/b", true).mode == 0750);
}

TEST_CASE("shell read-ahead: what the write itself prints is unchanged, a failed write forgets everything",
          "[shell_files][shell]") {
    TempDir dir;
    CountingShellFiles s;
    std::string f = dir / "db.properties";
    test::write_file(f, "old\n");
    WriteOptions opts;
    opts.backup = true;
    WriteResult w = s.files.write_file(f, "new\n", opts);
    REQUIRE_FALSE(w.backup_path.empty());
    CHECK(test::read_file(w.backup_path) == "old\n");
    CHECK(s.files.read_file(f) == "new\n");
    std::string tmp = s.files.write_temp_file(dir.path(), "payload");
    CHECK(parent_path(tmp) == dir.path());
    CHECK(test::read_file(tmp) == "payload");
    // A write that fails (its directory is a file) reports the error and
    // leaves nothing cached: the next look at the file asks the host.
    test::write_file(dir / "plain", "x");
    CHECK(s.cost([&] { s.files.stat(f, true); }) == 1);
    CHECK_THROWS_AS(s.files.write_file(dir / "plain/inner", "y", {}), TaskError);
    test::write_file(f, "changed behind our back\n");
    CHECK(s.cost([&] { CHECK(s.files.read_file(f) == "changed behind our back\n"); }) == 1);
}

TEST_CASE("shell read-ahead: the paths the next tasks announce come with the first probe", "[shell_files][shell]") {
    TempDir dir;
    CountingShellFiles s;
    test::write_file(dir / "etc/app.conf", "port=8080\n");
    test::write_file(dir / "etc/big.bin", std::string(70000, 'x'));
    test::write_file(dir / "etc/bytes", std::string("a\0b\n\xff", 5));
    // Next task: app.conf; the ones after: a missing file in a missing
    // directory, a file too big to read ahead, binary bytes.
    s.files.expect({{dir / "etc/app.conf"}, {dir / "log/new", dir / "etc/big.bin"}, {dir / "etc/bytes"}});
    CHECK(s.cost([&] { CHECK(s.files.stat(dir / "etc", true).is_dir()); }) == 1);
    CHECK(s.cost([&] {
              CHECK(s.files.read_file(dir / "etc/app.conf") == "port=8080\n");
              CHECK_FALSE(s.files.stat(dir / "log/new", false).exists());
              CHECK_FALSE(s.files.stat(dir / "log", true).exists());
              CHECK(s.files.stat(dir / "etc/big.bin", true).size == 70000);
              CHECK(s.files.read_file(dir / "etc/bytes") == std::string("a\0b\n\xff", 5));
          }) == 0);
    // Too big to come along: read when asked, in full.
    CHECK(s.cost([&] { CHECK(s.files.read_file(dir / "etc/big.bin") == std::string(70000, 'x')); }) == 1);
    // A change probes the next task's paths again with itself, not the later ones.
    WriteOptions opts;
    CHECK(s.cost([&] { s.files.write_file(dir / "etc/bytes", "new\n", opts); }) == 1);
    CHECK(s.cost([&] {
              CHECK(s.files.read_file(dir / "etc/bytes") == "new\n");
              CHECK(s.files.read_file(dir / "etc/app.conf") == "port=8080\n");
          }) == 0);
    CHECK(s.cost([&] { CHECK_FALSE(s.files.stat(dir / "log/new", false).exists()); }) == 1);
}
