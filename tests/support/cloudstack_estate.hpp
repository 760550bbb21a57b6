// Shared by the CloudStack estate tests (seed_estate_test, seed_rename_estate_test):
// the 4.2-era tables the seed touches. The lab itself: tests/support/estate_lab.hpp.
#pragma once

#include <string>

#include "tests/support/estate_lab.hpp"
#include "tests/support/mariadb_lab.hpp"

namespace upkeep::test {

// CloudStack 4.2's tables the seed touches, with 4.2-era rows.
inline const char* const k_cloudstack_schema = R"(
DROP DATABASE IF EXISTS cloud; DROP DATABASE IF EXISTS cloud_usage;
CREATE DATABASE cloud; CREATE DATABASE cloud_usage;
CREATE TABLE cloud.cluster_details (id bigint unsigned NOT NULL AUTO_INCREMENT, cluster_id bigint unsigned NOT NULL,
  name varchar(255) NOT NULL, value varchar(255), PRIMARY KEY (id)) ENGINE=InnoDB;
CREATE TABLE cloud.vmware_data_center (id bigint unsigned NOT NULL AUTO_INCREMENT, guid varchar(255) NOT NULL UNIQUE,
  name varchar(255) NOT NULL, vcenter_host varchar(255) NOT NULL, username varchar(255) NOT NULL,
  password varchar(255) NOT NULL, PRIMARY KEY (id)) ENGINE=InnoDB;
CREATE TABLE cloud.storage_pool (id bigint unsigned NOT NULL AUTO_INCREMENT, name varchar(255), path varchar(255),
  pool_type varchar(32), PRIMARY KEY (id)) ENGINE=InnoDB;
CREATE TABLE cloud.configuration (category varchar(255) NOT NULL DEFAULT 'Advanced', name varchar(255) NOT NULL,
  value varchar(4095), PRIMARY KEY (name)) ENGINE=InnoDB;
CREATE TABLE cloud_usage.usage_event (id bigint unsigned NOT NULL AUTO_INCREMENT, type varchar(32), PRIMARY KEY (id)) ENGINE=InnoDB;
CREATE TABLE cloud.cluster (id bigint unsigned NOT NULL AUTO_INCREMENT, name varchar(255), hypervisor_type varchar(32),
  removed datetime DEFAULT NULL, PRIMARY KEY (id)) ENGINE=InnoDB;
CREATE TABLE cloud.vm_template (id bigint unsigned NOT NULL AUTO_INCREMENT, name varchar(255), uuid varchar(40),
  type varchar(32), hypervisor_type varchar(32), removed datetime DEFAULT NULL, PRIMARY KEY (id)) ENGINE=InnoDB;
CREATE TABLE cloud.template_store_ref (id bigint unsigned NOT NULL AUTO_INCREMENT, store_id bigint unsigned,
  template_id bigint unsigned NOT NULL, download_state varchar(255), destroyed tinyint(1) NOT NULL DEFAULT 0,
  PRIMARY KEY (id)) ENGINE=InnoDB;
CREATE TABLE cloud.vm_instance (id bigint unsigned NOT NULL AUTO_INCREMENT, name varchar(255), type varchar(32),
  state varchar(32), PRIMARY KEY (id)) ENGINE=InnoDB;
INSERT INTO cloud.vm_instance (name, type, state) VALUES ('s-1-VM', 'SecondaryStorageVm', 'Stopped');
INSERT INTO cloud.cluster (name, hypervisor_type) VALUES ('kvm-cluster', 'KVM');
INSERT INTO cloud.vm_template (id, name, uuid, type, hypervisor_type) VALUES (202, 'systemvm-kvm-4.3', 'u-202', 'USER', 'KVM');
INSERT INTO cloud.template_store_ref (store_id, template_id, download_state) VALUES (1, 202, 'DOWNLOADED');
INSERT INTO cloud.cluster_details (cluster_id, name, value) VALUES
  (1, 'url', 'http://vcenter.lab/dc1/cluster1'), (1, 'username', 'administrator@vsphere.local'),
  (1, 'password', 'vC3nter!pw'), (2, 'password', 'vC3nter!pw');
INSERT INTO cloud.vmware_data_center (guid, name, vcenter_host, username, password) VALUES
  ('dc1@vcenter.lab', 'dc1', 'vcenter.lab', 'administrator@vsphere.local', 'vC3nter!pw');
INSERT INTO cloud.storage_pool (name, path, pool_type) VALUES
  ('kvm01-local', '/var/lib/libvirt/images/', 'Filesystem'), ('nfs-primary', '/export/primary', 'NetworkFilesystem');
INSERT INTO cloud.configuration (name, value) VALUES ('integration.api.port', NULL), ('host', '192.168.1.5');
INSERT INTO cloud_usage.usage_event (type) VALUES ('VM.CREATE');
)";

// The inventory vars (under all: vars:) that point the CloudStack playbook at the
// test's MariaDB, from the controller and for mysqldump on the database host, and
// that turn on the VMware vCenter password step.
inline std::string cloudstack_db_inventory_vars(int db_port, const std::string& vcenter_password) {
    std::string port = std::to_string(db_port);
    return "    cloudstack_db_login_host: 127.0.0.1\n"
           "    cloudstack_db_login_port: " + port + "\n"
           "    cloudstack_db_login_user: " + MariaDbLab::k_user + "\n"
           "    cloudstack_db_login_password: " + MariaDbLab::k_password + "\n"
           "    cloudstack_db_dump_login_host: 127.0.0.1\n"
           "    cloudstack_db_dump_login_port: " + port + "\n"
           "    cloudstack_db_dump_login_user: " + MariaDbLab::k_user + "\n"
           "    cloudstack_db_dump_login_password: " + MariaDbLab::k_password + "\n"
           "    cloudstack_vmware_clusters: true\n"
           "    cloudstack_vcenter_password: '" + vcenter_password + "'\n";
}

}  // namespace upkeep::test
