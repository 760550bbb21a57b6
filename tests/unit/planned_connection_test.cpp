// The dry-run overlay: later tasks see what earlier tasks would have done, and
// nothing reaches the real host.
#include <catch2/catch.hpp>

#include "engine/connection/local_connection.hpp"
#include "engine/connection/planned_connection.hpp"
#include "engine/util/error.hpp"
#include "tests/support/test_support.hpp"

using namespace upkeep;
using upkeep::test::TempDir;

TEST_CASE("planned writes are visible to later reads and never touch the host", "[planned]") {
    TempDir root;
    upkeep::test::write_file(root / "etc/a.conf", "old\n");
    LocalConnection real("h", root.path());
    PlannedConnection planned(real);

    planned.make_dirs("/etc/libvirt/hooks", 0755);
    CHECK(planned.stat("/etc/libvirt/hooks").is_dir());
    CHECK_FALSE(real.stat("/etc/libvirt/hooks").exists());

    planned.write_file("/etc/libvirt/hooks/qemu", "#!/bin/sh\n", WriteOptions{0755, "", "", false});
    CHECK(planned.read_file("/etc/libvirt/hooks/qemu") == std::optional<std::string>("#!/bin/sh\n"));
    CHECK(planned.stat("/etc/libvirt/hooks/qemu").mode == 0755);
    CHECK_FALSE(upkeep::test::exists(root / "etc/libvirt"));

    planned.write_file("/etc/a.conf", "new\n", WriteOptions{});
    CHECK(*planned.read_file("/etc/a.conf") == "new\n");
    CHECK(upkeep::test::read_file(root / "etc/a.conf") == "old\n");
}

TEST_CASE("a write into a directory that does not exist, even in the plan, fails like the real one", "[planned]") {
    TempDir root;
    LocalConnection real("h", root.path());
    PlannedConnection planned(real);
    CHECK_THROWS_AS(planned.write_file("/nope/x", "x", WriteOptions{}), TaskError);
}

TEST_CASE("planned removal hides the host's files, and a re-created directory starts empty", "[planned]") {
    TempDir root;
    upkeep::test::write_file(root / "d/old.txt", "x");
    LocalConnection real("h", root.path());
    PlannedConnection planned(real);
    planned.remove("/d", true);
    CHECK_FALSE(planned.stat("/d/old.txt").exists());
    CHECK_FALSE(planned.stat("/d").exists());
    planned.make_dirs("/d", std::nullopt);
    CHECK(planned.stat("/d").is_dir());
    CHECK_FALSE(planned.stat("/d/old.txt").exists());
    CHECK(planned.list_dir("/d").empty());
    CHECK(upkeep::test::exists(root / "d/old.txt"));
}

TEST_CASE("mutating commands are recorded, queries still run", "[planned]") {
    TempDir root;
    LocalConnection real("h", root.path());
    PlannedConnection planned(real);
    Command touch;
    touch.cmdline = "touch made-by-command";
    CommandResult r = planned.run(touch);
    CHECK_FALSE(r.executed);
    CHECK_FALSE(upkeep::test::exists(root / "made-by-command"));
    REQUIRE(planned.would_run().size() == 1);
    Command query;
    query.cmdline = "echo hello";
    query.mutating = false;
    CHECK(planned.run(query).out == "hello\n");
}

TEST_CASE("attributes and listings reflect the plan", "[planned]") {
    TempDir root;
    upkeep::test::write_file(root / "etc/x", "x");
    LocalConnection real("h", root.path());
    PlannedConnection planned(real);
    planned.set_attributes("/etc/x", 0600, "", "");
    CHECK(planned.stat("/etc/x").mode == 0600);
    planned.write_file("/etc/y", "y", WriteOptions{});
    auto names = planned.list_dir("/etc");
    CHECK(std::find(names.begin(), names.end(), "y") != names.end());
    CHECK(std::find(names.begin(), names.end(), "x") != names.end());
    planned.symlink("/etc/x", "/etc/link");
    CHECK(planned.stat("/etc/link", false).is_link());
    CHECK(*planned.read_file("/etc/link") == "x");
}

TEST_CASE("paths are normalized", "[planned]") {
    CHECK(normalize_path("/etc//libvirt/./hooks/") == "/etc/libvirt/hooks");
    CHECK(normalize_path("/a/b/../c") == "/a/c");
    CHECK(parent_path("/etc/x") == "/etc");
    CHECK(parent_path("/x") == "/");
}

TEST_CASE("effects outside the host are granted for real and refused (recorded) in a dry run", "[planned]") {
    TempDir root;
    LocalConnection real("h", root.path());
    PlannedConnection planned(real);
    CHECK(real.allow_external_effect("UPDATE cloud.cluster_details on db:3306"));
    CHECK_FALSE(planned.allow_external_effect("UPDATE cloud.cluster_details on db:3306"));
    REQUIRE(planned.would_run().size() == 1);
    CHECK(planned.would_run()[0] == "UPDATE cloud.cluster_details on db:3306");
}
