// End-to-end: the seed procedures' playbooks (playbooks/*.yml) run by the real
// upkeep binary against fresh copies of the bundled sandbox estate
// (playbooks/sandbox/reset into a temp dir): a dry run that writes nothing, a
// real run whose files are checked byte for byte, and a second run that changes
// nothing.
#include <catch2/catch.hpp>

#include <cstring>
#include <regex>
#include <set>
#include <sstream>

#include "tests/support/test_support.hpp"

using namespace upkeep::test;

namespace {

const std::string k_repo = std::string(UPKEEP_TEST_FIXTURES) + "/../..";
const std::string k_fixtures = UPKEEP_TEST_FIXTURES;

// The sandbox inventory and every host's tree, fresh from the seeds, in a temp dir.
struct SandboxEstate {
    TempDir dir;
    SandboxEstate() {
        write_file(dir / "inventory.ini", read_file(k_repo + "/playbooks/sandbox/inventory.ini"));
        Run r = sh("bash " + k_repo + "/playbooks/sandbox/reset " + dir / "state");
        INFO(r.out);
        REQUIRE(r.rc == 0);
    }
    Run play(const std::string& playbook, const std::string& flags = "") {
        return upkeep::test::upkeep("play " + k_repo + "/playbooks/" + playbook + " -i " + dir / "inventory.ini " + flags);
    }
    std::string path(const std::string& host, const std::string& p) { return dir / ("state/" + host + p); }
    std::string file(const std::string& host, const std::string& p) { return read_file(path(host, p)); }
    // Every file of every host with its checksum: equal snapshots mean nothing was written.
    std::string snapshot() {
        return sh("cd " + dir / "state" + " && find . -type f -print0 | sort -z | xargs -0 md5sum; find . | sort").out;
    }
};

int recap(const std::string& out, const std::string& host, const std::string& field) {
    std::regex re("\n" + host + R"(\s+: .*)" + field + R"(=(\d+))");
    std::smatch m;
    if (!std::regex_search(out, m, re)) return -1;
    return std::stoi(m[1]);
}

// The lines a task printed: from each "TASK [name]" banner to the next banner (with
// serial, a task has one banner per batch).
std::string task_output(const std::string& out, const std::string& task) {
    std::string all;
    for (size_t at = out.find("TASK [" + task + "]"); at != std::string::npos;
         at = out.find("TASK [" + task + "]", at + 1)) {
        size_t end = std::min({out.find("\nTASK [", at + 1), out.find("\nPLAY", at + 1),
                               out.find("\nRUNNING HANDLER [", at + 1)});
        all += out.substr(at, end == std::string::npos ? std::string::npos : end - at);
    }
    return all;
}

bool task_changed(const std::string& out, const std::string& task, const std::string& host) {
    return task_output(out, task).find("changed: [" + host + "]") != std::string::npos;
}

bool task_skipped(const std::string& out, const std::string& task, const std::string& host) {
    return task_output(out, task).find("skipping: [" + host + "]") != std::string::npos;
}

// The names in path's directory matching a shell pattern, one a line.
std::string list_like(const std::string& path, const std::string& pattern) {
    return sh("cd $(dirname " + path + ") && ls -1 " + pattern + " 2>/dev/null").out;
}


// Every (host, task) a run reports as changed, as "host | task" lines, sorted.
std::set<std::string> changed_pairs(const std::string& out) {
    std::set<std::string> pairs;
    std::string task;
    std::istringstream in(out);
    for (std::string line; std::getline(in, line);) {
        for (const char* banner : {"TASK [", "RUNNING HANDLER ["})
            if (line.rfind(banner, 0) == 0) task = line.substr(strlen(banner), line.rfind(']') - strlen(banner));
        if (line.rfind("changed: [", 0) == 0) {
            std::string host = line.substr(10, line.find(']') - 10);
            pairs.insert(host + " | " + task);
        }
    }
    return pairs;
}

std::string joined(const std::set<std::string>& s) {
    std::string out;
    for (const auto& x : s) out += x + "\n";
    return out;
}

}  // namespace

TEST_CASE("cloudstack-management: repo, stop, merges, PlainText first, start, then 0 changes", "[seeds]") {
    SandboxEstate e;
    const std::string pb = "cloudstack-management.yml";
    const std::string mgmt = "/etc/cloudstack/management/";
    std::string before = e.snapshot();

    Run dry = e.play(pb, "--check --diff");
    INFO(dry.out);
    REQUIRE(dry.rc == 0);
    CHECK(e.snapshot() == before);
    for (const char* h : {"mgmt01", "mgmt02"}) {
        CHECK(recap(dry.out, h, "failed") == 0);
        CHECK(task_changed(dry.out, "Stop cloudstack-management (upgrade pending)", h));
        CHECK(task_changed(dry.out, "Stop cloudstack-usage (upgrade pending)", h));
        CHECK(task_changed(dry.out, "Merge the operator's components.xml into the new packaged one", h));
        CHECK(task_changed(dry.out, "Merge the operator's db.properties into the new packaged one", h));
        CHECK(task_changed(dry.out, "Make PlainTextUserAuthenticator the first entry of userAuthenticators", h));
        // The overlay plans service state: the stop above makes the start a change.
        CHECK(task_changed(dry.out, "Start cloudstack-management", h));
        CHECK(task_changed(dry.out, "Start cloudstack-usage", h));
    }
    // Packages and the database are out of the sandbox's reach: skipped, on the
    // database master (cloudstack_db) only.
    CHECK(task_skipped(dry.out, "Create the backup directory", "mgmt01"));
    CHECK(task_output(dry.out, "Create the backup directory").find("mgmt02") == std::string::npos);
    // Nothing started in a dry run: no waiting for a database upgrade.
    CHECK(task_skipped(dry.out, "Wait until the database upgrade has finished (the first server's log says so)", "mgmt01"));
    CHECK(task_changed(dry.out, "Point cloudstack.repo at the 4.3 packages", "mgmt01"));
    CHECK(task_skipped(dry.out, "Point cloudstack.repo at the 4.3 packages", "mgmt02"));
    CHECK(task_changed(dry.out, "Point cloudstack.list at the 4.3 packages", "mgmt02"));
    CHECK(dry.out.find("+baseurl=http://cloudstack.apt-get.eu/rhel/4.3/") != std::string::npos);
    CHECK(dry.out.find("+deb http://cloudstack.apt-get.eu/ubuntu precise 4.3") != std::string::npos);
    CHECK(dry.out.find("+          <ref bean=\"PlainTextUserAuthenticator\"/>") != std::string::npos);

    Run real = e.play(pb, "--verify-convergence");
    INFO(real.out);
    REQUIRE(real.rc == 0);
    for (const char* h : {"mgmt01", "mgmt02"}) {
        CHECK(recap(real.out, h, "failed") == 0);
        CHECK(recap(real.out, h, "changed") >= 8);
        CHECK(task_changed(real.out, "Stop cloudstack-management (upgrade pending)", h));
        CHECK(task_changed(real.out, "Start cloudstack-management", h));
        CHECK(task_changed(real.out, "Start cloudstack-usage", h));
        // Every server is stopped before the first one starts again (play 1 has no serial).
        CHECK(real.out.find("TASK [Stop cloudstack-usage (upgrade pending)]") <
              real.out.find("TASK [Start cloudstack-management]"));
        // Three-way merges against the pristine 4.2 defaults: the new packaged file
        // with the operator's SiteSSO adapter, premium=true, ENC() passwords and hosts.
        std::string components = e.file(h, mgmt + "components.xml");
        CHECK(components == read_file(k_fixtures + "/merge/components/expected.xml"));
        CHECK(components.find("org.example.cloud.auth.SiteSsoAuthenticator") != std::string::npos);
        CHECK(components.find("com.cloud.server.ManagementServerExtImpl") != std::string::npos);
        std::string db = e.file(h, mgmt + "db.properties");
        CHECK(db == read_file(k_fixtures + "/merge/db/expected.properties"));
        CHECK(db.find("db.cloud.password=ENC(vlu4Ls6e0XzZbiN2VpQcag==)\n") != std::string::npos);
        CHECK(db.find("db.cloud.host=db1.example.org\n") != std::string::npos);
        CHECK(db.find("db.cloud.testWhileIdle=true\n") != std::string::npos);
        // The packaged leftovers are gone, the operator's files are kept as backups.
        CHECK_FALSE(exists(e.path(h, mgmt + "components.xml.rpmnew")));
        CHECK_FALSE(exists(e.path(h, mgmt + "components.xml.dpkg-dist")));
        CHECK_FALSE(exists(e.path(h, mgmt + "db.properties.rpmnew")));
        CHECK_FALSE(exists(e.path(h, mgmt + "db.properties.dpkg-dist")));
        CHECK_FALSE(list_like(e.path(h, mgmt + "components.xml"), "components.xml.*~").empty());
        // PlainText first, the rest of the list in its old order, the other list untouched.
        std::string ctx = e.file(h, mgmt + "componentContext.xml");
        size_t auth = ctx.find("<bean id=\"userAuthenticators\"");
        size_t enc = ctx.find("<bean id=\"userPasswordEncoders\"");
        REQUIRE(auth != std::string::npos);
        REQUIRE(enc != std::string::npos);
        std::string auth_list = ctx.substr(auth, enc - auth);
        size_t plain = auth_list.find("PlainTextUserAuthenticator");
        CHECK(plain != std::string::npos);
        CHECK(plain < auth_list.find("SHA256SaltedUserAuthenticator"));
        CHECK(auth_list.find("SHA256SaltedUserAuthenticator") < auth_list.find("MD5UserAuthenticator"));
        CHECK(auth_list.find("MD5UserAuthenticator") < auth_list.find("LDAPUserAuthenticator"));
        CHECK(ctx.substr(enc).find("<ref bean='PlainTextUserAuthenticator'/>") != std::string::npos);
        // Stopped for the upgrade, running again at the end.
        CHECK(exists(e.path(h, "/run/cloudstack-management.pid")));
        CHECK(exists(e.path(h, "/run/cloudstack-usage.pid")));
    }
    // The first server's start waited for its log to say the database upgrade was done;
    // the second server starts only after that (serial: 1).
    CHECK(task_output(real.out, "Wait until the database upgrade has finished (the first server's log says so)")
              .find("ok: [mgmt01]") != std::string::npos);
    CHECK(task_skipped(real.out, "Wait until the database upgrade has finished (the first server's log says so)", "mgmt02"));
    CHECK(real.out.find("ok: [mgmt01]", real.out.find("TASK [Wait until the database upgrade")) <
          real.out.find("changed: [mgmt02]", real.out.find("TASK [Start cloudstack-management]")));
    CHECK(e.file("mgmt01", "/var/log/cloudstack/management/management-server.log")
              .find("Done Configuring CloudStack Components") != std::string::npos);
    std::string repo = e.file("mgmt01", "/etc/yum.repos.d/cloudstack.repo");
    CHECK(repo.find("baseurl=http://cloudstack.apt-get.eu/rhel/4.3/\n") != std::string::npos);
    CHECK(repo.find("4.2") == std::string::npos);
    CHECK(e.file("mgmt02", "/etc/apt/sources.list.d/cloudstack.list") ==
          "# Apache CloudStack community packages\ndeb http://cloudstack.apt-get.eu/ubuntu precise 4.3\n");

    std::string after = e.snapshot();
    Run again = e.play(pb);
    INFO(again.out);
    CHECK(again.rc == 0);
    for (const char* h : {"mgmt01", "mgmt02"}) {
        CHECK(recap(again.out, h, "changed") == 0);
        CHECK(task_skipped(again.out, "Stop cloudstack-management (upgrade pending)", h));
    }
    CHECK(e.snapshot() == after);
}

TEST_CASE("cloudstack-management: without a merge base, a conflict stops the host before any change", "[seeds]") {
    SandboxEstate e;
    // No pristine defaults: both sides changed values (the management server class,
    // premium, maxActive...), so the probes fail and nothing is stopped or written.
    std::string before = e.snapshot();
    Run r = e.play("cloudstack-management.yml", "--limit mgmt01 -e cloudstack_merge_base_dir=");
    INFO(r.out);
    CHECK(r.rc == 2);
    CHECK(r.out.find("conflict") != std::string::npos);
    CHECK(r.out.find("set prefer: ours|theirs") != std::string::npos);
    CHECK(exists(e.path("mgmt01", "/run/cloudstack-management.pid")));
    CHECK(e.file("mgmt01", "/etc/cloudstack/management/components.xml") ==
          read_file(k_fixtures + "/merge/components/ours.xml"));
    CHECK(recap(r.out, "mgmt01", "changed") <= 1);  // at most the repo file
}

TEST_CASE("cloudstack-management: --tags prepare stops and keeps files, the full run finishes", "[seeds]") {
    SandboxEstate e;
    const std::string mgmt = "/etc/cloudstack/management/";
    Run prep = e.play("cloudstack-management.yml", "--limit mgmt01 --tags prepare -e cloudstack_force_upgrade=true");
    INFO(prep.out);
    REQUIRE(prep.rc == 0);
    CHECK_FALSE(exists(e.path("mgmt01", "/run/cloudstack-management.pid")));
    CHECK_FALSE(exists(e.path("mgmt01", "/run/cloudstack-usage.pid")));
    CHECK(exists(e.path("mgmt01", mgmt + "components.xml.rpmnew")));
    CHECK(task_output(prep.out, "Merge the operator's components.xml into the new packaged one").empty());

    Run full = e.play("cloudstack-management.yml", "--limit mgmt01");
    INFO(full.out);
    REQUIRE(full.rc == 0);
    // Still pending (the .rpmnew files), already stopped: ok, not changed.
    CHECK(task_output(full.out, "Stop cloudstack-management (upgrade pending)").find("ok: [mgmt01]") !=
          std::string::npos);
    CHECK(task_changed(full.out, "Merge the operator's components.xml into the new packaged one", "mgmt01"));
    CHECK(task_changed(full.out, "Start cloudstack-management", "mgmt01"));
    CHECK(exists(e.path("mgmt01", "/run/cloudstack-management.pid")));
    CHECK_FALSE(exists(e.path("mgmt01", mgmt + "components.xml.rpmnew")));
}

TEST_CASE("cloudstack-kvm-agent: repo, agent class, hook, then 0 changes", "[seeds]") {
    SandboxEstate e;
    const std::string pb = "cloudstack-kvm-agent.yml";
    std::string before = e.snapshot();
    Run dry = e.play(pb, "--check --diff");
    INFO(dry.out);
    REQUIRE(dry.rc == 0);
    CHECK(e.snapshot() == before);
    CHECK(task_changed(dry.out, "Point cloudstack.repo at the 4.3 packages", "kvm02"));
    CHECK(task_changed(dry.out, "Point the agent at the new KVM resource class (the seed's sed -i step)", "kvm02"));

    Run real = e.play(pb, "--verify-convergence");
    INFO(real.out);
    REQUIRE(real.rc == 0);
    for (const char* h : {"kvm01", "kvm02", "kvm03"}) {
        std::string agent = e.file(h, "/etc/cloudstack/agent/agent.properties");
        CHECK(agent.find("resource=com.cloud.hypervisor.kvm.resource.LibvirtComputingResource\n") != std::string::npos);
        CHECK(agent.find("com.cloud.agent.resource.computing") == std::string::npos);
        CHECK(e.file(h, "/etc/libvirt/hooks/qemu") ==
              e.file(h, "/usr/share/cloudstack-agent/lib/libvirtqemuhook"));
        CHECK(e.file(h, "/etc/yum.repos.d/cloudstack.repo").find("rhel/4.3/") != std::string::npos);
    }
    Run again = e.play(pb);
    INFO(again.out);
    CHECK(again.rc == 0);
    for (const char* h : {"kvm01", "kvm02", "kvm03"}) CHECK(recap(again.out, h, "changed") == 0);
}

TEST_CASE("ovirt-engine-update: engine-setup only when an update is available, then 0 changes", "[seeds]") {
    SandboxEstate e;
    const std::string pb = "ovirt-engine-update.yml";
    const std::string installed = "/var/lib/upkeep-sandbox/ovirt-engine.installed";
    std::string before = e.snapshot();

    Run dry = e.play(pb, "--check --diff");
    INFO(dry.out);
    REQUIRE(dry.rc == 0);
    CHECK(e.snapshot() == before);
    CHECK(task_output(dry.out, "Run engine-setup unattended (stops the engine, updates it and its database, starts it)")
              .find("changed: [engine01] (would run)") != std::string::npos);

    Run real = e.play(pb, "--verify-convergence");
    INFO(real.out);
    REQUIRE(real.rc == 0);
    CHECK(recap(real.out, "engine01", "changed") == 2);  // the answer file, engine-setup
    CHECK(e.file("engine01", "/etc/ovirt-engine-setup.conf.d/90-upkeep-answers.conf")
              .find("\nOVESETUP_CORE/engineStop=bool:True\nOVESETUP_DIALOG/confirmSettings=bool:True\n") !=
          std::string::npos);
    CHECK(e.file("engine01", installed) == "4.3.8\n");
    CHECK(e.file("engine01", "/var/log/ovirt-engine/setup/ovirt-engine-setup-sandbox.log")
              .find("--accept-defaults --config-append=/etc/ovirt-engine-setup.conf.d/90-upkeep-answers.conf") !=
          std::string::npos);
    CHECK(task_output(real.out, "Verify the engine is up to date now").find("ok: [engine01]") != std::string::npos);
    CHECK(exists(e.path("engine01", "/run/ovirt-engine.pid")));

    Run again = e.play(pb);
    INFO(again.out);
    CHECK(again.rc == 0);
    CHECK(recap(again.out, "engine01", "changed") == 0);
    CHECK(task_skipped(again.out, "Run engine-setup unattended (stops the engine, updates it and its database, starts it)",
                       "engine01"));

    // A reboot the update left pending: only reported when the operator opts out...
    write_file(e.path("engine01", "/var/lib/upkeep-sandbox/reboot-required"), "kernel\n");
    Run warn = e.play(pb, "-e ovirt_reboot=false");
    INFO(warn.out);
    CHECK(warn.rc == 0);
    CHECK(warn.out.find("REBOOT NEEDED") != std::string::npos);
    CHECK(recap(warn.out, "engine01", "changed") == 0);
    // ...else the reboot module reboots (the sandbox's reboot: a new boot id) and waits.
    std::string boot = e.file("engine01", "/run/boot_id");
    Run reboot = e.play(pb);
    INFO(reboot.out);
    CHECK(reboot.rc == 0);
    CHECK(task_changed(reboot.out, "Reboot (the kernel changed) and wait for the engine host to come back", "engine01"));
    CHECK(e.file("engine01", "/run/boot_id") != boot);
    CHECK_FALSE(exists(e.path("engine01", "/var/lib/upkeep-sandbox/reboot-required")));
    CHECK(recap(e.play(pb).out, "engine01", "changed") == 0);
}

TEST_CASE("ovirt-hosts-rolling-update: one host at a time, maintenance required, reboot reported", "[seeds]") {
    SandboxEstate e;
    const std::string pb = "ovirt-hosts-rolling-update.yml";
    std::string before = e.snapshot();
    Run dry = e.play(pb, "--check --diff");
    INFO(dry.out);
    REQUIRE(dry.rc == 0);
    CHECK(e.snapshot() == before);

    Run real = e.play(pb, "--verify-convergence");
    INFO(real.out);
    REQUIRE(real.rc == 0);
    // ovh01 has updates and is in maintenance; ovh02/ovh03 are up to date.
    CHECK(task_output(real.out, "Require maintenance before updating").find("ok: [ovh01]") != std::string::npos);
    CHECK(task_skipped(real.out, "Require maintenance before updating", "ovh02"));
    // ovh03 waited for a reboot: rebooted (a new boot id) before the play moved on.
    std::string boot = e.file("ovh01", "/run/boot_id");
    CHECK(task_changed(real.out, "Reboot the host and wait for it (before the next host starts)", "ovh03"));
    CHECK(task_skipped(real.out, "Reboot the host and wait for it (before the next host starts)", "ovh01"));
    CHECK(e.file("ovh03", "/run/boot_id") != boot);
    CHECK(e.file("ovh01", "/run/boot_id") == boot);
    // serial: 1: each host has its own batch, in inventory order.
    size_t b1 = real.out.find("ok: [ovh01]"), b2 = real.out.find("ok: [ovh02]"), b3 = real.out.find("ok: [ovh03]");
    CHECK(b1 < b2);
    CHECK(b2 < b3);
    for (const char* h : {"ovh01", "ovh02"}) CHECK(recap(real.out, h, "changed") == 0);
    CHECK(recap(real.out, "ovh03", "changed") == 1);
    for (const char* h : {"ovh01", "ovh02", "ovh03"}) CHECK(recap(e.play(pb).out, h, "changed") == 0);

    // ovh02 gets updates while it still runs VMs: it fails, and ovh03 is never touched.
    write_file(e.path("ovh02", "/var/lib/upkeep-sandbox/yum-updates"), "vdsm.x86_64  4.30.40-1.el7  ovirt-4.3\n");
    Run stop = e.play(pb);
    INFO(stop.out);
    CHECK(stop.rc == 2);
    CHECK(recap(stop.out, "ovh02", "failed") == 1);
    CHECK(stop.out.find("ovh02 has package updates but is not ready") != std::string::npos);
    CHECK(stop.out.find("vm-web01") != std::string::npos);
    CHECK(stop.out.find("[ovh03]") == std::string::npos);
}

TEST_CASE("site.yml imports every seed playbook", "[seeds]") {
    SandboxEstate e;
    Run r = e.play("site.yml", "--list-tasks");
    INFO(r.out);
    CHECK(r.rc == 0);
    for (const char* t : {"Merge the operator's components.xml into the new packaged one",
                          "Point the agent at the new KVM resource class (the seed's sed -i step)",
                          "Run engine-setup unattended (stops the engine, updates it and its database, starts it)",
                          "Require maintenance before updating"})
        CHECK(r.out.find(t) != std::string::npos);
}

TEST_CASE("omit drops an argument, a check_mode probe under --check leaves the plan alone", "[seeds][e2e]") {
    TempDir dir;
    write_file(dir / "inventory.ini",
               "[web]\nh1\n[all:vars]\nansible_connection=sandbox\nupkeep_sandbox_root=roots/{{ inventory_hostname }}\n");
    write_file(dir / "roots/h1/etc/app.conf", "a=1\n");
    write_file(dir / "site.yml", R"(
- hosts: web
  gather_facts: false
  tasks:
    - name: probe
      lineinfile:
        path: /etc/app.conf
        line: b=2
        mode: "{{ wanted_mode | default(omit) }}"
      check_mode: true
      register: probe
    - name: real
      lineinfile:
        path: /etc/app.conf
        line: b=2
      when: probe.changed
)");
    for (const char* flags : {"--check", ""}) {
        Run r = upkeep::test::upkeep("play " + dir / "site.yml" + " -i " + dir / "inventory.ini " + flags);
        INFO(r.out);
        CHECK(r.rc == 0);
        // The probe changes nothing in either run: ok, but its registered result
        // says changed, so the task that reads it runs.
        CHECK_FALSE(task_changed(r.out, "probe", "h1"));
        CHECK(task_output(r.out, "probe").find("ok: [h1] (probe: would change)") != std::string::npos);
        CHECK(task_changed(r.out, "real", "h1"));
        CHECK(recap(r.out, "h1", "changed") == 1);
    }
    CHECK(read_file(dir / "roots/h1/etc/app.conf") == "a=1\nb=2\n");
}

TEST_CASE("extra vars reach the templates of play vars", "[seeds][e2e]") {
    TempDir dir;
    write_file(dir / "inventory.ini",
               "[web]\nh1\n[all:vars]\nansible_connection=sandbox\nupkeep_sandbox_root=roots/{{ inventory_hostname }}\n"
               "usage=yes\n");
    write_file(dir / "site.yml", R"(
- hosts: web
  gather_facts: false
  vars:
    with_usage: "{{ usage | bool }}"
    packages: "{{ ['mgmt', 'usage'] if with_usage else ['mgmt'] }}"
  tasks:
    - copy:
        dest: /packages
        content: "{{ packages | join(' ') }}"
)");
    Run r = upkeep::test::upkeep("play " + dir / "site.yml" + " -i " + dir / "inventory.ini -e usage=no");
    INFO(r.out);
    CHECK(r.rc == 0);
    CHECK(read_file(dir / "roots/h1/packages") == "mgmt");
}

TEST_CASE("site.yml: --check marks exactly the (host, task) pairs the real run changes", "[seeds][fidelity]") {
    // Issue 8.3: the dry run used to miss the starts after planned stops, and probes
    // counted as changes in a real run. Every seed playbook, every host of the sandbox.
    SandboxEstate e;
    Run dry = e.play("site.yml", "--check");
    INFO(dry.out);
    REQUIRE(dry.rc == 0);
    CHECK(task_output(dry.out, "Probe components.xml for a pending merge").find("ok: [mgmt01] (probe: would change)") !=
          std::string::npos);
    Run real = e.play("site.yml");
    INFO(real.out);
    REQUIRE(real.rc == 0);
    std::set<std::string> predicted = changed_pairs(dry.out), made = changed_pairs(real.out);
    CHECK(joined(predicted) == joined(made));
    CHECK(made.size() >= 30);
    CHECK(made.count("mgmt01 | Start cloudstack-management") == 1);
    CHECK(made.count("kvm01 | Restart libvirtd (the hook changed)") == 1);
    CHECK(made.count("kvm01 | Start cloudstack-agent") == 1);
    for (const auto& p : made) CHECK(p.find("Probe") == std::string::npos);
    // A command that really ran in the dry run (check_mode: false) is not "would run".
    CHECK(task_output(dry.out, "Check for an engine update (engine-upgrade-check)").find("would run") == std::string::npos);
    // Converged: the dry run and a second run find nothing left.
    CHECK(changed_pairs(e.play("site.yml", "--check").out).empty());
    CHECK(changed_pairs(e.play("site.yml").out).empty());
}

TEST_CASE("cloudstack-xenserver: vhd-util, the UI stop, the hotfix one host at a time, then 0 changes", "[seeds][xenserver]") {
    // A sandbox XenServer 6.0.2 pool (xs01 master, xs02 running a VM) with an `xe`
    // stand-in keeping the pool's patches; mgmt01/mgmt02 are the management servers.
    SandboxEstate e;
    write_file(e.dir / "inventory.ini",
               read_file(e.dir / "inventory.ini") +
                   "\n[xenserver_pool_master]\nxs01\n\n[xenserver_hosts]\nxs01\nxs02\n\n[xenserver_hosts:vars]\n"
                   "xs_root=$UPKEEP_ROOT\nxs_reboot_command=reboot-sandbox\nxs_boot_id_path=/run/boot_id\n"
                   "xs_reboot_timeout=30\n[xenserver_pool_master:vars]\nxs_root=$UPKEEP_ROOT\n");
    write_file(e.dir / "ctl/vhd-util", "#!/bin/sh\n# vhd-util from download.cloud.com\n");
    write_file(e.dir / "ctl/XS602E003.xsupdate", "XS602E003 hotfix\n");
    write_file(e.dir / "ctl/scripts/NFSSR.py", "# NFSSR.py of CloudStack 4.3\n");
    write_file(e.dir / "ctl/scripts/setupxenserver.sh",
               "#!/bin/sh\necho 'setupxenserver ran' >> \"$UPKEEP_ROOT/var/lib/xe-sandbox/log\"\n");
    write_file(e.dir / "ctl/scripts/make_migratable.sh", "#!/bin/sh\n");
    const std::string vars = "-e cloudstack_vhd_util_src=" + e.dir / "ctl/vhd-util" + " -e xs_hotfix_src=" +
                             e.dir / "ctl/XS602E003.xsupdate" + " -e xs_scripts_src=" + e.dir / "ctl/scripts";

    // 1. vhd-util reaches the management servers; the pool master stops at the UI step.
    Run first = e.play("cloudstack-xenserver.yml", vars);
    INFO(first.out);
    CHECK(first.rc != 0);
    CHECK(e.file("mgmt01", "/usr/share/cloudstack-common/scripts/vm/hypervisor/xenserver/vhd-util") ==
          "#!/bin/sh\n# vhd-util from download.cloud.com\n");
    CHECK(first.out.find("In the CloudStack UI: Infrastructure > Clusters > View All > the XenServer cluster > "
                         "Actions > Unmanage") != std::string::npos);
    CHECK(first.out.find("re-run with -e xs_cluster_unmanaged=true") != std::string::npos);
    CHECK(e.file("xs01", "/var/lib/xe-sandbox/log").empty());

    // 2. Unmanaged: VLANs cleaned and the upgrade prepared once, the hotfix uploaded to the
    // pool; xs01 patched, its scripts copied, rebooted, set up, PBDs plugged; xs02 stops
    // because a VM still runs there.
    Run second = e.play("cloudstack-xenserver.yml", vars + " -e xs_cluster_unmanaged=true");
    INFO(second.out);
    CHECK(second.rc != 0);
    CHECK(e.file("xs01", "/tmp/XS602E003.xsupdate") == "XS602E003 hotfix\n");
    CHECK(read_file(e.dir / "state/xs-pool/patch-XS602E003.hosts") == "uuid-host-xs01\n");
    CHECK(e.file("xs01", "/opt/xensource/sm/NFSSR.py") == "# NFSSR.py of CloudStack 4.3\n");
    CHECK(e.file("xs01", "/var/lib/xe-sandbox/log") ==
          "cloud-clean-vlan ran\ncloud-prepare-upgrade ran\nsetupxenserver ran\nplugged pbd-1\nplugged pbd-2\n");
    CHECK(e.file("xs01", "/run/boot_id") != "sandbox-xs-boot-1\n");
    CHECK(second.out.find("xs02 still runs vm-web02: live migrate them") != std::string::npos);
    CHECK(e.file("xs02", "/opt/xensource/sm/NFSSR.py") == "# NFSSR.py of XenServer 6.0.2\n");

    // 3. The operator migrated the VM: xs02 gets the hotfix; xs01 and the once-steps stay.
    write_file(e.path("xs02", "/var/lib/xe-sandbox/vms"), "");
    Run third = e.play("cloudstack-xenserver.yml", vars + " -e xs_cluster_unmanaged=true");
    INFO(third.out);
    CHECK(third.rc == 0);
    CHECK(recap(third.out, "xs01", "changed") == 0);
    CHECK(read_file(e.dir / "state/xs-pool/patch-XS602E003.hosts") == "uuid-host-xs01,uuid-host-xs02\n");
    CHECK(e.file("xs02", "/var/lib/xe-sandbox/log") == "setupxenserver ran\nplugged pbd-1\nplugged pbd-2\n");
    CHECK(third.out.find("xs02 has XS602E003. When every host of the pool has it: CloudStack UI") != std::string::npos);
    Run again = e.play("cloudstack-xenserver.yml", vars + " -e xs_cluster_unmanaged=true");
    INFO(again.out);
    CHECK(again.rc == 0);
    for (const char* h : {"mgmt01", "mgmt02", "xs01", "xs02"}) CHECK(recap(again.out, h, "changed") == 0);
}
