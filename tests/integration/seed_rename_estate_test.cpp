// The seed's "Upgrade from 3.0.x to 4.3" on a host that starts from the OLD
// package names: cloud-client and cloud-usage 3.0.7 (service cloud-management,
// cloud-usage; config in /etc/cloud/management) become cloudstack-management and
// cloudstack-usage 4.3.0 (config in /etc/cloudstack/management) through `yum
// upgrade`'s Obsoletes. The RPMs are built here and behave as CloudStack's own
// (packaging/centos63/cloud.spec): the 4.3 %pre moves /etc/cloud to
// /etc/cloud.rpmsave, its %post copies the operator's db.properties and key into
// the new tree and leaves the packaged db.properties as .rpmnew.
//
// The hard part is the dry run: before the install /etc/cloudstack does not exist,
// so --check cannot read what the merges and the xml edit work on. The dnf module
// notes the new package's files (repo metadata), and those tasks are planned as
// "depends on the install of cloudstack-management 4.3.0-1 (replacing cloud-client
// 3.0.7-1)": the set of (host, task) --check marks changed is compared with the
// real run's, any difference listed below with its reason.
//
// The seed's "Upgrade from 2.2.14 to 4.3" runs in the same estate run (host mgmt22,
// a second management server): cloud-client 2.2.14 had no encryption, so after the
// rename and the db.properties merge the playbook runs 4.3's
// cloudstack-setup-encryption (tests/fixtures/cloudstack43, a Python script as
// CloudStack's, calling the real jasypt CLI) once: it writes the key file and turns
// db.properties' passwords into ENC(...).
//
// The opt-in system VM restart (cloudstack_restart_system_vms) runs there too:
// 4.3's cloudstack-sysvmadm (bash, as CloudStack's) queries the cloud database.
#include <catch2/catch.hpp>

#include <chrono>
#include <functional>
#include <map>
#include <thread>

#include "engine/util/strings.hpp"
#include "tests/support/cloudstack_estate.hpp"
#include "tests/support/cloudstack_rename_packages.hpp"
#include "tests/support/estate_lab.hpp"
#include "tests/support/jasypt_java.hpp"
#include "tests/support/mariadb_lab.hpp"
#include "tests/support/test_support.hpp"

using namespace upkeep;
using namespace upkeep::test;

namespace {

const std::string k_merge = std::string(UPKEEP_TEST_FIXTURES) + "/merge/";
const std::string k_key = "estate-mgmt-KEY-30";
const std::string k_vcenter_pw = "vC3nter!pw";
// mgmt22's keys for cloudstack-setup-encryption and its 2.2.14 plaintext passwords.
const std::string k_key22 = "mgmt22-MS-key";
const std::string k_dbkey22 = "mgmt22-DB-key";
const std::string k_db_pw22 = "Cl0ud-22!pw";
const std::string k_usage_pw22 = "Us4ge-22#pw";

// One CentOS-like host running CloudStack 3.0 (management, usage, database master)
// and the cloud's MariaDB; with `full`, also a KVM host (apt) and a second
// management server still on 2.2.14 (dnf).
class RenameEstate : public EstateLab {
public:
    // `source`: the release the playbook is told it upgrades from (3.0, or 4.0: the
    // same cloud-* names, but its components.xml edits are carried over by hand).
    // `full`: add kvm30, a KVM host with only cloud-agent 3.0.7 (apt), and mgmt22, a
    // management server with cloud-client 2.2.14, a plaintext db.properties and no key.
    explicit RenameEstate(const std::string& source = "3.0", bool full = false)
        : EstateLab(full ? 3 : 1, {"cloud-management", "cloud-usage", "cloudstack-management", "cloudstack-usage",
                                   "cloud-agent", "cloudstack-agent", "libvirtd"}) {
        m_db.sql(k_cloudstack_schema);
        for (int h : full ? std::vector<int>{0, 2} : std::vector<int>{0}) pose_as_centos(h, rpm_url());
        std::vector<std::function<CommandResult()>> jobs = {
            [this] { return run_fresh(0, dnf_install_line("estate-base cloud-client-3.0.7 cloud-usage-3.0.7")); }};
        if (full) {
            // libvirtd: a stand-in daemon that logs each start with the hook it saw.
            put(1, "/etc/init.d/libvirtd", init_script("libvirtd", "/usr/sbin/libvirtd-standin",
                                                       "    echo \"start hook=$(md5sum < /etc/libvirt/hooks/qemu 2>/dev/null | cut -c1-8)\""
                                                       " >> /var/log/libvirtd-starts\n"));
            jobs.push_back([this] {
                return run_fresh(1, "chmod 755 /etc/init.d/libvirtd && cp /bin/sleep /usr/sbin/libvirtd-standin && " +
                                        apt_install_line(apt_line(), "cloud-agent=3.0.7") +
                                        " && service libvirtd start && service cloud-agent start");
            });
            jobs.push_back([this] { return run_fresh(2, dnf_install_line("estate-base cloud-client-2.2.14")); });
        }
        require_all(concurrently(jobs));  // the hosts' installs are independent: at the same time
        // The operator's 3.0 customisations, its key, and the pristine 3.0 files (3-way merge).
        put(0, "/etc/cloud/management/components.xml", read_file(k_merge + "components/ours.xml"));
        put(0, "/etc/cloud/management/db.properties", read_file(k_merge + "db/ours.properties"));
        put(0, "/etc/cloud/management/key", k_key + "\n");
        put(0, "/var/lib/upkeep/cloudstack-3.0-pristine/components.xml", read_file(k_merge + "components/base.xml"));
        put(0, "/var/lib/upkeep/cloudstack-3.0-pristine/db.properties", read_file(k_merge + "db/base.properties"));
        run(0, "service cloud-management start && service cloud-usage start");
        // cloudstack-sysvmadm's mysql calls take the database's port from here (the tool
        // has no option for it; the lab's MariaDB is not on 3306).
        if (full) put(0, "/root/.my.cnf", "[client]\nport=" + std::to_string(m_db.port()) + "\n");
        if (full) {
            // The operator's 2.2.14 files: its components.xml edits and plaintext
            // db.properties (2.2.14 had no encryption: no key file), and the pristine ones.
            put(2, "/etc/cloud/management/components.xml", read_file(k_merge + "components/ours.xml"));
            put(2, "/etc/cloud/management/db.properties", read_file(k_merge + "db22/ours.properties"));
            put(2, "/var/lib/upkeep/cloudstack-2.2-pristine/components.xml", read_file(k_merge + "components/base.xml"));
            put(2, "/var/lib/upkeep/cloudstack-2.2-pristine/db.properties", read_file(k_merge + "db22/base.properties"));
            run(2, "service cloud-management start");
        }
        write_inventory(
            inventory_head() +
            "    cloudstack_repo_url: '" + rpm_url() + "'\n"
            "    cloudstack_apt_line: '" + apt_line() + "'\n"
            "    cloudstack_source_version: '" + source + "'\n"
            "    cloudstack_merge_base_dir: /var/lib/upkeep/cloudstack-3.0-pristine\n" +
            cloudstack_db_inventory_vars(m_db.port(), k_vcenter_pw) +
            (full ? "    cloudstack_restart_system_vms: true\n" : "") +
            "  children:\n"
            "    cloudstack_management:\n      hosts:\n        mgmt30: {ansible_host: " + address(0) + "}\n" +
            (full ? "        mgmt22:\n          ansible_host: " + address(2) + "\n"
                    "          cloudstack_source_version: '2.2'\n"
                    "          cloudstack_merge_base_dir: /var/lib/upkeep/cloudstack-2.2-pristine\n"
                    "          cloudstack_management_server_key: '" + k_key22 + "'\n"
                    "          cloudstack_database_key: '" + k_dbkey22 + "'\n"
                  : std::string()) +
            "    cloudstack_usage:\n      hosts:\n        mgmt30:\n"
            "    cloudstack_db:\n      hosts:\n        mgmt30:\n" +
            (full ? "    kvm_hosts:\n      hosts:\n        kvm30: {ansible_host: " + address(1) + ", libvirt_verify: false}\n"
                  : std::string()));
    }

    MariaDbLab& db() { return m_db; }
    std::string rpm_url() const { return "file://" + RenameRpms::get().repo(); }
    std::string apt_line() const { return RenameDebs::get().apt_line(); }

private:
    MariaDbLab m_db;
};

}  // namespace

// A management server's db.properties as key -> value.
std::map<std::string, std::string> properties(const std::string& text) {
    std::map<std::string, std::string> out;
    for (const auto& line : split(text, '\n')) {
        size_t eq = line.find('=');
        if (!line.empty() && line[0] != '#' && eq != std::string::npos) out[line.substr(0, eq)] = line.substr(eq + 1);
    }
    return out;
}

// "ENC(x)" -> x, else "".
std::string enc_inner(const std::string& v) {
    return starts_with(v, "ENC(") && v.back() == ')' ? v.substr(4, v.size() - 5) : std::string();
}

TEST_CASE("site.yml upgrades a CloudStack 3.0 host from the cloud-client names to cloudstack-management 4.3", "[seeds][estate]") {
    RenameEstate e("3.0", true);
    REQUIRE(e.rpm_version(0, "cloud-client") == "3.0.7");
    REQUIRE(e.rpm_version(2, "cloud-client") == "2.2.14");
    REQUIRE(e.get(2, "/etc/cloud/management/key") == "<missing>");
    REQUIRE(e.deb_version(1, "cloud-agent") == "3.0.7 ii");
    REQUIRE(e.try_run(1, "pgrep -x jsvc").rc == 0);
    REQUIRE(e.try_run(0, "service cloud-management status").rc == 0);

    Run dry = e.play("--check --diff --report-json " + e.dir() / "dry.json");
    INFO(dry.out);
    REQUIRE(dry.rc == 0);
    // Read-only: still 3.0 under the old names, running, the new tree absent.
    CHECK(e.rpm_version(0, "cloud-client") == "3.0.7");
    CHECK(e.try_run(0, "service cloud-management status").rc == 0);
    CHECK(e.get(0, "/etc/cloudstack/management/components.xml") == "<missing>");
    CHECK(e.db().sql("SELECT value FROM cloud.cluster_details WHERE id = 3") == k_vcenter_pw + "\n");
    CHECK(e.rpm_version(2, "cloud-client") == "2.2.14");
    CHECK(e.get(2, "/etc/cloud/management/db.properties") == read_file(k_merge + "db22/ours.properties"));
    CHECK(e.try_run(2, "test -e /etc/cloudstack").rc != 0);
    // The keys of cloudstack-setup-encryption never show (no_log).
    CHECK(dry.out.find(k_key22) == std::string::npos);
    CHECK(dry.out.find(k_dbkey22) == std::string::npos);
    // The rename as the package manager plans it, and what depends on it, said so.
    const std::string why = "the install of cloudstack-management 4.3.0-1 (replacing cloud-client 3.0.7-1)";
    CHECK(dry.out.find("install cloudstack-management 4.3.0-1 (replacing cloud-client 3.0.7-1)") != std::string::npos);
    CHECK(dry.out.find("install cloudstack-usage 4.3.0-1 (replacing cloud-usage 3.0.7-1)") != std::string::npos);
    // Exactly the tasks that work on the new /etc/cloudstack trees depend on the installs
    // (apt names no replaced package: its "replacing" is dnf's).
    const std::string agent_why = "the install of cloudstack-agent 4.3.0";
    const std::string why22 = "the install of cloudstack-management 4.3.0-1 (replacing cloud-client 2.2.14-1)";
    const std::map<std::string, std::string> depends = depends_on_pairs(e.dir() / "dry.json");
    CHECK(depends == std::map<std::string, std::string>{
                         {"mgmt30 | Merge the operator's components.xml into the new packaged one", why},
                         {"mgmt30 | Merge the operator's db.properties into the new packaged one", why},
                         {"mgmt30 | Make PlainTextUserAuthenticator the first entry of userAuthenticators", why},
                         {"mgmt22 | Merge the operator's components.xml into the new packaged one", why22},
                         {"mgmt22 | Merge the operator's db.properties into the new packaged one", why22},
                         {"mgmt22 | Make PlainTextUserAuthenticator the first entry of userAuthenticators", why22},
                         {"kvm30 | Point the agent at the new KVM resource class (the seed's sed -i step)", agent_why},
                         {"kvm30 | Ensure paths.script in environment.properties", agent_why},
                         {"kvm30 | Check the agent's bridge names (they exist on the host) before it starts", agent_why},
                         {"kvm30 | Install the CloudStack qemu hook", agent_why}});
    CHECK(e.deb_version(1, "cloud-agent") == "3.0.7 ii");
    CHECK(e.try_run(1, "service cloud-agent status").rc == 0);
    // A command the dry run really ran (check_mode: false) is not shown as "would run".
    size_t pgrep = dry.out.find("TASK [Look for a running jsvc");
    REQUIRE(pgrep != std::string::npos);
    std::string pgrep_block = dry.out.substr(pgrep, dry.out.find("TASK [", pgrep + 1) - pgrep);
    CHECK(pgrep_block.find("would run") == std::string::npos);
    CHECK(pgrep_block.find("pgrep -x jsvc: ran") != std::string::npos);

    Run real = e.play("--report-json " + e.dir() / "real.json");
    INFO(real.out);
    REQUIRE(real.rc == 0);
    std::set<std::string> predicted = changed_pairs(e.dir() / "dry.json"), made = changed_pairs(e.dir() / "real.json");
    // The dry run and the real run agree on every (host, task) but these, each for a
    // reason a dry run cannot overcome (both directions are listed, and each listed
    // pair must really differ, so the list cannot go stale):
    const std::map<std::string, std::string> expected_only_predicted = {
        {"kvm30 | Check the agent's bridge names (they exist on the host) before it starts",
         "before the install there is no /etc/cloudstack/agent/agent.properties to check, so the dry run plans the "
         "check as depending on the install; the real check then only verifies (no bridge is renamed here)"},
    };
    const std::map<std::string, std::string> expected_only_made = {
        {"kvm30 | Take the packaged log4j-cloud.xml (Ubuntu, mv log4j-cloud.xml.dpkg-dist)",
         "the .dpkg-dist is left by cloudstack-agent's postinst (it copies the 3.0 file over the packaged one): "
         "a maintainer script's doing, which no dry run sees; the package's own files are noted"},
    };
    std::set<std::string> p2 = predicted, m2 = made;
    for (const auto& [pair, reason] : expected_only_predicted) {
        INFO(pair << ": " << reason);
        CHECK((predicted.count(pair) == 1 && made.count(pair) == 0));
        p2.erase(pair);
    }
    for (const auto& [pair, reason] : expected_only_made) {
        INFO(pair << ": " << reason);
        CHECK((made.count(pair) == 1 && predicted.count(pair) == 0));
        m2.erase(pair);
    }
    INFO("predicted by --check but not changed:\n" << missing_from(predicted, made)
                                                   << "changed but not predicted by --check:\n" << missing_from(made, predicted));
    CHECK(p2 == m2);
    for (const char* task : {"Merge the operator's components.xml into the new packaged one",
                             "Merge the operator's db.properties into the new packaged one",
                             "Make PlainTextUserAuthenticator the first entry of userAuthenticators",
                             "Stop cloudstack-management (upgrade pending)", "Stop cloudstack-usage (upgrade pending)",
                             "Start cloudstack-management", "Start cloudstack-usage"})
        CHECK(made.count(std::string("mgmt30 | ") + task) == 1);
    const std::string encryption_task = "mgmt22 | Set up encryption (2.2.14, cloudstack-setup-encryption)";
    CHECK(made.count(encryption_task) == 1);
    CHECK(predicted.count(encryption_task) == 1);
    CHECK(made.count("mgmt30 | Set up encryption (2.2.14, cloudstack-setup-encryption)") == 0);
    CHECK(real.out.find(k_key22) == std::string::npos);
    CHECK(real.out.find(k_dbkey22) == std::string::npos);
    CHECK(recap(real.out, "mgmt22", "failed") == 0);
    CHECK(recap(real.out, "mgmt30", "failed") == 0);
    CHECK(recap(real.out, "kvm30", "failed") == 0);

    // The new names are installed, the old ones gone (obsoleted).
    CHECK(e.rpm_version(0, "cloudstack-management") == "4.3.0");
    CHECK(e.rpm_version(0, "cloudstack-usage") == "4.3.0");
    CHECK(e.try_run(0, "rpm -q cloud-client").rc != 0);
    CHECK(e.try_run(0, "rpm -q cloud-usage").rc != 0);
    // The operator's 3.0 components.xml (left in /etc/cloud.rpmsave by the 4.3 %pre) is
    // merged into the packaged 4.3 file and kept as -backup; db.properties (copied over
    // by the %post, the packaged one as .rpmnew) merged the same way; the key carried.
    CHECK(e.get(0, "/etc/cloudstack/management/components.xml") == read_file(k_merge + "components/expected.xml"));
    CHECK(e.get(0, "/etc/cloudstack/management/db.properties") == read_file(k_merge + "db/expected.properties"));
    CHECK(e.get(0, "/etc/cloudstack/management/db.properties.rpmnew") == "<missing>");
    CHECK(e.get(0, "/etc/cloud.rpmsave/management/components.xml-backup") == read_file(k_merge + "components/ours.xml"));
    CHECK(e.get(0, "/etc/cloud.rpmsave/management/components.xml") == "<missing>");
    CHECK(e.get(0, "/etc/cloudstack/management/key") == k_key + "\n");
    CHECK(e.get(0, "/etc/cloudstack/management/componentContext.xml").find("<ref bean=\"PlainTextUserAuthenticator\"/>") !=
          std::string::npos);
    // The vCenter passwords, encrypted with the key the 3.0 server had: the real jasypt agrees.
    std::vector<JasyptOp> ops;
    for (const auto& v : split(trim(e.db().sql("SELECT value FROM cloud.cluster_details WHERE name = 'password' "
                                               "UNION ALL SELECT password FROM cloud.vmware_data_center")), '\n'))
        ops.push_back({false, k_key, v});
    REQUIRE(ops.size() == 3);
    for (const auto& o : java_jasypt(ops)) {
        CHECK(o.ok);
        CHECK(o.value == k_vcenter_pw);
    }
    // The services run under the new names, the old daemons are gone.
    CHECK(e.try_run(0, "service cloudstack-management status").rc == 0);
    CHECK(e.try_run(0, "service cloudstack-usage status").rc == 0);
    CHECK(e.try_run(0, "pgrep -f '^/usr/lib/cloud/management/[j]ava'").rc != 0);
    CHECK(e.try_run(0, "pgrep -f '^/usr/lib/cloud/usage/[j]ava'").rc != 0);
    CHECK(e.get(0, "/var/backups/cloudstack/cloudstack-before-4.3.sql").find("'vC3nter!pw'") != std::string::npos);

    // The opt-in system VM restart: the integration API port opened, then
    // cloudstack-sysvmadm run once, detached, with the database password from the
    // environment: its queries of the cloud database worked (no running system VM or
    // router in this cloud), and the password is in no output of upkeep.
    CHECK(e.db().sql("SELECT value FROM cloud.configuration WHERE name = 'integration.api.port'") == "8096\n");
    CHECK(made.count("mgmt30 | Restart the system VMs (cloudstack-sysvmadm, detached: it takes an hour or more)") == 1);
    CHECK(made.count("mgmt30 | Open the integration API port for cloudstack-sysvmadm (opt-in)") == 1);
    const std::string sysvm_log_path = "/var/log/cloudstack/sysvm-4.3.log";
    std::string sysvm_log;
    for (int i = 0; i < 100 && sysvm_log.find("routing vm") == std::string::npos; ++i) {
        if (i) std::this_thread::sleep_for(std::chrono::milliseconds(100));  // it runs detached
        sysvm_log = e.get(0, sysvm_log_path);
    }
    INFO(sysvm_log);
    CHECK(sysvm_log.find("Stopping and starting 0 secondary storage vm(s)...\nNo running secondary storage vms found") !=
          std::string::npos);
    CHECK(sysvm_log.find("No running console proxy vms found") != std::string::npos);
    CHECK(sysvm_log.find("No running routing vms found") != std::string::npos);
    CHECK(sysvm_log.find("ERROR") == std::string::npos);
    CHECK(real.out.find(MariaDbLab::k_password) == std::string::npos);

    // mgmt22 (2.2.14): renamed, the operator's files merged, then cloudstack-setup-encryption
    // (4.3's, run by the playbook) wrote the key and encrypted db.properties' passwords:
    // the real jasypt decrypts them with that key to the 2.2.14 plaintext ones.
    CHECK(e.rpm_version(2, "cloudstack-management") == "4.3.0");
    CHECK(e.try_run(2, "rpm -q cloud-client").rc != 0);
    CHECK(e.get(2, "/etc/cloudstack/management/components.xml") == read_file(k_merge + "components/expected.xml"));
    CHECK(e.get(2, "/etc/cloudstack/management/key") == k_key22);
    CHECK(e.get(2, "/etc/cloudstack/management/db.properties.origin") == "<missing>");
    std::map<std::string, std::string> props = properties(e.get(2, "/etc/cloudstack/management/db.properties"));
    CHECK(props["db.cloud.encryption.type"] == "file");
    CHECK(props["db.cloud.host"] == "db1.example.org");  // the operator's value kept by the merge
    CHECK(props["db.cloud.maxActive"] == "400");
    CHECK(props["region.id"] == "1");  // 4.3's new key, from the packaged file
    std::vector<std::string> secrets = {props["db.cloud.password"], props["db.usage.password"], props["db.cloud.encrypt.secret"]};
    std::vector<JasyptOp> ops22;
    for (const auto& v : secrets) {
        INFO(v);
        CHECK(!enc_inner(v).empty());
        ops22.push_back({false, k_key22, enc_inner(v)});
    }
    std::vector<JasyptOutcome> plain22 = java_jasypt(ops22);
    REQUIRE(plain22.size() == 3);
    CHECK(plain22[0].value == k_db_pw22);
    CHECK(plain22[1].value == k_usage_pw22);
    CHECK(plain22[2].value == k_dbkey22);
    CHECK(e.try_run(2, "service cloudstack-management status").rc == 0);
    const std::string db22_after = e.get(2, "/etc/cloudstack/management/db.properties");

    // KVM: cloudstack-agent replaced cloud-agent (then purged), the 3.0 settings carried
    // over by its postinst and edited for 4.3, the packaged log4j taken, the hook in
    // place before libvirtd's last start, the bridge tool run once, the agent (jsvc) running.
    CHECK(e.deb_version(1, "cloudstack-agent") == "4.3.0 ii");
    CHECK(e.deb_version(1, "cloud-agent").find("ii") == std::string::npos);
    CHECK(e.try_run(1, "dpkg-query -W -f='${db:Status-Abbrev}' cloud-agent 2>/dev/null | grep -q '^[ir]'").rc != 0);
    CHECK(e.get(1, "/etc/cloudstack/agent/agent.properties") ==
          "resource=com.cloud.hypervisor.kvm.resource.LibvirtComputingResource\nworkers=5\n");
    CHECK(e.get(1, "/etc/cloudstack/agent/environment.properties") ==
          "paths.pid=/var/run\npaths.script=/usr/share/cloudstack-common\n");
    CHECK(e.get(1, "/etc/cloudstack/agent/log4j-cloud.xml") == "<log4j:configuration><!-- 4.3.0 --></log4j:configuration>\n");
    CHECK(e.get(1, "/etc/cloudstack/agent/log4j-cloud.xml.dpkg-dist") == "<missing>");
    CHECK(e.get(1, "/etc/libvirt/hooks/qemu") == "#!/usr/bin/python\n# CloudStack 4.3.0 qemu hook\n");
    std::string hook_md5 = trim(e.run(1, "md5sum < /etc/libvirt/hooks/qemu | cut -c1-8"));
    std::string starts = e.get(1, "/var/log/libvirtd-starts");
    CHECK(starts.substr(starts.rfind("start hook=")) == "start hook=" + hook_md5 + "\n");
    CHECK(e.get(1, "/var/lib/upkeep/cloudstack-agent-upgrade.done") == "");
    CHECK(e.try_run(1, "service cloudstack-agent status").rc == 0);
    CHECK(e.try_run(1, "pgrep -x jsvc").rc == 0);

    // Converged: a dry run and a second run find nothing to do.
    check_converged(e, {"mgmt30", "kvm30", "mgmt22"});
    // cloudstack-setup-encryption ran once: the second run left the key and the
    // encrypted db.properties as they were (a second run would encrypt twice).
    CHECK(e.get(2, "/etc/cloudstack/management/key") == k_key22);
    CHECK(e.get(2, "/etc/cloudstack/management/db.properties") == db22_after);
    CHECK(e.get(0, sysvm_log_path) == sysvm_log);  // the system VMs restarted once
    CHECK(e.run(1, "wc -l < /var/log/cloudstack-agent-upgrade.log") == "1\n");  // once
}

// 4.0.x: components.xml and 4.3's componentContext.xml differ in format, so the seed
// has the operator carry the edits over by hand. The playbook keeps a copy of the 4.0
// file before the install (afterwards the 4.3 %pre has moved /etc/cloud away), stops
// after the install until the operator confirms, then finishes.
TEST_CASE("site.yml stops a CloudStack 4.0 host after the rename until components.xml is carried over", "[seeds][estate]") {
    RenameEstate e("4.0");
    Run dry = e.play("--check");
    INFO(dry.out);
    CHECK(dry.rc != 0);  // the dry run shows where the real run will stop
    CHECK(dry.out.find("Upgrading from 4.0.x: carry your /etc/cloud/management/components.xml changes") != std::string::npos);
    CHECK(e.rpm_version(0, "cloud-client") == "3.0.7");

    Run stopped = e.play();
    INFO(stopped.out);
    CHECK(stopped.rc != 0);
    CHECK(stopped.out.find("(a copy is in /etc/cloud.rpmsave/management/components.xml-backup)") != std::string::npos);
    CHECK(e.rpm_version(0, "cloudstack-management") == "4.3.0");
    CHECK(e.get(0, "/etc/cloud.rpmsave/management/components.xml-backup") == read_file(k_merge + "components/ours.xml"));
    CHECK(e.try_run(0, "service cloudstack-management status").rc != 0);  // not started before the carry-over

    Run done = e.play("-e cloudstack_components_carried_over=true");
    INFO(done.out);
    REQUIRE(done.rc == 0);
    CHECK(e.get(0, "/etc/cloudstack/management/db.properties") == read_file(k_merge + "db/expected.properties"));
    CHECK(e.get(0, "/etc/cloudstack/management/components.xml") == read_file(k_merge + "components/new.xml"));
    CHECK(e.try_run(0, "service cloudstack-management status").rc == 0);
    Run again = e.play("-e cloudstack_components_carried_over=true");
    INFO(again.out);
    CHECK(again.rc == 0);
    CHECK(recap(again.out, "mgmt30", "changed") == 0);
}
