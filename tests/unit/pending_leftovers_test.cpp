// Issue 8.3: what a package upgrade leaves beside an operator-edited config file
// (.dpkg-dist, .rpmnew, .rpmsave) cannot be foreseen by a dry run. The package
// modules note those paths as "may appear" on the dry-run overlay; config_merge
// and a command with removes: then plan the work as depending on the upgrade, so
// the (host, task) pairs --check marks changed are those the real run changes.
#include <catch2/catch.hpp>

#include "engine/connection/local_connection.hpp"
#include "engine/connection/planned_connection.hpp"
#include "engine/module/module.hpp"
#include "engine/value/yaml.hpp"
#include "modules/formats/pkg_conffiles.hpp"
#include "modules/pkg_leftovers.hpp"
#include "modules/registry.hpp"
#include "tests/support/test_support.hpp"

using namespace upkeep;

namespace {

Plan check_module(Connection& conn, const std::string& module, const std::string& yaml) {
    const Module* m = find_module(module);
    REQUIRE(m);
    Value vars;
    ModuleContext ctx{conn, vars, nullptr, ""};
    return m->check(ctx, validate_args(m->spec(), parse_yaml(yaml, "site.yml")));
}

Value apply_module(Connection& conn, const std::string& module, const std::string& yaml, const Plan& plan) {
    const Module* m = find_module(module);
    Value vars;
    ModuleContext ctx{conn, vars, nullptr, ""};
    return m->apply(ctx, validate_args(m->spec(), parse_yaml(yaml, "site.yml")), plan);
}

}  // namespace

TEST_CASE("pkg: dpkg conffiles, obsolete ones left out", "[pkg][leftovers]") {
    std::string out =
        "cloudstack-management\n"
        " /etc/cloudstack/management/components.xml 0cc175b9c0f1b6a831c399e269772661\n"
        " /etc/cloudstack/management/old.xml 92eb5ffee6ae2fec3ad71c777531578f obsolete\n"
        "cloudstack-usage\n"
        "\n"
        "cloudstack-agent\n"
        " /etc/cloudstack/agent/agent.properties 4a8a08f09d37b73795649038408b5f33\n";
    auto files = pkg::parse_dpkg_conffiles(out);
    REQUIRE(files.size() == 2);
    CHECK(files[0].package == "cloudstack-management");
    CHECK(files[0].path == "/etc/cloudstack/management/components.xml");
    CHECK(files[0].digest == "0cc175b9c0f1b6a831c399e269772661");
    CHECK(files[0].algo == "md5");
    CHECK(files[1].package == "cloudstack-agent");
    CHECK(pkg::digest_hex("md5", "a") == "0cc175b9c0f1b6a831c399e269772661");
}

TEST_CASE("pkg: rpm %config files with their digest algorithm and noreplace", "[pkg][leftovers]") {
    std::string out =
        "cloudstack-management\t8\tcn\tca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb\t"
        "/etc/cloudstack/management/db.properties\n"
        "cloudstack-management\t8\tc\t3e23e8160039594a33894f6564e1b1348bbd7a0088d42c4acb73eeaed59c009d\t"
        "/etc/cloudstack/management/log4j.xml\n"
        "cloudstack-management\t8\t\tabc\t/usr/lib/cloudstack-management/java\n"   // not %config
        "cloudstack-management\t8\tcg\t\t/etc/cloudstack/management/key\n"        // ghost
        "cloudstack-management\t8\tc\t\t/etc/cloudstack/management\n"             // a directory
        "ovirt-engine\t(none)\tcn\t0cc175b9c0f1b6a831c399e269772661\t/etc/ovirt-engine/engine.conf\n";
    auto files = pkg::parse_rpm_config_files(out);
    REQUIRE(files.size() == 3);
    CHECK(files[0].path == "/etc/cloudstack/management/db.properties");
    CHECK(files[0].algo == "sha256");
    CHECK(files[0].noreplace);
    CHECK_FALSE(files[1].noreplace);  // plain %config: rpm moves the edited file to .rpmsave
    CHECK(files[2].algo == "md5");
    CHECK(pkg::digest_hex("sha256", "a") == files[0].digest);
    CHECK(pkg::rpm_digest_algo("99").empty());
}

TEST_CASE("overlay: a pending file is reported until planned, removal plans it gone", "[planned][leftovers]") {
    test::TempDir root;
    LocalConnection real("h", root.path());
    CHECK_FALSE(real.pending_file("/etc/a.conf.dpkg-dist"));  // a real host shows what is there
    real.note_pending_file("/etc/a.conf.dpkg-dist", "x");
    CHECK_FALSE(real.pending_file("/etc/a.conf.dpkg-dist"));

    PlannedConnection run(real);
    run.note_pending_file("/etc//a.conf.dpkg-dist", "the upgrade of a 1 -> 2");
    CHECK(run.pending_file("/etc/a.conf.dpkg-dist") == std::optional<std::string>("the upgrade of a 1 -> 2"));
    CHECK_FALSE(run.stat("/etc/a.conf.dpkg-dist").exists());  // may appear: not planned as there
    // A probe's throwaway overlay sees the run's notes, and its removal stays its own.
    {
        PlannedConnection probe(run);
        CHECK(probe.pending_file("/etc/a.conf.dpkg-dist"));
        probe.remove("/etc/a.conf.dpkg-dist", false);
        CHECK_FALSE(probe.pending_file("/etc/a.conf.dpkg-dist"));
    }
    CHECK(run.pending_file("/etc/a.conf.dpkg-dist"));
    run.remove("/etc/a.conf.dpkg-dist", false);
    CHECK_FALSE(run.pending_file("/etc/a.conf.dpkg-dist"));
}

TEST_CASE("config_merge: a merge that waits on the upgrade is planned as depending on it", "[merge][leftovers]") {
    test::TempDir root;
    test::write_file(root / "etc/app/db.properties", "max=50\n");
    LocalConnection real("h", root.path());
    const std::string yaml = "path: /etc/app/db.properties\nremove_new: true\n";
    // Nothing noted (a real run, or no upgrade planned): nothing to merge.
    CHECK_FALSE(check_module(real, "config_merge", yaml).changed());

    PlannedConnection run(real);
    run.note_pending_file("/etc/app/db.properties.rpmnew", "the upgrade of app 1-1 -> 2-1");
    Plan plan = check_module(run, "config_merge", yaml);
    REQUIRE(plan.changed());
    CHECK(plan.depends_on == "the upgrade of app 1-1 -> 2-1");
    CHECK(plan.changes[0].target == "/etc/app/db.properties");
    CHECK(plan.changes[0].summary.rfind("merge depends on the upgrade of app 1-1 -> 2-1: it leaves "
                                        "/etc/app/db.properties.rpmnew only if",
                                        0) == 0);
    CHECK_FALSE(plan.changes[0].before);  // no diff is invented
    apply_module(run, "config_merge", yaml, plan);
    CHECK(test::read_file(root / "etc/app/db.properties") == "max=50\n");
    // As after the real merge (remove_new), the leftover is planned gone: a second
    // merge task in the same dry run has nothing to wait for.
    CHECK_FALSE(check_module(run, "config_merge", yaml).changed());
}

TEST_CASE("command removes: a file that may appear makes the command depend on the upgrade", "[command][leftovers]") {
    test::TempDir root;
    test::write_file(root / "etc/agent/log4j-cloud.xml", "<old/>\n");
    LocalConnection real("h", root.path());
    const std::string yaml =
        "cmd: mv -f /etc/agent/log4j-cloud.xml.dpkg-dist /etc/agent/log4j-cloud.xml\n"
        "removes: /etc/agent/log4j-cloud.xml.dpkg-dist\n";
    Plan skipped = check_module(real, "command", yaml);
    CHECK_FALSE(skipped.changed());
    PlannedConnection run(real);
    run.note_pending_file("/etc/agent/log4j-cloud.xml.dpkg-dist", "the upgrade of agent 4.2.0 -> 4.3.0");
    Plan plan = check_module(run, "command", yaml);
    REQUIRE(plan.changed());
    CHECK(plan.unpredictable);
    CHECK(plan.depends_on == "the upgrade of agent 4.2.0 -> 4.3.0");
    CHECK(plan.changes[0].summary == "would run if /etc/agent/log4j-cloud.xml.dpkg-dist appears");
}

// A package rename (CloudStack 3.0's cloud-client -> 4.3's cloudstack-management)
// installs a whole new config tree: the dry run cannot read those files. The dnf
// module notes them (repoquery -l); an edit of one then plans "depends on the
// install" instead of failing with "does not exist" (the real run edits the file
// the install created).
TEST_CASE("file edits of a file a planned install creates depend on that install", "[leftovers][xml]") {
    test::TempDir root;
    test::write_file(root / "etc/hostname", "h\n");
    LocalConnection real("h", root.path());
    const std::string yaml =
        "path: /etc/cloudstack/management/componentContext.xml\n"
        "xpath: //list/ref[@bean='PlainTextUserAuthenticator']\n"
        "position: first\n";
    CHECK_THROWS_WITH(check_module(real, "xml", yaml), Catch::Contains("does not exist"));
    PlannedConnection run(real);
    const std::string why = "the install of cloudstack-management 4.3.0-1 (replacing cloud-client 3.0.7-1)";
    run.note_pending_file("/etc/cloudstack/management/componentContext.xml", why);
    Plan plan = check_module(run, "xml", yaml);
    REQUIRE(plan.changed());
    CHECK(plan.depends_on == why);
    CHECK_FALSE(plan.changes[0].before);  // no diff is invented
    apply_module(run, "xml", yaml, plan);  // writes nothing: there is nothing to edit yet
    CHECK_FALSE(run.stat("/etc/cloudstack/management/componentContext.xml").exists());
    // lineinfile, replace...: the same shared path (plan_file_edit).
    Plan line = check_module(run, "lineinfile",
                             "path: /etc/cloudstack/management/componentContext.xml\nline: x\n");
    CHECK(line.depends_on == why);
}

TEST_CASE("config_merge ours: the operator's file under the old package's name is merged once", "[merge][leftovers]") {
    test::TempDir root;
    const std::string fx = std::string(UPKEEP_TEST_FIXTURES) + "/merge/";
    test::write_file(root / "etc/cloud.rpmsave/management/components.xml", test::read_file(fx + "components/ours.xml"));
    test::write_file(root / "base/components.xml", test::read_file(fx + "components/base.xml"));
    // A backup the operator made by hand, following the seed: it must survive.
    test::write_file(root / "etc/cloud.rpmsave/management/components.xml-backup", "<hand-made/>\n");
    LocalConnection real("h", root.path());
    const std::string yaml =
        "path: /etc/cloudstack/management/components.xml\n"
        "ours: /etc/cloud.rpmsave/management/components.xml\n"
        "base: /base/components.xml\n";
    // Before the install (dry run): the new file is not there; noted, the merge depends on it.
    PlannedConnection run(real);
    const std::string why = "the install of cloudstack-management 4.3.0-1 (replacing cloud-client 3.0.7-1)";
    run.note_pending_file("/etc/cloudstack/management/components.xml", why);
    Plan dry = check_module(run, "config_merge", yaml);
    REQUIRE(dry.changed());
    CHECK(dry.depends_on == why);
    // After the install: the packaged 4.3 file gets the operator's 3.0 changes, exactly
    // as a .rpmnew merge would, and the old file is kept as -backup.
    test::write_file(root / "etc/cloudstack/management/components.xml", test::read_file(fx + "components/new.xml"));
    Plan plan = check_module(real, "config_merge", yaml);
    REQUIRE(plan.changed());
    apply_module(real, "config_merge", yaml, plan);
    CHECK(test::read_file(root / "etc/cloudstack/management/components.xml") ==
          test::read_file(fx + "components/expected.xml"));
    CHECK(test::read_file(root / "etc/cloud.rpmsave/management/components.xml-backup.1") ==
          test::read_file(fx + "components/ours.xml"));
    CHECK(test::read_file(root / "etc/cloud.rpmsave/management/components.xml-backup") == "<hand-made/>\n");
    CHECK_FALSE(real.stat("/etc/cloud.rpmsave/management/components.xml").exists());
    // Once: a second run has nothing to merge.
    Plan again = check_module(real, "config_merge", yaml);
    CHECK_FALSE(again.changed());
    CHECK(again.msg.find("merged before") != std::string::npos);
}

// dnf's repoquery prints "%{name}<TAB>%{files}" with the package's other files on the
// lines after the first (output captured from dnf 4 on Debian 12); one query serves
// every package the transaction installs.
TEST_CASE("rpm_new_package_files: every file of every freshly installed package, with its install", "[leftovers][pkg]") {
    test::TempDir dir;
    test::write_file(dir / "repoquery",
                     "cat <<'OUT'\n"
                     "cloudstack-usage\t/etc/init.d/cloudstack-usage\n"
                     "/usr/lib/cloudstack-usage/java\n"
                     "cloudstack-management\t/etc/cloudstack/management/components.xml\n"
                     "/etc/cloudstack/management/db.properties\n"
                     "OUT\n"
                     "echo \"$*\" > " + dir / "args\n");
    LocalConnection conn("h", "");
    std::vector<pkg::PkgOp> ops = {
        {pkg::PkgOp::Kind::Install, "cloudstack-management", "noarch", "", "4.3.0-1", {"cloud-client 3.0.7-1"}},
        {pkg::PkgOp::Kind::Upgrade, "kernel", "x86_64", "1-1", "2-1", {}},  // not a fresh install: its files exist
        {pkg::PkgOp::Kind::Install, "cloudstack-usage", "noarch", "", "4.3.0-1", {"cloud-usage 3.0.7-1"}},
    };
    auto files = rpm_new_package_files(conn, "sh " + dir / "repoquery", "/", ops);
    REQUIRE(files.size() == 4);
    CHECK(files[0].path == "/etc/init.d/cloudstack-usage");
    CHECK(files[0].reason == "the install of cloudstack-usage 4.3.0-1 (replacing cloud-usage 3.0.7-1)");
    CHECK(files[1].path == "/usr/lib/cloudstack-usage/java");
    CHECK(files[1].reason == files[0].reason);
    CHECK(files[3].path == "/etc/cloudstack/management/db.properties");
    CHECK(files[3].reason == "the install of cloudstack-management 4.3.0-1 (replacing cloud-client 3.0.7-1)");
    // The exact builds, not whatever is newest.
    CHECK(test::read_file(dir / "args").find("cloudstack-management-4.3.0-1.noarch cloudstack-usage-4.3.0-1.noarch") !=
          std::string::npos);
    // Nothing installed fresh: no query at all.
    CHECK(rpm_new_package_files(conn, "false", "/", {ops[1]}).empty());
}

TEST_CASE("libvirt_hook: a hook the planned install ships is installed depending on it", "[leftovers][libvirt_hook]") {
    test::TempDir root;
    test::write_file(root / "etc/libvirt/hooks/.keep", "");
    LocalConnection real("h", root.path());
    const std::string yaml = "name: qemu\nsrc: /usr/share/cloudstack-agent/lib/libvirtqemuhook\nremote_src: true\n";
    CHECK_THROWS_WITH(check_module(real, "libvirt_hook", yaml), Catch::Contains("does not exist on the host"));
    PlannedConnection run(real);
    const std::string why = "the install of cloudstack-agent 4.3.0 (replacing cloud-agent 3.0.7)";
    run.note_pending_file("/usr/share/cloudstack-agent/lib/libvirtqemuhook", why);
    Plan plan = check_module(run, "libvirt_hook", yaml);
    REQUIRE(plan.changed());
    CHECK(plan.depends_on == why);
    CHECK(plan.changes[0].target == "/etc/libvirt/hooks/qemu");
    Value out = apply_module(run, "libvirt_hook", yaml, plan);
    CHECK(out.get("restart_needed").truthy());  // so the libvirtd restart is planned too
    CHECK_FALSE(run.stat("/etc/libvirt/hooks/qemu").exists());
}
