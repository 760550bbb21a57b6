// The shipped Lua module cloudstack_systemvm_template against a real MariaDB
// (MariaDbLab) holding the tables CloudStack's 4.3 database upgrade reads (cluster,
// vm_template, template_store_ref / template_host_ref), run by the real binary on a
// local host: the dry run and the real run stop the host before the next task when
// a template of a hypervisor in use is missing, removed or not downloaded; once it
// is there, --check, the real run and a second run all pass with no change. The
// login password reaches mysql on stdin only: never in the output or the run log.
#include <catch2/catch.hpp>

#include "engine/util/strings.hpp"
#include "tests/support/mariadb_lab.hpp"
#include "tests/support/test_support.hpp"

using namespace upkeep;
using namespace upkeep::test;

namespace {

bool has(const std::string& hay, const std::string& needle) { return hay.find(needle) != std::string::npos; }

int recap(const std::string& out, const std::string& field) {
    size_t at = out.find("\nh1 ");
    if (at == std::string::npos) return -1;
    size_t f = out.find(field + "=", at);
    return f == std::string::npos ? -1 : std::stoi(out.substr(f + field.size() + 1));
}

// The columns the upgrade and the module read, as CloudStack 4.2 names them.
const char* const k_schema = R"(
DROP DATABASE IF EXISTS cloud; CREATE DATABASE cloud;
CREATE TABLE cloud.cluster (id bigint unsigned NOT NULL AUTO_INCREMENT, name varchar(255),
  hypervisor_type varchar(32), removed datetime DEFAULT NULL, PRIMARY KEY (id)) ENGINE=InnoDB;
CREATE TABLE cloud.vm_template (id bigint unsigned NOT NULL AUTO_INCREMENT, unique_name varchar(255), name varchar(255),
  uuid varchar(40), type varchar(32), hypervisor_type varchar(32), removed datetime DEFAULT NULL, PRIMARY KEY (id))
  ENGINE=InnoDB;
CREATE TABLE cloud.template_store_ref (id bigint unsigned NOT NULL AUTO_INCREMENT, store_id bigint unsigned,
  template_id bigint unsigned NOT NULL, download_state varchar(255), destroyed tinyint(1) NOT NULL DEFAULT 0,
  PRIMARY KEY (id)) ENGINE=InnoDB;
INSERT INTO cloud.cluster (name, hypervisor_type) VALUES ('c-kvm', 'KVM'), ('c-xen', 'XenServer');
INSERT INTO cloud.cluster (name, hypervisor_type, removed) VALUES ('old-vmware', 'VMware', NOW());
INSERT INTO cloud.vm_template (id, unique_name, name, uuid, type, hypervisor_type) VALUES
  (3, 'routing-3', 'SystemVM Template (KVM)', 'u-3', 'SYSTEM', 'KVM'),
  (202, 'tpl-202', 'systemvm-kvm-4.3', 'u-202', 'USER', 'KVM');
INSERT INTO cloud.template_store_ref (store_id, template_id, download_state) VALUES (1, 3, 'DOWNLOADED'),
  (1, 202, 'DOWNLOADED');
)";

struct Estate {
    MariaDbLab& db;
    TempDir dir;
    explicit Estate(MariaDbLab& lab) : db(lab) {
        db.sql(k_schema);
        write_file(dir / "inventory.ini", "h1 ansible_connection=local\n");
        write_file(dir / "site.yml", R"(
- hosts: all
  gather_facts: false
  tasks:
    - name: The 4.3 system VM templates are ready
      cloudstack_systemvm_template:
        version: "4.3"
        database: "{{ db_name | default('cloud') }}"
        login_host: 127.0.0.1
        login_port: "{{ db_port }}"
        login_user: upkeep
        login_password: "{{ db_password }}"
      register: tpl
    # The result is masked in the output (the module read a secret argument) but
    # usable: an assert stands for the tasks the check protects.
    - name: Stop the management server (stands for what the check protects)
      assert:
        that:
          - tpl.hypervisors | join(',') == 'KVM,XenServer'
          - tpl.templates.KVM.id == 202
          - tpl.templates.XenServer.name == 'systemvm-xenserver-4.3'
)");
    }
    Run play(const std::string& flags = "") {
        return upkeep::test::upkeep("play '" + dir / "site.yml" + "' -i '" + dir / "inventory.ini" + "' -e db_port=" +
                                    std::to_string(db.port()) + " -e db_password=" + MariaDbLab::k_password + " " +
                                    flags + " 2>&1");
    }
};

MariaDbLab& lab() {
    static MariaDbLab l;
    return l;
}

}  // namespace

TEST_CASE("lua module cloudstack_systemvm_template: a missing template stops the host before the next task, in --check too",
          "[lua_module][systemvm][mysql]") {
    Estate e(lab());
    for (const char* flags : {"--check", ""}) {
        Run r = e.play(flags);
        INFO(flags << "\n" << r.out);
        CHECK(r.rc == 2);
        CHECK(has(r.out, "XenServer: no template named systemvm-xenserver-4.3 (register it before the upgrade"));
        CHECK_FALSE(has(r.out, "KVM: no template"));
        CHECK_FALSE(has(r.out, "VMware"));  // its only cluster is removed
        CHECK_FALSE(has(r.out, "TASK [Stop the management server"));
        CHECK(recap(r.out, "failed") == 1);
        CHECK_FALSE(has(r.out, MariaDbLab::k_password));
    }
    // Registered, but still downloading: the upgrade would pass, the system VMs could
    // not be recreated after it.
    e.db.sql("INSERT INTO cloud.vm_template (id, unique_name, name, uuid, type, hypervisor_type) VALUES "
             "(203, 'tpl-203', 'systemvm-xenserver-4.3', 'u-203', 'USER', 'XenServer');"
             "INSERT INTO cloud.template_store_ref (store_id, template_id, download_state) VALUES "
             "(1, 203, 'DOWNLOAD_IN_PROGRESS'), (2, 203, 'DOWNLOADED');"
             "UPDATE cloud.template_store_ref SET destroyed = 1 WHERE template_id = 203 AND store_id = 2;");
    Run r = e.play("--check");
    INFO(r.out);
    CHECK(r.rc == 2);
    CHECK(has(r.out, "systemvm-xenserver-4.3 (id 203) is registered but not downloaded (DOWNLOAD_IN_PROGRESS on 1 store(s))"));
    // A removed template does not count, as in the upgrade's own query.
    e.db.sql("UPDATE cloud.template_store_ref SET download_state = 'DOWNLOADED' WHERE template_id = 203;"
             "UPDATE cloud.vm_template SET removed = NOW() WHERE id = 202;");
    r = e.play("--check");
    INFO(r.out);
    CHECK(r.rc == 2);
    CHECK(has(r.out, "KVM: no template named systemvm-kvm-4.3"));
    CHECK_FALSE(has(r.out, "XenServer: "));
}

TEST_CASE("lua module cloudstack_systemvm_template: ready templates pass --check, the real run and a second run unchanged",
          "[lua_module][systemvm][mysql]") {
    Estate e(lab());
    e.db.sql("INSERT INTO cloud.vm_template (id, unique_name, name, uuid, type, hypervisor_type) VALUES "
             "(203, 'tpl-203', 'systemvm-xenserver-4.3', 'u-203', 'USER', 'XenServer');"
             "INSERT INTO cloud.template_store_ref (store_id, template_id, download_state) VALUES (1, 203, 'DOWNLOADED');");
    std::string log = e.dir / "run.log";
    for (const char* flags : {"--check", "", "-vvv"}) {
        Run r = e.play(std::string(flags) + " --log-file '" + log + "'");
        INFO(flags << "\n" << r.out);
        CHECK(r.rc == 0);
        CHECK(recap(r.out, "changed") == 0);
        CHECK(recap(r.out, "ok") == 2);
        CHECK(has(r.out, "TASK [Stop the management server"));
        CHECK_FALSE(has(r.out, MariaDbLab::k_password));
    }
    CHECK_FALSE(has(read_file(log), MariaDbLab::k_password));
    CHECK(has(read_file(log), "systemvm-kvm-4.3, systemvm-xenserver-4.3 registered and downloaded"));
    // The database is as it was: the module only reads.
    CHECK(e.db.sql("SELECT COUNT(*) FROM cloud.vm_template") == "3\n");
    CHECK(e.db.sql("SELECT type FROM cloud.vm_template WHERE id = 203") == "USER\n");

    // 4.1 and earlier keep the download state in template_host_ref.
    e.db.sql("DROP TABLE cloud.template_store_ref; CREATE TABLE cloud.template_host_ref (id bigint unsigned NOT NULL "
             "AUTO_INCREMENT, host_id bigint unsigned, template_id bigint unsigned NOT NULL, download_state varchar(255), "
             "destroyed tinyint(1) NOT NULL DEFAULT 0, PRIMARY KEY (id)) ENGINE=InnoDB;"
             "INSERT INTO cloud.template_host_ref (host_id, template_id, download_state) VALUES (5, 202, 'DOWNLOADED'),"
             "(5, 203, 'NOT_DOWNLOADED');");
    Run old = e.play("--check");
    INFO(old.out);
    CHECK(old.rc == 2);
    CHECK(has(old.out, "systemvm-xenserver-4.3 (id 203) is registered but not downloaded (NOT_DOWNLOADED on 1 store(s))"));
}

TEST_CASE("lua module cloudstack_systemvm_template: bad login and bad arguments fail with the reason", "[lua_module][systemvm][mysql]") {
    Estate e(lab());
    Run wrong = upkeep::test::upkeep("play '" + e.dir / "site.yml" + "' -i '" + e.dir / "inventory.ini" + "' -e db_port=" +
                                     std::to_string(e.db.port()) + " -e db_password=Not-The-Pw-9 --check 2>&1");
    INFO(wrong.out);
    CHECK(wrong.rc == 2);
    CHECK(has(wrong.out, "the database query failed"));
    CHECK(has(wrong.out, "Access denied"));
    CHECK_FALSE(has(wrong.out, "Not-The-Pw-9"));
    Run version = e.play("--check -e db_name='x;drop'");
    CHECK(has(version.out, "database: 'x;drop' is not a database name"));
    Run doc = upkeep::test::upkeep("doc cloudstack_systemvm_template");
    CHECK(has(doc.out, "systemvm-kvm-4.3"));
    CHECK(has(doc.out, "login_password"));
}
