// check() -> apply() through the typed plan payloads of the package, account,
// service, reboot, libvirt_restart and mysql_db modules. Each apply() here gets
// only what check() put in the module's own payload (Plan has no other channel);
// a plan without its payload must fail with ContractError before it touches the
// host, never do nothing and report success. The host is a
// sandbox whose own small stand-ins for the tools (dpkg-query, apt-get, rpm, dnf,
// mysql, service...) come first on PATH, as in service_test.cpp: the modules' real
// command lines run, and the stand-ins keep their state under the sandbox root.
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <filesystem>

#include "engine/connection/planned_connection.hpp"
#include "engine/util/error.hpp"
#include "tests/unit/module_sandbox.hpp"

using namespace upkeep;

namespace {

void write_exec(const std::string& path, const std::string& text) {
    test::write_file(path, text);
    ::chmod(path.c_str(), 0755);
}

// A plan whose module forgot its payload (the changes are still there).
Plan without_payloads(Plan p) {
    p.payloads.clear();
    return p;
}


void expect_contract_error(test::Sandbox& box, const std::string& module, const std::string& task, const Plan& p) {
    INFO(module << " applied without its payload");
    CHECK_THROWS_AS(box.apply(module, task, without_payloads(p)), ContractError);
}

// apply() in a dry run (the planned-state overlay) from the payload alone.
void dry_apply(test::Sandbox& box, PlannedConnection& planned, const std::string& module, const std::string& task,
               const Plan& p) {
    ModuleContext ctx{planned, box.vars, nullptr, box.root()};
    test::Sandbox::module(module).apply(ctx, test::Sandbox::args(module, task), p);
}

std::string installed(test::Sandbox& box) { return box.conn().read_file("/installed").value_or(""); }

// dpkg-query, apt-get and dpkg-deb over ROOT/installed ("name version" lines). The
// one package "ships" /etc/demo/demo.conf, from a local (file:) repository.
void install_fake_apt(test::Sandbox& box) {
    write_exec(box.local("/usr/bin/dpkg-query"),
               "#!/bin/sh\n"
               "shift 2\n"  // -W -f=FORMAT
               "for n in \"$@\"; do\n"
               "  v=$(sed -n \"s/^$n //p\" \"$UPKEEP_ROOT/installed\" 2>/dev/null)\n"
               "  [ -z \"$v\" ] || printf '%s\\tall\\t%s\\tii \\n' \"$n\" \"$v\"\n"
               "done\n"
               "exit 0\n");
    write_exec(box.local("/usr/bin/apt-get"),
               "#!/bin/sh\n"
               "mode=run; verb=; names=\n"
               "for a in \"$@\"; do\n"
               "  case $a in\n"
               "    -s) mode=sim ;;\n"
               "    --print-uris) mode=uris ;;\n"
               "    install|remove|purge) verb=$a ;;\n"
               "    -*|Dpkg::*|APT::*) ;;\n"
               "    *) names=\"$names ${a%%=*}\" ;;\n"
               "  esac\n"
               "done\n"
               "touch \"$UPKEEP_ROOT/installed\"\n"
               "for n in $names; do\n"
               "  case $mode-$verb in\n"
               "    sim-install) echo \"Inst $n (1.0 fake [all])\" ;;\n"
               "    sim-remove|sim-purge) echo \"Remv $n [1.0]\" ;;\n"
               "    uris-install) echo \"'file:/srv/${n}_1.0_all.deb' ${n}_1.0_all.deb 10 SHA256:0\" ;;\n"
               "    run-install) echo \"$n 1.0\" >> \"$UPKEEP_ROOT/installed\" ;;\n"
               "    run-remove|run-purge) sed -i \"/^$n /d\" \"$UPKEEP_ROOT/installed\" ;;\n"
               "  esac\n"
               "done\n");
    write_exec(box.local("/usr/bin/dpkg-deb"),
               "#!/bin/sh\n"
               "echo '-rw-r--r-- root/root 10 2024-01-01 00:00 ./etc/demo/demo.conf'\n");
}

// rpm and dnf over ROOT/installed; repoquery lists the package's one config file.
void install_fake_dnf(test::Sandbox& box) {
    write_exec(box.local("/usr/bin/rpm"),
               "#!/bin/sh\n"
               "shift 3\n"  // -q --qf FORMAT
               "for n in \"$@\"; do\n"
               "  v=$(sed -n \"s/^$n //p\" \"$UPKEEP_ROOT/installed\" 2>/dev/null)\n"
               "  [ -z \"$v\" ] || printf '%s\\t0\\t%s\\tnoarch\\n' \"$n\" \"$v\"\n"
               "done\n"
               "exit 0\n");
    write_exec(box.local("/usr/bin/dnf"),
               "#!/bin/sh\n"
               "[ \"$2\" = repoquery ] && { printf 'demo\\t/etc/demo/demo.conf\\n'; exit 0; }\n"
               "mode=$1 verb=$2; shift 2\n"
               "touch \"$UPKEEP_ROOT/installed\"\n"
               "for n in \"$@\"; do\n"
               "  case $mode-$verb in\n"
               "    --assumeno-install) printf 'Installing:\\n %s noarch 1.0-1 fake 10 k\\n' \"$n\" ;;\n"
               "    --assumeno-remove) printf 'Removing:\\n %s noarch 1.0-1 @fake 10 k\\n' \"$n\" ;;\n"
               "    -y-install) echo \"$n 1.0-1\" >> \"$UPKEEP_ROOT/installed\" ;;\n"
               "    -y-remove) sed -i \"/^$n /d\" \"$UPKEEP_ROOT/installed\" ;;\n"
               "  esac\n"
               "done\n"
               "exit 0\n");
}

// A dry run of the install notes the package's config file as "may appear" (the
// payload's leftovers) and records the command, from the payload alone.
void check_dry_install(test::Sandbox& box, const std::string& module, const std::string& task, const std::string& cmd) {
    Plan p = box.check(module, task);
    REQUIRE(p.changed());
    PlannedConnection planned(box.conn());
    dry_apply(box, planned, module, task, p);
    CHECK(planned.pending_file("/etc/demo/demo.conf").has_value());
    REQUIRE(planned.would_run().size() == 1);
    INFO("would run: " << planned.would_run()[0]);
    CHECK(planned.would_run()[0].find(cmd) != std::string::npos);
    expect_contract_error(box, module, task, p);
    CHECK(installed(box).find("demo") == std::string::npos);
}

// apt's and dnf's payloads, through the same steps on each one's stand-ins.
void install_and_remove(const std::string& module, const std::string& dry_cmd, const std::string& version) {
    test::Sandbox box;
    if (module == "apt") install_fake_apt(box);
    else install_fake_dnf(box);
    check_dry_install(box, module, "name: demo\n", dry_cmd);
    box.converge_payload(module, "name: demo\n");
    CHECK(installed(box) == "demo " + version + "\n");
    box.converge_payload(module, "name: demo\nstate: absent\n");
    CHECK(installed(box).empty());
}

}  // namespace

TEST_CASE("typed payloads: apt installs and removes from its payload, a dry run notes the leftovers",
          "[payload][module][apt]") {
    install_and_remove("apt", "install demo", "1.0");
}

TEST_CASE("typed payloads: dnf installs and removes from its payload, a dry run notes the leftovers",
          "[payload][module][dnf]") {
    install_and_remove("dnf", "dnf -y install demo", "1.0-1");
}

TEST_CASE("typed payloads: package hands apt's or dnf's own payload back to it", "[payload][module][package]") {
    test::Sandbox box;
    std::string use = GENERATE(std::string("apt"), std::string("dnf"));
    if (use == "apt") install_fake_apt(box);
    else install_fake_dnf(box);
    const std::string task = "name: demo\nuse: " + use + "\n";
    check_dry_install(box, "package", task, "install demo");
    // The inner module's payload as it made it, and package's own beside it.
    Plan p = box.check("package", task);
    REQUIRE(p.payloads.size() == 2);
    CHECK(p.result.get("pkg_mgr").as_string() == use);
    // A plan of the inner module alone lacks package's payload.
    CHECK_THROWS_AS(box.apply("package", task, box.check(use, "name: demo\n")), ContractError);
    // Package's payload alone (set last, after the inner module's): the inner module's is missing.
    Plan outer_only = p;
    outer_only.payloads.erase(outer_only.payloads.begin());
    CHECK_THROWS_AS(box.apply("package", task, outer_only), ContractError);
    CHECK(installed(box).find("demo") == std::string::npos);
    box.converge_payload("package", task);
    CHECK(installed(box).find("demo 1.0") == 0);
    box.converge_payload("package", "name: demo\nstate: absent\nuse: " + use + "\n");
    CHECK(installed(box).empty());
}

TEST_CASE("typed payloads: group and user run their planned commands, password and home included",
          "[payload][module][user][group]") {
    test::Sandbox box;
    seed_accounts(box);
    const std::string group = "name: deployers\ngid: 4242\n";
    expect_contract_error(box, "group", group, box.check("group", group));
    CHECK(test::read_file(box.local("/etc/group")).find("deployers") == std::string::npos);
    box.converge_payload("group", group);
    CHECK(test::read_file(box.local("/etc/group")).find("deployers:x:4242:") != std::string::npos);

    const std::string user = "name: deploy\nuid: 4242\ngroup: deployers\nshell: /bin/sh\npassword: '$6$s$hash'\n";
    expect_contract_error(box, "user", user, box.check("user", user));
    CHECK(test::read_file(box.local("/etc/passwd")).find("deploy") == std::string::npos);
    box.converge_payload("user", user);
    CHECK(test::read_file(box.local("/etc/passwd")).find("deploy:x:4242:4242::/home/deploy:/bin/sh") != std::string::npos);
    CHECK(test::read_file(box.local("/etc/shadow")).find("deploy:$6$s$hash:") != std::string::npos);

    // The home directory check() found missing is in the payload: apply() creates it.
    std::filesystem::remove_all(box.local("/home/deploy"));
    Plan home = box.check("user", "name: deploy\n");
    REQUIRE(home.changes.size() == 1);
    CHECK(home.changes[0].summary == "home directory created");
    expect_contract_error(box, "user", "name: deploy\n", home);
    CHECK_FALSE(std::filesystem::exists(box.local("/home/deploy")));
    box.converge_payload("user", "name: deploy\n");
    CHECK(std::filesystem::is_directory(box.local("/home/deploy")));

    box.converge_payload("user", "name: deploy\nstate: absent\n");
    box.converge_payload("group", "name: deployers\nstate: absent\n");
    CHECK(test::read_file(box.local("/etc/group")).find("deployers") == std::string::npos);
}

TEST_CASE("typed payloads: service runs its planned commands and tells the dry run the state after",
          "[payload][module][service]") {
    test::Sandbox box;
    write_exec(box.local("/usr/sbin/service"),
               "#!/bin/sh\n"
               "f=\"$UPKEEP_ROOT/run/$1\"\n"
               "case $2 in\n"
               "  start|restart) mkdir -p \"${f%/*}\" && touch \"$f\" ;;\n"
               "  stop) rm -f \"$f\" ;;\n"
               "  status) [ -f \"$f\" ] ;;\n"
               "esac\n");
    const std::string task = "name: demo\nstate: started\n";
    Plan p = box.check("service", task);
    PlannedConnection planned(box.conn());
    dry_apply(box, planned, "service", task, p);
    CHECK(planned.planned_service_running("demo") == std::optional<bool>(true));
    CHECK(planned.would_run() == std::vector<std::string>{"service demo start"});
    expect_contract_error(box, "service", task, p);
    CHECK_FALSE(test::exists(box.local("/run/demo")));
    box.converge_payload("service", task);
    CHECK(test::exists(box.local("/run/demo")));
    box.converge_payload("service", "name: demo\nstate: stopped\n");
    CHECK_FALSE(test::exists(box.local("/run/demo")));
}

TEST_CASE("typed payloads: systemd runs its planned systemctl lines", "[payload][module][systemd]") {
    if (test::sh("command -v systemctl").rc != 0) FAIL("systemctl is missing (package systemd)");
    test::Sandbox box;
    test::write_file(box.local("/usr/lib/systemd/system/demo.service"),
                     "[Unit]\nDescription=demo\n[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=multi-user.target\n");
    std::filesystem::create_directories(box.local("/etc/systemd/system/multi-user.target.wants"));
    const std::string link = "/etc/systemd/system/multi-user.target.wants/demo.service";
    const std::string task = "name: demo.service\nenabled: true\n";
    expect_contract_error(box, "systemd", task, box.check("systemd", task));
    CHECK_FALSE(box.conn().stat(link, false).exists());
    box.converge_payload("systemd", task);
    CHECK(box.conn().stat(link, false).is_link());
    box.converge_payload("systemd_service", "name: demo.service\nmasked: true\n");
    CHECK(box.conn().stat("/etc/systemd/system/demo.service", false).link_target == "/dev/null");
}

TEST_CASE("typed payloads: libvirt_restart runs the planned command and verifies through the planned URI",
          "[payload][module][libvirt_restart]") {
    test::Sandbox box;
    const std::string task = "method: command\ncommand: touch \"$UPKEEP_ROOT/restarted\"\nverify: false\n";
    Plan p = box.check("libvirt_restart", task);
    expect_contract_error(box, "libvirt_restart", task, p);
    CHECK_FALSE(test::exists(box.local("/restarted")));
    Value r = box.apply("libvirt_restart", task, p);
    CHECK(r.get("restarted").truthy());
    CHECK(test::exists(box.local("/restarted")));
    // The URI comes from the payload: the in-process test:///default daemon keeps
    // answering after `true`, which the verification catches (without the URI the
    // restart would pass unverified).
    const std::string verified = "uri: test:///default\nmethod: command\ncommand: \"true\"\ntimeout: 0\n";
    Plan v = box.check("libvirt_restart", verified);
    CHECK_THROWS_WITH(box.apply("libvirt_restart", verified, v), Catch::Contains("it did not restart"));
}

TEST_CASE("typed payloads: mysql_db dumps the databases check() found", "[payload][module][mysql_db]") {
    test::Sandbox box;
    write_exec(box.local("/usr/bin/mysql"), "#!/bin/sh\nprintf 'app\\ninformation_schema\\n'\n");
    write_exec(box.local("/usr/bin/mysqldump"), "#!/bin/sh\necho \"-- mysqldump $*\"\n");
    std::filesystem::create_directories(box.local("/var/backups"));
    const std::string task = "state: dump\nname: [app, gone]\nskip_missing: true\ntarget: /var/backups/all.sql\n";
    Plan p = box.check("mysql_db", task);
    expect_contract_error(box, "mysql_db", task, p);
    CHECK_FALSE(test::exists(box.local("/var/backups/all.sql")));
    box.converge_payload("mysql_db", task);
    std::string dump = test::read_file(box.local("/var/backups/all.sql"));
    CHECK(dump.find("--databases app\n") != std::string::npos);
    CHECK(box.conn().stat("/var/backups/all.sql").mode == 0600);
}

TEST_CASE("typed payloads: reboot compares against the boot id check() read", "[payload][module][reboot]") {
    test::Sandbox box;
    test::write_file(box.local("/boot_id"), "11111111-2222-3333-4444-555555555555\n");
    const std::string task =
        "reboot_command: 'cat /proc/sys/kernel/random/uuid > \"$UPKEEP_ROOT/boot_id.tmp\" && "
        "mv \"$UPKEEP_ROOT/boot_id.tmp\" \"$UPKEEP_ROOT/boot_id\"'\n"
        "boot_id_path: /boot_id\nreboot_timeout: 20\n";
    Plan p = box.check("reboot", task);
    expect_contract_error(box, "reboot", task, p);
    Value out = box.apply("reboot", task, p);
    CHECK(out.get("rebooted").truthy());
    CHECK(out.get("boot_id").as_string() + "\n" == test::read_file(box.local("/boot_id")));
    CHECK(out.get("boot_id").as_string() != "11111111-2222-3333-4444-555555555555");
}
