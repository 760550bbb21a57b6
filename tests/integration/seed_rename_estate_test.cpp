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
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <future>
#include <map>
#include <memory>
#include <optional>

#include "engine/connection/ssh_connection.hpp"
#include "engine/util/strings.hpp"
#include "tests/support/cloudstack_estate.hpp"
#include "tests/support/cloudstack_rename_packages.hpp"
#include "tests/support/jasypt_java.hpp"
#include "tests/support/mariadb_lab.hpp"
#include "tests/support/sshd_lab.hpp"
#include "tests/support/test_support.hpp"

using namespace upkeep;
using namespace upkeep::test;

namespace {

const std::string k_repo_root = std::string(UPKEEP_TEST_FIXTURES) + "/../..";
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
class RenameEstate {
public:
    // `source`: the release the playbook is told it upgrades from (3.0, or 4.0: the
    // same cloud-* names, but its components.xml edits are carried over by hand).
    // `full`: add kvm30, a KVM host with only cloud-agent 3.0.7 (apt), and mgmt22, a
    // management server with cloud-client 2.2.14, a plaintext db.properties and no key.
    explicit RenameEstate(const std::string& source = "3.0", bool full = false)
        : m_lab(SshdLab::Options{.hosts = full ? 3 : 1, .own_root = true}), m_rpms(RenameRpms::get()) {
        m_db.sql(k_cloudstack_schema);
        ::chmod(m_dir.path().c_str(), 0755);
        std::optional<std::future<CommandResult>> kvm_setup, mgmt22_setup;
        for (int h : full ? std::vector<int>{0, 2} : std::vector<int>{0}) {
            put("/etc/os-release", "NAME=\"CentOS Linux\"\nVERSION_ID=\"7\"\nID=\"centos\"\nID_LIKE=\"rhel fedora\"\n", h);
            put("/etc/dnf/vars/releasever", "7\n", h);
            put("/etc/yum.repos.d/cloudstack.repo", "[apache-cloudstack]\nname=Apache CloudStack\nbaseurl=" + rpm_url() +
                                                        "\nenabled=1\ngpgcheck=0\nmetadata_expire=0\n", h);
        }
        if (full) {
            mgmt22_setup = std::async(std::launch::async, [this] { return run_fresh(2, dnf_install("cloud-client-2.2.14")); });
            // libvirtd: a stand-in daemon that logs each start with the hook it saw.
            put("/etc/init.d/libvirtd", init_script("libvirtd", "/usr/sbin/libvirtd-standin",
                                                    "    echo \"start hook=$(md5sum < /etc/libvirt/hooks/qemu 2>/dev/null | cut -c1-8)\""
                                                    " >> /var/log/libvirtd-starts\n"), 1);
            std::string line = ": > /root/.bashrc; rm -f /etc/apt/sources.list /etc/apt/sources.list.d/*; "
                               "echo '" + apt_line() + "' > /etc/apt/sources.list.d/cloudstack.list; "
                               "chmod 755 /etc/init.d/libvirtd && cp /bin/sleep /usr/sbin/libvirtd-standin && "
                               "apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "
                               "cloud-agent=3.0.7 >/dev/null && service libvirtd start && service cloud-agent start";
            // At the same time as mgmt30's install below (independent hosts).
            kvm_setup = std::async(std::launch::async, [this, line] { return run_fresh(1, line); });
        }
        run(dnf_install("cloud-client-3.0.7 cloud-usage-3.0.7"));
        // The operator's 3.0 customisations, its key, and the pristine 3.0 files (3-way merge).
        put("/etc/cloud/management/components.xml", read_file(k_merge + "components/ours.xml"));
        put("/etc/cloud/management/db.properties", read_file(k_merge + "db/ours.properties"));
        put("/etc/cloud/management/key", k_key + "\n");
        put("/var/lib/upkeep/cloudstack-3.0-pristine/components.xml", read_file(k_merge + "components/base.xml"));
        put("/var/lib/upkeep/cloudstack-3.0-pristine/db.properties", read_file(k_merge + "db/base.properties"));
        run("service cloud-management start && service cloud-usage start");
        if (full) {
            require_all({kvm_setup->get(), mgmt22_setup->get()});
            // The operator's 2.2.14 files: its components.xml edits and plaintext
            // db.properties (2.2.14 had no encryption: no key file), and the pristine ones.
            put("/etc/cloud/management/components.xml", read_file(k_merge + "components/ours.xml"), 2);
            put("/etc/cloud/management/db.properties", read_file(k_merge + "db22/ours.properties"), 2);
            put("/var/lib/upkeep/cloudstack-2.2-pristine/components.xml", read_file(k_merge + "components/base.xml"), 2);
            put("/var/lib/upkeep/cloudstack-2.2-pristine/db.properties", read_file(k_merge + "db22/base.properties"), 2);
            run("service cloud-management start", 2);
        }
        std::string inv =
            "all:\n  vars:\n"
            "    ansible_port: " + std::to_string(m_lab.port()) + "\n"
            "    ansible_user: root\n"
            "    ansible_ssh_private_key_file: " + m_lab.client_key() + "\n"
            "    cloudstack_repo_url: '" + rpm_url() + "'\n"
            "    cloudstack_apt_line: '" + apt_line() + "'\n"
            "    cloudstack_source_version: '" + source + "'\n"
            "    cloudstack_merge_base_dir: /var/lib/upkeep/cloudstack-3.0-pristine\n"
            "    cloudstack_db_login_host: 127.0.0.1\n"
            "    cloudstack_db_login_port: " + std::to_string(m_db.port()) + "\n"
            "    cloudstack_db_login_user: " + MariaDbLab::k_user + "\n"
            "    cloudstack_db_login_password: " + MariaDbLab::k_password + "\n"
            "    cloudstack_db_dump_login_host: 127.0.0.1\n"
            "    cloudstack_db_dump_login_port: " + std::to_string(m_db.port()) + "\n"
            "    cloudstack_db_dump_login_user: " + MariaDbLab::k_user + "\n"
            "    cloudstack_db_dump_login_password: " + MariaDbLab::k_password + "\n"
            "    cloudstack_vmware_clusters: true\n"
            "    cloudstack_vcenter_password: '" + k_vcenter_pw + "'\n"
            "  children:\n"
            "    cloudstack_management:\n      hosts:\n        mgmt30: {ansible_host: " + m_lab.address(0) + "}\n" +
            (full ? "        mgmt22:\n          ansible_host: " + m_lab.address(2) + "\n"
                    "          cloudstack_source_version: '2.2'\n"
                    "          cloudstack_merge_base_dir: /var/lib/upkeep/cloudstack-2.2-pristine\n"
                    "          cloudstack_management_server_key: '" + k_key22 + "'\n"
                    "          cloudstack_database_key: '" + k_dbkey22 + "'\n"
                  : std::string()) +
            "    cloudstack_usage:\n      hosts:\n        mgmt30:\n"
            "    cloudstack_db:\n      hosts:\n        mgmt30:\n" +
            (full ? "    kvm_hosts:\n      hosts:\n        kvm30: {ansible_host: " + m_lab.address(1) + ", libvirt_verify: false}\n"
                 : std::string());
        write_file(m_dir / "inventory.yml", inv);
        write_file(m_dir / "known_hosts", read_file(m_lab.known_hosts()));
    }
    ~RenameEstate() {
        for (int i = 0; i < m_lab.size(); ++i)
            try_run("for s in cloud-management cloud-usage cloudstack-management cloudstack-usage cloud-agent "
                    "cloudstack-agent libvirtd; do [ -x /etc/init.d/$s ] && /etc/init.d/$s stop; done; true", i);
    }

    Run play(const std::string& flags = "") {
        return upkeep::test::upkeep("play " + k_repo_root + "/playbooks/site.yml -i " + m_dir / "inventory.yml" +
                                    " --known-hosts " + m_dir / "known_hosts" + " -T 10 " + flags);
    }
    std::string run(const std::string& line, int host = 0) {
        CommandResult r = try_run(line, host);
        INFO(line << "\n" << r.out << r.err);
        REQUIRE(r.rc == 0);
        return r.out;
    }
    CommandResult try_run(const std::string& line, int host = 0) {
        Command cmd;
        cmd.cmdline = line;
        return conn(host).run(cmd);
    }
    // On a connection of its own: safe from another thread.
    CommandResult run_fresh(int host, const std::string& line) {
        SshConnection c(m_lab.options(host));
        c.connect();
        Command cmd;
        cmd.cmdline = line;
        return c.run(cmd);
    }
    void put(const std::string& path, const std::string& content, int host = 0) {
        conn(host).make_dirs(path.substr(0, path.rfind('/')), std::nullopt);
        conn(host).write_file(path, content, WriteOptions{});
    }
    std::string get(const std::string& path, int host = 0) { return conn(host).read_file(path).value_or("<missing>"); }
    std::string deb_version(const std::string& pkg) {
        return trim(try_run("dpkg-query -W -f='${Version} ${db:Status-Abbrev}' " + pkg + " 2>/dev/null", 1).out);
    }
    std::string rpm_version(const std::string& pkg, int host = 0) {
        return trim(try_run("rpm -q --qf '%{VERSION}' " + pkg, host).out);
    }
    MariaDbLab& db() { return m_db; }
    const TempDir& dir() const { return m_dir; }
    std::string rpm_url() const { return "file://" + m_rpms.repo(); }
    std::string apt_line() const { return "deb [trusted=yes] file:" + RenameDebs::get().repo() + " ./"; }

private:
    static std::string dnf_install(const std::string& packages) {
        return ": > /root/.bashrc; rm -f /var/lib/dpkg/status; rm -f /etc/yum.repos.d/debian*.repo; "
               "dnf -q -y --disablerepo='*' --enablerepo=apache-cloudstack install estate-base " + packages + " >/dev/null";
    }
    SshConnection& conn(int host) {  // one login per host for the test's many small reads and checks
        auto& c = m_conns[host];
        if (!c) {
            c = std::make_unique<SshConnection>(m_lab.options(host));
            c->connect();
        }
        return *c;
    }

    TempDir m_dir;
    SshdLab m_lab;
    std::map<int, std::unique_ptr<SshConnection>> m_conns;
    MariaDbLab m_db;
    const RenameRpms& m_rpms;
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
    REQUIRE(e.rpm_version("cloud-client") == "3.0.7");
    REQUIRE(e.rpm_version("cloud-client", 2) == "2.2.14");
    REQUIRE(e.get("/etc/cloud/management/key", 2) == "<missing>");
    REQUIRE(e.deb_version("cloud-agent") == "3.0.7 ii");
    REQUIRE(e.try_run("pgrep -x jsvc", 1).rc == 0);
    REQUIRE(e.try_run("service cloud-management status").rc == 0);

    Run dry = e.play("--check --diff --report-json " + e.dir() / "dry.json");
    INFO(dry.out);
    REQUIRE(dry.rc == 0);
    // Read-only: still 3.0 under the old names, running, the new tree absent.
    CHECK(e.rpm_version("cloud-client") == "3.0.7");
    CHECK(e.try_run("service cloud-management status").rc == 0);
    CHECK(e.get("/etc/cloudstack/management/components.xml") == "<missing>");
    CHECK(e.db().sql("SELECT value FROM cloud.cluster_details WHERE id = 3") == k_vcenter_pw + "\n");
    CHECK(e.rpm_version("cloud-client", 2) == "2.2.14");
    CHECK(e.get("/etc/cloud/management/db.properties", 2) == read_file(k_merge + "db22/ours.properties"));
    CHECK(e.try_run("test -e /etc/cloudstack", 2).rc != 0);
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
    CHECK(e.deb_version("cloud-agent") == "3.0.7 ii");
    CHECK(e.try_run("service cloud-agent status", 1).rc == 0);
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
    CHECK(e.rpm_version("cloudstack-management") == "4.3.0");
    CHECK(e.rpm_version("cloudstack-usage") == "4.3.0");
    CHECK(e.try_run("rpm -q cloud-client").rc != 0);
    CHECK(e.try_run("rpm -q cloud-usage").rc != 0);
    // The operator's 3.0 components.xml (left in /etc/cloud.rpmsave by the 4.3 %pre) is
    // merged into the packaged 4.3 file and kept as -backup; db.properties (copied over
    // by the %post, the packaged one as .rpmnew) merged the same way; the key carried.
    CHECK(e.get("/etc/cloudstack/management/components.xml") == read_file(k_merge + "components/expected.xml"));
    CHECK(e.get("/etc/cloudstack/management/db.properties") == read_file(k_merge + "db/expected.properties"));
    CHECK(e.get("/etc/cloudstack/management/db.properties.rpmnew") == "<missing>");
    CHECK(e.get("/etc/cloud.rpmsave/management/components.xml-backup") == read_file(k_merge + "components/ours.xml"));
    CHECK(e.get("/etc/cloud.rpmsave/management/components.xml") == "<missing>");
    CHECK(e.get("/etc/cloudstack/management/key") == k_key + "\n");
    CHECK(e.get("/etc/cloudstack/management/componentContext.xml").find("<ref bean=\"PlainTextUserAuthenticator\"/>") !=
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
    CHECK(e.try_run("service cloudstack-management status").rc == 0);
    CHECK(e.try_run("service cloudstack-usage status").rc == 0);
    CHECK(e.try_run("pgrep -f '^/usr/lib/cloud/management/[j]ava'").rc != 0);
    CHECK(e.try_run("pgrep -f '^/usr/lib/cloud/usage/[j]ava'").rc != 0);
    CHECK(e.get("/var/backups/cloudstack/cloudstack-before-4.3.sql").find("'vC3nter!pw'") != std::string::npos);

    // mgmt22 (2.2.14): renamed, the operator's files merged, then cloudstack-setup-encryption
    // (4.3's, run by the playbook) wrote the key and encrypted db.properties' passwords:
    // the real jasypt decrypts them with that key to the 2.2.14 plaintext ones.
    CHECK(e.rpm_version("cloudstack-management", 2) == "4.3.0");
    CHECK(e.try_run("rpm -q cloud-client", 2).rc != 0);
    CHECK(e.get("/etc/cloudstack/management/components.xml", 2) == read_file(k_merge + "components/expected.xml"));
    CHECK(e.get("/etc/cloudstack/management/key", 2) == k_key22);
    CHECK(e.get("/etc/cloudstack/management/db.properties.origin", 2) == "<missing>");
    std::map<std::string, std::string> props = properties(e.get("/etc/cloudstack/management/db.properties", 2));
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
    CHECK(e.try_run("service cloudstack-management status", 2).rc == 0);
    const std::string db22_after = e.get("/etc/cloudstack/management/db.properties", 2);

    // KVM: cloudstack-agent replaced cloud-agent (then purged), the 3.0 settings carried
    // over by its postinst and edited for 4.3, the packaged log4j taken, the hook in
    // place before libvirtd's last start, the bridge tool run once, the agent (jsvc) running.
    CHECK(e.deb_version("cloudstack-agent") == "4.3.0 ii");
    CHECK(e.deb_version("cloud-agent").find("ii") == std::string::npos);
    CHECK(e.try_run("dpkg-query -W -f='${db:Status-Abbrev}' cloud-agent 2>/dev/null | grep -q '^[ir]'", 1).rc != 0);
    CHECK(e.get("/etc/cloudstack/agent/agent.properties", 1) ==
          "resource=com.cloud.hypervisor.kvm.resource.LibvirtComputingResource\nworkers=5\n");
    CHECK(e.get("/etc/cloudstack/agent/environment.properties", 1) ==
          "paths.pid=/var/run\npaths.script=/usr/share/cloudstack-common\n");
    CHECK(e.get("/etc/cloudstack/agent/log4j-cloud.xml", 1) == "<log4j:configuration><!-- 4.3.0 --></log4j:configuration>\n");
    CHECK(e.get("/etc/cloudstack/agent/log4j-cloud.xml.dpkg-dist", 1) == "<missing>");
    CHECK(e.get("/etc/libvirt/hooks/qemu", 1) == "#!/usr/bin/python\n# CloudStack 4.3.0 qemu hook\n");
    std::string hook_md5 = trim(e.run("md5sum < /etc/libvirt/hooks/qemu | cut -c1-8", 1));
    std::string starts = e.get("/var/log/libvirtd-starts", 1);
    CHECK(starts.substr(starts.rfind("start hook=")) == "start hook=" + hook_md5 + "\n");
    CHECK(e.get("/var/lib/upkeep/cloudstack-agent-upgrade.done", 1) == "");
    CHECK(e.try_run("service cloudstack-agent status", 1).rc == 0);
    CHECK(e.try_run("pgrep -x jsvc", 1).rc == 0);

    // Converged: a dry run and a second run find nothing to do.
    Run check = e.play("--check");
    INFO(check.out);
    CHECK(check.rc == 0);
    CHECK(recap(check.out, "mgmt30", "changed") == 0);
    CHECK(recap(check.out, "kvm30", "changed") == 0);
    CHECK(recap(check.out, "mgmt22", "changed") == 0);
    Run again = e.play();
    INFO(again.out);
    CHECK(again.rc == 0);
    CHECK(recap(again.out, "mgmt30", "changed") == 0);
    CHECK(recap(again.out, "kvm30", "changed") == 0);
    CHECK(recap(again.out, "mgmt22", "changed") == 0);
    // cloudstack-setup-encryption ran once: the second run left the key and the
    // encrypted db.properties as they were (a second run would encrypt twice).
    CHECK(e.get("/etc/cloudstack/management/key", 2) == k_key22);
    CHECK(e.get("/etc/cloudstack/management/db.properties", 2) == db22_after);
    CHECK(e.run("wc -l < /var/log/cloudstack-agent-upgrade.log", 1) == "1\n");  // once
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
    CHECK(e.rpm_version("cloud-client") == "3.0.7");

    Run stopped = e.play();
    INFO(stopped.out);
    CHECK(stopped.rc != 0);
    CHECK(stopped.out.find("(a copy is in /etc/cloud.rpmsave/management/components.xml-backup)") != std::string::npos);
    CHECK(e.rpm_version("cloudstack-management") == "4.3.0");
    CHECK(e.get("/etc/cloud.rpmsave/management/components.xml-backup") == read_file(k_merge + "components/ours.xml"));
    CHECK(e.try_run("service cloudstack-management status").rc != 0);  // not started before the carry-over

    Run done = e.play("-e cloudstack_components_carried_over=true");
    INFO(done.out);
    REQUIRE(done.rc == 0);
    CHECK(e.get("/etc/cloudstack/management/db.properties") == read_file(k_merge + "db/expected.properties"));
    CHECK(e.get("/etc/cloudstack/management/components.xml") == read_file(k_merge + "components/new.xml"));
    CHECK(e.try_run("service cloudstack-management status").rc == 0);
    Run again = e.play("-e cloudstack_components_carried_over=true");
    INFO(again.out);
    CHECK(again.rc == 0);
    CHECK(recap(again.out, "mgmt30", "changed") == 0);
}
