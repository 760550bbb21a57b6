// The seed's "(VMware only)" step as a playbook run by the real upkeep binary
// against a sandbox host and a real MariaDB: --check --diff shows the plan and
// changes nothing, the run converges, a second run is all ok, and the vCenter
// password, the management key and the DB password never show up in the output.
#include <catch2/catch.hpp>

#include "modules/formats/jasypt.hpp"
#include "tests/support/mariadb_lab.hpp"
#include "tests/support/test_support.hpp"

using namespace upkeep;
using test::MariaDbLab;

namespace {

const char* k_key = "Zx9mgmt-server-KEY";

MariaDbLab& shared_lab() {
    static MariaDbLab lab;
    lab.sql(R"(
DROP DATABASE IF EXISTS cloud;
CREATE DATABASE cloud;
CREATE TABLE cloud.cluster_details (
  id bigint unsigned NOT NULL AUTO_INCREMENT, cluster_id bigint unsigned NOT NULL,
  name varchar(255) NOT NULL, value varchar(255), PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8;
CREATE TABLE cloud.vmware_data_center (
  id bigint unsigned NOT NULL UNIQUE AUTO_INCREMENT, guid varchar(255) NOT NULL UNIQUE,
  name varchar(255) NOT NULL, vcenter_host varchar(255) NOT NULL, username varchar(255) NOT NULL,
  password varchar(255) NOT NULL, PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8;
INSERT INTO cloud.cluster_details (cluster_id, name, value) VALUES
  (1, 'url', 'http://vcenter.lab/dc1/cluster1'), (1, 'password', 'vC3nter!pw'), (2, 'password', 'vC3nter!pw');
INSERT INTO cloud.vmware_data_center (guid, name, vcenter_host, username, password) VALUES
  ('dc1@vcenter.lab', 'dc1', 'vcenter.lab', 'administrator@vsphere.local', 'vC3nter!pw');
)");
    return lab;
}

}  // namespace

TEST_CASE("the VMware step as a playbook: --check changes nothing, the run converges, secrets stay hidden",
          "[mysql][jasypt][e2e]") {
    MariaDbLab& lab = shared_lab();
    test::TempDir dir;
    test::write_file(dir / "roots/mgmt/etc/cloudstack/management/key", std::string(k_key) + "\n");
    test::write_file(dir / "inventory.ini",
                     "mgmt\n\n[all:vars]\nansible_connection=sandbox\nupkeep_sandbox_root=roots/{{ inventory_hostname }}\n");
    test::write_file(dir / "secrets.yml", "vcenter_password: !secret vC3nter!pw\ndb_password: !secret " +
                                              std::string(MariaDbLab::k_password) + "\n");
    std::string login = "        login_host: 127.0.0.1\n        login_port: " + std::to_string(lab.port()) +
                        "\n        login_user: upkeep\n        login_password: \"{{ db_password }}\"\n";
    test::write_file(dir / "site.yml",
                     "- hosts: all\n  tasks:\n"
                     "    - name: vCenter password encrypted in cluster_details\n      jasypt_db_secret:\n" + login +
                     "        key_file: /etc/cloudstack/management/key\n        table: cloud.cluster_details\n"
                     "        column: value\n        where: {name: password}\n"
                     "        plaintext: \"{{ vcenter_password }}\"\n"
                     "    - name: vCenter password encrypted in vmware_data_center\n      jasypt_db_secret:\n" + login +
                     "        key_file: /etc/cloudstack/management/key\n        table: cloud.vmware_data_center\n"
                     "        column: password\n        id: 1\n        plaintext: \"{{ vcenter_password }}\"\n"
                     "    - name: rows still holding the plain password\n      community.mysql.mysql_query:\n" + login +
                     "        query: SELECT COUNT(*) AS n FROM cloud.cluster_details WHERE value = %s\n"
                     "        positional_args: [\"{{ vcenter_password }}\"]\n"
                     "      register: plain\n"
                     "    - debug: msg=\"plain rows {{ plain.query_result[0][0].n }}\"\n");
    auto play = [&](const std::string& flags) {
        return test::upkeep("play " + dir / "site.yml" + " -i " + dir / "inventory.ini -e @" + dir / "secrets.yml" +
                            " --verify-convergence " + flags);
    };
    std::string before = lab.sql("SELECT id, value FROM cloud.cluster_details ORDER BY id; "
                                 "SELECT password FROM cloud.vmware_data_center");

    auto dry = play("--check --diff");
    INFO(dry.out);
    CHECK(dry.rc == 0);
    CHECK(dry.out.find("diff of cluster_details.value (id 2) hidden: it contains secrets (encrypt (now plain text))") !=
          std::string::npos);
    CHECK(dry.out.find("plain rows 2") != std::string::npos);
    CHECK(dry.out.find("vC3nter!pw") == std::string::npos);
    CHECK(dry.out.find(k_key) == std::string::npos);
    CHECK(dry.out.find(MariaDbLab::k_password) == std::string::npos);
    CHECK(lab.sql("SELECT id, value FROM cloud.cluster_details ORDER BY id; "
                  "SELECT password FROM cloud.vmware_data_center") == before);

    auto run = play("--diff");
    INFO(run.out);
    CHECK(run.rc == 0);
    CHECK(run.out.find("plain rows 0") != std::string::npos);
    CHECK(run.out.find("vC3nter!pw") == std::string::npos);
    CHECK(lab.sql("SELECT COUNT(*) FROM cloud.cluster_details WHERE value = 'vC3nter!pw'") == "0\n");
    std::string dc = lab.sql("SELECT password FROM cloud.vmware_data_center");
    CHECK(jasypt::decrypt(dc.substr(0, dc.find('\n')), k_key) == "vC3nter!pw");

    auto again = play("");
    INFO(again.out);
    CHECK(again.rc == 0);
    CHECK(again.out.find("ok=5") != std::string::npos);
    CHECK(again.out.find("changed=0") != std::string::npos);
}
