// End-to-end: the lossless config modules in a real playbook run against a
// sandbox host — dry run with diffs, apply, and a second run with 0 changes.
#include <catch2/catch.hpp>

#include <regex>

#include "tests/support/test_support.hpp"

using namespace upkeep::test;

namespace {
int changed_count(const std::string& out) {
    std::smatch m;
    std::regex re(R"(mgmt1\s+: .*changed=(\d+))");
    return std::regex_search(out, m, re) ? std::stoi(m[1]) : -1;
}
}  // namespace

TEST_CASE("config modules converge a CloudStack management server in a playbook", "[e2e][config]") {
    TempDir d;
    std::string root = d / "roots/mgmt1";
    write_file(root + "/etc/cloudstack/management/db.properties",
               "# db.properties\ncluster.node.IP=10.20.0.11\ndb.cloud.host=cs-db01\n"
               "db.cloud.password=ENC(q1w2e3r4t5y6)\ndb.cloud.port=3306\n");
    write_file(root + "/etc/cloudstack/management/db.properties.rpmnew",
               "# db.properties (4.3)\ncluster.node.IP=127.0.0.1\ndb.cloud.host=localhost\n"
               "db.cloud.password=ENC(packaged)\ndb.cloud.port=3306\ndb.cloud.maxActive=250\n");
    write_file(root + "/etc/cloudstack/agent/agent.properties",
               "resource=com.cloud.agent.resource.computing.LibvirtComputingResource\nhost=10.20.0.11\n");
    write_file(root + "/etc/yum.repos.d/cloudstack.repo",
               "# CloudStack packages\n[apache-cloudstack]\nname=Apache CloudStack\n"
               "baseurl=http://cloudstack.apt-get.eu/rhel/4.0/\nenabled=1\ngpgcheck=0\n");
    write_file(root + "/etc/apt/sources.list.d/cloudstack.list", "deb http://cloudstack.apt-get.eu/ubuntu precise 4.0\n");
    write_file(root + "/etc/cloudstack/management/componentContext.xml",
               "<?xml version=\"1.0\"?>\n<!-- operator notes -->\n<beans>\n"
               "  <property name=\"UserAuthenticators\">\n    <list>\n"
               "      <ref bean=\"MD5UserAuthenticator\"/>\n      <ref bean=\"LDAPUserAuthenticator\"/>\n"
               "      <ref bean=\"PlainTextUserAuthenticator\"/>\n    </list>\n  </property>\n</beans>\n");
    write_file(root + "/etc/app.ini", "[main]\n; keep me\nlevel = 1\n");
    write_file(d / "inventory.ini",
               "mgmt1 ansible_connection=sandbox upkeep_sandbox_root=roots/mgmt1\n");
    write_file(d / "site.yml", R"(
- hosts: all
  gather_facts: false
  tasks:
    - name: merge the packaged db.properties, keeping the operator's values
      config_merge:
        path: /etc/cloudstack/management/db.properties
        prefer: ours
        remove_new: true
    - name: agent resource class
      properties:
        path: /etc/cloudstack/agent/agent.properties
        key: resource
        regexp: 'com\.cloud\.agent\.resource\.computing\.LibvirtComputingResource'
        replace: com.cloud.hypervisor.kvm.resource.LibvirtComputingResource
    - name: yum repository to 4.3
      yum_repository:
        name: apache-cloudstack
        description: Apache CloudStack
        baseurl: http://cloudstack.apt-get.eu/rhel/4.3/
        file: cloudstack
        gpgcheck: false
    - name: apt source to 4.3
      apt_repository:
        repo: deb http://cloudstack.apt-get.eu/ubuntu precise 4.3
        filename: cloudstack
        supersedes: ['deb http://cloudstack.apt-get.eu/ubuntu precise 4.0']
        update_cache: false
    - name: PlainTextUserAuthenticator first
      xml:
        path: /etc/cloudstack/management/componentContext.xml
        xpath: "/beans/property[@name='UserAuthenticators']/list/ref[@bean='PlainTextUserAuthenticator']"
        position: first
    - name: an INI option
      ini_file:
        path: /etc/app.ini
        section: main
        option: level
        value: "2"
)");
    std::string base = "play " + d / "site.yml" + " -i " + d / "inventory.ini --verify-convergence ";
    std::string before_db = read_file(root + "/etc/cloudstack/management/db.properties");

    Run dry = upkeep::test::upkeep(base + "--check --diff");
    INFO(dry.out);
    CHECK(dry.rc == 0);
    CHECK(changed_count(dry.out) == 6);
    CHECK(dry.out.find("+baseurl=http://cloudstack.apt-get.eu/rhel/4.3/") != std::string::npos);
    CHECK(dry.out.find("q1w2e3r4t5y6") == std::string::npos);  // ENC() values never shown
    CHECK(read_file(root + "/etc/cloudstack/management/db.properties") == before_db);
    CHECK(exists(root + "/etc/cloudstack/management/db.properties.rpmnew"));

    Run real = upkeep::test::upkeep(base);
    INFO(real.out);
    CHECK(real.rc == 0);
    CHECK(changed_count(real.out) == 6);
    std::string db = read_file(root + "/etc/cloudstack/management/db.properties");
    CHECK(db.find("db.cloud.password=ENC(q1w2e3r4t5y6)") != std::string::npos);
    CHECK(db.find("db.cloud.host=cs-db01") != std::string::npos);
    CHECK(db.find("db.cloud.maxActive=250") != std::string::npos);
    CHECK(db.rfind("# db.properties (4.3)", 0) == 0);
    CHECK_FALSE(exists(root + "/etc/cloudstack/management/db.properties.rpmnew"));
    CHECK(read_file(root + "/etc/cloudstack/agent/agent.properties") ==
          "resource=com.cloud.hypervisor.kvm.resource.LibvirtComputingResource\nhost=10.20.0.11\n");
    CHECK(read_file(root + "/etc/yum.repos.d/cloudstack.repo") ==
          "# CloudStack packages\n[apache-cloudstack]\nname=Apache CloudStack\n"
          "baseurl=http://cloudstack.apt-get.eu/rhel/4.3/\nenabled=1\ngpgcheck=0\n");
    CHECK(read_file(root + "/etc/apt/sources.list.d/cloudstack.list") ==
          "deb http://cloudstack.apt-get.eu/ubuntu precise 4.3\n");
    std::string xml = read_file(root + "/etc/cloudstack/management/componentContext.xml");
    CHECK(xml.find("<list>\n      <ref bean=\"PlainTextUserAuthenticator\"/>\n      <ref bean=\"MD5UserAuthenticator\"/>") !=
          std::string::npos);
    CHECK(xml.find("<!-- operator notes -->") != std::string::npos);
    CHECK(read_file(root + "/etc/app.ini") == "[main]\n; keep me\nlevel = 2\n");

    Run again = upkeep::test::upkeep(base);
    INFO(again.out);
    CHECK(again.rc == 0);
    CHECK(changed_count(again.out) == 0);
}
