// The seed upgrade (CloudStack 4.2 -> 4.3) end to end on an estate of real
// parts, all started by the test: two lab hosts (sshd in copy-on-write roots,
// tests/support/sshd_lab), CloudStack-shaped .debs built here with dpkg-deb
// (4.2.0 and 4.3.0, the old cloud-agent name too) whose config files are real
// conffiles holding the CloudStack files, local apt repositories, small real
// daemons behind SysV init scripts (the agent runs as a process named jsvc, a
// libvirtd stand-in records every start), and a MariaDB with the tables the seed
// touches, seeded with 4.2-era rows and plaintext vCenter passwords. Then
// `upkeep play playbooks/site.yml` must leave the target versions, merged files
// byte for byte, passwords that the real jasypt decrypts, the hook in place
// before libvirtd's last start, services running; --check and a second run
// report 0 changes.
//
// Both package families: the apt hosts get .debs (conffiles, .dpkg-dist), a
// yum-family host gets RPMs built with rpmbuild (%config(noreplace), .rpmnew) from a
// createrepo_c repository, installed with dnf in its own root.
#include <catch2/catch.hpp>

#include <map>
#include <set>

#include "engine/util/strings.hpp"
#include "tests/support/cloudstack_estate.hpp"
#include "tests/support/estate_lab.hpp"
#include "tests/support/estate_packages.hpp"
#include "tests/support/jasypt_java.hpp"
#include "tests/support/mariadb_lab.hpp"
#include "tests/support/test_support.hpp"

using namespace upkeep;
using namespace upkeep::test;

namespace {

const std::string k_repo_root = std::string(UPKEEP_TEST_FIXTURES) + "/../..";
const std::string k_merge = std::string(UPKEEP_TEST_FIXTURES) + "/merge/";
const std::string k_key = "estate-mgmt-KEY-42";
const std::string k_vcenter_pw = "vC3nter!pw";


// The .debs, 4.2.0 and 4.3.0 side by side in one local repository (the
// operator's mirror after 4.3 was published: a dry run can only see a release
// its apt lists know, so the lists are fetched before the run).
class CloudStackDebs {
public:
    static const CloudStackDebs& get() {
        static const CloudStackDebs debs;
        return debs;
    }
    std::string apt_line() const { return m_debs.apt_line(); }

private:
    CloudStackDebs() {
        const std::string mgmt_log =
            "    mkdir -p /var/log/cloudstack/management\n"
            "    echo \"INFO [c.c.u.DatabaseUpgradeChecker] (main:null) Code Version = $(cat "
            "/usr/share/cloudstack-management/VERSION)\" >> /var/log/cloudstack/management/management-server.log\n"
            "    echo 'INFO [o.a.c.s.l.CloudStackExtendedLifeCycle] (main:null) Done Configuring CloudStack Components'"
            " >> /var/log/cloudstack/management/management-server.log\n";
        std::string ctx = read_file(k_repo_root + "/playbooks/sandbox/seed/mgmt-server/etc/cloudstack/management/componentContext.xml");
        for (const char* v : {"4.2.0", "4.3.0"}) {
            bool new_release = std::string(v) == "4.3.0";
            m_debs.build("cloudstack-management", v,
                         {{"/etc/cloudstack/management/components.xml", read_file(k_merge + (new_release ? "components/new.xml" : "components/base.xml")), true},
                          {"/etc/cloudstack/management/db.properties", read_file(k_merge + (new_release ? "db/new.properties" : "db/base.properties")), true},
                          {"/etc/cloudstack/management/componentContext.xml", ctx, true},
                          {"/usr/share/cloudstack-management/VERSION", std::string(v) + "\n"},
                          {"/etc/init.d/cloudstack-management", init_script("cloudstack-management", "/usr/lib/cloudstack-management/java", mgmt_log)},
                          {"/usr/lib/cloudstack-management/java", ""}});
            m_debs.build("cloudstack-usage", v,
                         {{"/etc/init.d/cloudstack-usage", init_script("cloudstack-usage", "/usr/lib/cloudstack-usage/java")},
                          {"/usr/lib/cloudstack-usage/java", ""}},
                         {.depends = "cloudstack-management"});
            std::string agent = new_release ? "resource=com.cloud.hypervisor.kvm.resource.LibvirtComputingResource\nworkers=5\n"
                                            : "resource=com.cloud.agent.resource.computing.LibvirtComputingResource\nworkers=5\n";
            m_debs.build("cloudstack-agent", v,
                         {{"/etc/cloudstack/agent/agent.properties", agent, true},
                          {"/etc/cloudstack/agent/environment.properties", "paths.pid=/var/run\n", true},
                          {"/etc/cloudstack/agent/log4j-cloud.xml", std::string("<log4j:configuration><!-- ") + v + " --></log4j:configuration>\n", true},
                          {"/usr/share/cloudstack-agent/lib/libvirtqemuhook", std::string("#!/usr/bin/python\n# CloudStack ") + v + " qemu hook\n"},
                          {"/etc/init.d/cloudstack-agent", init_script("cloudstack-agent", "/usr/bin/jsvc")},
                          {"/usr/bin/jsvc", ""}},
                         {.replaces = new_release ? "cloud-agent" : ""});
        }
        // The 4.0-era name of the agent, replaced by cloudstack-agent 4.3.
        m_debs.build("cloud-agent", "4.0.2",
                     {{"/etc/cloud/agent/agent.properties", "resource=com.cloud.agent.resource.computing.LibvirtComputingResource\n", true}});
        m_debs.finish();
    }

    DebRepo m_debs;
};

// The yum/dnf side: cloudstack-management 4.2.0 and 4.3.0 as noarch RPMs whose
// config files are %config(noreplace), in one createrepo_c repository.
class CloudStackRpms {
public:
    static const CloudStackRpms& get() {
        static const CloudStackRpms rpms;
        return rpms;
    }
    std::string repo_url() const { return "file://" + m_rpms.repo(); }

private:
    CloudStackRpms() {
        std::string ctx = read_file(k_repo_root + "/playbooks/sandbox/seed/mgmt-server/etc/cloudstack/management/componentContext.xml");
        for (const char* v : {"4.2.0", "4.3.0"}) {
            bool new_release = std::string(v) == "4.3.0";
            m_rpms.build("cloudstack-management", v, "1",
                         {{"/etc/cloudstack/management/components.xml", read_file(k_merge + (new_release ? "components/new.xml" : "components/base.xml")), true},
                          {"/etc/cloudstack/management/db.properties", read_file(k_merge + (new_release ? "db/new.properties" : "db/base.properties")), true},
                          {"/etc/cloudstack/management/componentContext.xml", ctx, true},
                          {"/etc/init.d/cloudstack-management",
                           init_script("cloudstack-management", "/usr/lib/cloudstack-management/java",
                                       "    mkdir -p /var/log/cloudstack/management\n"
                                       "    echo 'INFO [o.a.c.s.l.CloudStackExtendedLifeCycle] (main:null) Done "
                                       "Configuring CloudStack Components' >> "
                                       "/var/log/cloudstack/management/management-server.log\n")},
                          {"/usr/lib/cloudstack-management/java", ""}});
        }
        m_rpms.finish();
    }

    RpmRepo m_rpms;
};

class Estate : public EstateLab {
public:
    Estate() : EstateLab(3, {"cloudstack-management", "cloudstack-usage", "cloudstack-agent", "libvirtd"}) {
        m_db.sql(k_cloudstack_schema);
        // Hosts: 0 = mgmt01 (Ubuntu-like: apt; management + usage server, database
        // master), 1 = kvm01 (apt), 2 = mgmt03 (CentOS-like: dnf/rpm, management server).
        // What each host's packages need in place first: kvm01's libvirtd, mgmt03's
        // CentOS os-release and yum repository (it has no dpkg database, so its
        // package manager is dnf).
        put(1, "/etc/init.d/libvirtd", init_script("libvirtd", "/usr/sbin/libvirtd-standin",
                                                    "    echo \"start hook=$(md5sum < /etc/libvirt/hooks/qemu 2>/dev/null | cut -c1-8)\""
                                                    " >> /var/log/libvirtd-starts\n"));
        pose_as_centos(2, rpm_url());
        // The three hosts' 4.2 installs are independent: at the same time (the
        // slowest part of the setup).
        // kvm01: the old cloud-agent (4.0) and cloudstack-agent 4.2, operator-edited files.
        require_all(concurrently({
            [&] { return run_fresh(0, apt_install_line(apt_line(), "cloudstack-management=4.2.0 cloudstack-usage=4.2.0")); },
            [&] {
                return run_fresh(1, "chmod 755 /etc/init.d/libvirtd && cp /bin/sleep /usr/sbin/libvirtd-standin && " +
                                        apt_install_line(apt_line(), "cloud-agent=4.0.2 cloudstack-agent=4.2.0") + " && "
                                        "echo 'guid=8f3b2c14-5d0e-3f7a-9c1b-2e4d6a8b0c11' >> /etc/cloudstack/agent/agent.properties && "
                                        "echo '<log4j:configuration><!-- copied from /etc/cloud/agent --></log4j:configuration>' > "
                                        "/etc/cloudstack/agent/log4j-cloud.xml && "
                                        "service libvirtd start && service cloudstack-agent start");
            },
            [&] { return run_fresh(2, dnf_install_line("cloudstack-management-4.2.0")); },
        }));
        // mgmt01: the operator's customisations of 4.2, and the pristine 4.2 files for the 3-way merge.
        put(0, "/etc/cloudstack/management/components.xml", read_file(k_merge + "components/ours.xml"));
        put(0, "/etc/cloudstack/management/db.properties", read_file(k_merge + "db/ours.properties"));
        put(0, "/var/lib/upkeep/cloudstack-4.2-pristine/components.xml", read_file(k_merge + "components/base.xml"));
        put(0, "/var/lib/upkeep/cloudstack-4.2-pristine/db.properties", read_file(k_merge + "db/base.properties"));
        put(0, "/etc/cloudstack/management/key", k_key + "\n");
        run(0, "service cloudstack-management start && service cloudstack-usage start");
        // mgmt03: a yum-family host in its own root, the operator's files as on mgmt01.
        put(2, "/etc/cloudstack/management/components.xml", read_file(k_merge + "components/ours.xml"));
        put(2, "/etc/cloudstack/management/db.properties", read_file(k_merge + "db/ours.properties"));
        put(2, "/var/lib/upkeep/cloudstack-4.2-pristine/components.xml", read_file(k_merge + "components/base.xml"));
        put(2, "/var/lib/upkeep/cloudstack-4.2-pristine/db.properties", read_file(k_merge + "db/base.properties"));
        run(2, "service cloudstack-management start");
        // The estate's libvirtd is a stand-in SysV daemon, not libvirt: its restart is
        // verified through the service only (libvirt_test.cpp runs the real libvirtd).
        write_inventory(inventory_head() +
                        "    cloudstack_apt_line: '" + apt_line() + "'\n"
                        "    cloudstack_repo_url: '" + rpm_url() + "'\n"
                        "    cloudstack_merge_base_dir: /var/lib/upkeep/cloudstack-4.2-pristine\n" +
                        cloudstack_db_inventory_vars(m_db.port(), k_vcenter_pw) +
                        "  children:\n"
                        "    cloudstack_management:\n      hosts:\n        mgmt01: {ansible_host: " + address(0) + "}\n"
                        "        mgmt03: {ansible_host: " + address(2) + "}\n"
                        "    cloudstack_usage:\n      hosts:\n        mgmt01:\n"
                        "    cloudstack_db:\n      hosts:\n        mgmt01:\n"
                        "    kvm_hosts:\n      hosts:\n        kvm01: {ansible_host: " + address(1) + ", libvirt_verify: false}\n");
    }

    MariaDbLab& db() { return m_db; }
    std::string apt_line() const { return CloudStackDebs::get().apt_line(); }
    std::string rpm_url() const { return CloudStackRpms::get().repo_url(); }

private:
    MariaDbLab m_db;
};

}  // namespace

TEST_CASE("site.yml upgrades an estate of real packages, database and daemons from 4.2 to 4.3", "[seeds][estate]") {
    Estate e;
    REQUIRE(e.deb_version(0, "cloudstack-management") == "4.2.0 ii");
    REQUIRE(e.rpm_version(2, "cloudstack-management") == "4.2.0");
    std::string mgmt_pid = trim(e.get(0, "/var/run/cloudstack-management.pid"));

    Run dry = e.play("--check --diff --report-json " + e.dir() / "dry.json");
    INFO(dry.out);
    REQUIRE(dry.rc == 0);
    CHECK(e.deb_version(0, "cloudstack-management") == "4.2.0 ii");
    CHECK(e.db().sql("SELECT value FROM cloud.cluster_details WHERE id = 3") == k_vcenter_pw + "\n");
    CHECK(trim(e.get(0, "/var/run/cloudstack-management.pid")) == mgmt_pid);
    CHECK(dry.out.find("cloudstack-management 4.2.0 -> 4.3.0") != std::string::npos);
    // The shipped Lua module found systemvm-kvm-4.3 in the database (on the db host).
    size_t tpl = dry.out.find("TASK [The 4.3 system VM templates are registered and downloaded");
    REQUIRE(tpl != std::string::npos);
    CHECK(dry.out.find("ok: [mgmt01", tpl) < dry.out.find("TASK [", tpl + 5));
    // What only the upgrade can tell (does the new package's file differ?) is planned as
    // depending on it: the operator-edited conffiles' .dpkg-dist / .rpmnew merges, and the
    // agent's log4j-cloud.xml.dpkg-dist move.
    CHECK(dry.out.find("changed: [mgmt01] (depends on the upgrade of cloudstack-management 4.2.0 -> 4.3.0)") !=
          std::string::npos);
    CHECK(dry.out.find("changed: [mgmt03] (depends on the upgrade of cloudstack-management 4.2.0-1 -> 4.3.0-1)") !=
          std::string::npos);
    CHECK(dry.out.find("/etc/cloudstack/management/components.xml.rpmnew only if the new package's file differs") !=
          std::string::npos);
    CHECK(dry.out.find("changed: [kvm01] (would run) (depends on the upgrade of cloudstack-agent 4.2.0 -> 4.3.0)") !=
          std::string::npos);
    CHECK(read_file(e.dir() / "dry.json").find("\"depends_on\": \"the upgrade of cloudstack-agent 4.2.0 -> 4.3.0\"") !=
          std::string::npos);

    Run real = e.play("--report-json " + e.dir() / "real.json");
    INFO(real.out);
    REQUIRE(real.rc == 0);
    // Issue 8.3: the dry run marks exactly the (host, task) pairs the real run changes.
    std::set<std::string> predicted = changed_pairs(e.dir() / "dry.json"), made = changed_pairs(e.dir() / "real.json");
    INFO("predicted by --check but not changed:\n" << missing_from(predicted, made)
                                                   << "changed but not predicted by --check:\n" << missing_from(made, predicted));
    CHECK(predicted == made);
    CHECK(made.size() >= 25);
    CHECK(recap(real.out, "mgmt01", "failed") == 0);
    CHECK(recap(real.out, "kvm01", "failed") == 0);
    // Versions are the targets; the old agent package is purged.
    CHECK(e.deb_version(0, "cloudstack-management") == "4.3.0 ii");
    CHECK(e.deb_version(0, "cloudstack-usage") == "4.3.0 ii");
    CHECK(e.deb_version(1, "cloudstack-agent") == "4.3.0 ii");
    CHECK(e.deb_version(1, "cloud-agent") == "un");  // purged: dpkg only remembers the name
    // The yum-family server: rpm left .rpmnew files next to the operator's; merged the same way.
    CHECK(e.rpm_version(2, "cloudstack-management") == "4.3.0");
    CHECK(e.get(2, "/etc/cloudstack/management/components.xml") == read_file(k_merge + "components/expected.xml"));
    CHECK(e.get(2, "/etc/cloudstack/management/db.properties") == read_file(k_merge + "db/expected.properties"));
    CHECK(e.get(2, "/etc/cloudstack/management/components.xml.rpmnew") == "<missing>");
    CHECK(e.try_run(2, "service cloudstack-management status").rc == 0);
    // serial: 1: mgmt03 started only after mgmt01's database upgrade was logged.
    CHECK(real.out.find("ok: [mgmt01]", real.out.find("TASK [Wait until the database upgrade")) <
          real.out.find("changed: [mgmt03]", real.out.find("TASK [Start cloudstack-management]")));
    // dpkg kept the operator's files and left .dpkg-dist; the merges produced exactly
    // the expected files and removed the leftovers.
    CHECK(e.get(0, "/etc/cloudstack/management/components.xml") == read_file(k_merge + "components/expected.xml"));
    CHECK(e.get(0, "/etc/cloudstack/management/db.properties") == read_file(k_merge + "db/expected.properties"));
    CHECK(e.get(0, "/etc/cloudstack/management/components.xml.dpkg-dist") == "<missing>");
    CHECK(e.get(0, "/etc/cloudstack/management/componentContext.xml").find("<ref bean=\"PlainTextUserAuthenticator\"/>") !=
          std::string::npos);
    // The database: one dump with both databases, the storage path fixed, the
    // vCenter passwords stored encrypted, and the real jasypt decrypts them.
    std::string dump = e.get(0, "/var/backups/cloudstack/cloudstack-before-4.3.sql");
    CHECK(dump.find("CREATE DATABASE /*!32312 IF NOT EXISTS*/ `cloud_usage`") != std::string::npos);
    CHECK(dump.find("'vC3nter!pw'") != std::string::npos);  // taken before the passwords were encrypted
    CHECK(e.db().sql("SELECT path FROM cloud.storage_pool ORDER BY id") == "/var/lib/libvirt/images\n/export/primary\n");
    std::vector<JasyptOp> ops;
    for (const auto& v : split(trim(e.db().sql("SELECT value FROM cloud.cluster_details WHERE name = 'password' "
                                               "UNION ALL SELECT password FROM cloud.vmware_data_center")), '\n')) {
        CHECK(v != k_vcenter_pw);
        ops.push_back({false, k_key, v});
    }
    REQUIRE(ops.size() == 3);
    for (const auto& o : java_jasypt(ops)) {
        CHECK(o.ok);
        CHECK(o.value == k_vcenter_pw);
    }
    // Services run again (new processes), after the database upgrade was logged.
    CHECK(e.try_run(0, "service cloudstack-management status").rc == 0);
    CHECK(e.try_run(0, "service cloudstack-usage status").rc == 0);
    CHECK(trim(e.get(0, "/var/run/cloudstack-management.pid")) != mgmt_pid);
    CHECK(e.get(0, "/var/log/cloudstack/management/management-server.log").find("Code Version = 4.3.0") !=
          std::string::npos);
    // KVM: the agent class, the 4.3 hook installed before libvirtd's last start,
    // the packaged log4j file taken, the agent running as jsvc.
    CHECK(e.get(1, "/etc/cloudstack/agent/agent.properties")
              .find("resource=com.cloud.hypervisor.kvm.resource.LibvirtComputingResource\n") != std::string::npos);
    CHECK(e.get(1, "/etc/libvirt/hooks/qemu") == "#!/usr/bin/python\n# CloudStack 4.3.0 qemu hook\n");
    std::string hook_md5 = trim(e.run(1, "md5sum < /etc/libvirt/hooks/qemu | cut -c1-8"));
    std::string starts = e.get(1, "/var/log/libvirtd-starts");
    CHECK(starts.substr(starts.rfind("start hook=")) == "start hook=" + hook_md5 + "\n");
    CHECK(e.get(1, "/etc/cloudstack/agent/log4j-cloud.xml").find("4.3.0") != std::string::npos);
    CHECK(e.try_run(1, "service cloudstack-agent status").rc == 0);
    CHECK(e.try_run(1, "pgrep -x jsvc").rc == 0);

    // Converged: the dry run and a second run find nothing to do.
    check_converged(e, {"mgmt01", "kvm01", "mgmt03"});
}
