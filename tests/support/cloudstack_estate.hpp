// Shared by the seed estate tests (seed_estate_test, seed_rename_estate_test): the
// SysV init scripts of the CloudStack-shaped daemons, the 4.2-era tables the seed
// touches, and the readers of a run's recap and --report-json.
#pragma once

#include <catch2/catch.hpp>

#include <functional>
#include <future>
#include <map>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "engine/connection/connection.hpp"
#include "tests/support/json_values.hpp"
#include "tests/support/test_support.hpp"

namespace upkeep::test {

// A SysV init script for a daemon that is a real process: `exe` (a copy of sleep
// under the daemon's name) started detached, its pid in /var/run/NAME.pid.
inline std::string init_script(const std::string& name, const std::string& exe, const std::string& on_start) {
    return "#!/bin/sh\n"
           "pidfile=/var/run/" + name + ".pid\n"
           "running() { [ -f $pidfile ] && kill -0 \"$(cat $pidfile)\" 2>/dev/null; }\n"
           "case \"$1\" in\n"
           "  start) running && exit 0\n" +
           on_start +
           "    setsid " + exe + " 900 >/dev/null 2>&1 </dev/null & echo $! > $pidfile ;;\n"
           "  stop) running && kill \"$(cat $pidfile)\"; rm -f $pidfile ;;\n"
           "  restart) \"$0\" stop; \"$0\" start ;;\n"
           "  status) running ;;\n"
           "  *) exit 2 ;;\n"
           "esac\n";
}

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

inline int recap(const std::string& out, const std::string& host, const std::string& field) {
    std::regex re("\n" + host + R"(\s+: .*)" + field + R"(=(\d+))");
    std::smatch m;
    if (!std::regex_search(out, m, re)) return -1;
    return std::stoi(m[1]);
}

// Every (host, task) a run's --report-json marks changed, as "host | task".
inline std::set<std::string> changed_pairs(const std::string& report_path) {
    std::set<std::string> pairs;
    std::vector<Value> doc = parse_json_values(read_file(report_path));
    REQUIRE(doc.size() == 1);
    for (const auto& play : doc[0].get("plays").as_list())
        for (const auto& task : play.get("tasks").as_list())
            for (const auto& [host, r] : task.get("hosts").as_map())
                if (r.has("changed") && r.get("changed").as_bool()) pairs.insert(host + " | " + task.get("name").as_string());
    return pairs;
}

// The (host, task) pairs a dry run's --report-json plans as depending on an earlier
// step (Plan::depends_on), with that step: "host | task" -> "the install of ...".
inline std::map<std::string, std::string> depends_on_pairs(const std::string& report_path) {
    std::map<std::string, std::string> pairs;
    std::vector<Value> doc = parse_json_values(read_file(report_path));
    REQUIRE(doc.size() == 1);
    for (const auto& play : doc[0].get("plays").as_list())
        for (const auto& task : play.get("tasks").as_list())
            for (const auto& [host, r] : task.get("hosts").as_map())
                if (r.has("depends_on")) pairs[host + " | " + task.get("name").as_string()] = r.get("depends_on").as_string();
    return pairs;
}

// Runs independent setup jobs (one host's package installs each) at the same time and
// returns their results in order. The jobs must not use Catch2's assertions (not
// thread-safe) nor share a connection: check the results with require_all().
inline std::vector<CommandResult> concurrently(const std::vector<std::function<CommandResult()>>& jobs) {
    std::vector<std::future<CommandResult>> running;
    for (const auto& j : jobs) running.push_back(std::async(std::launch::async, j));
    std::vector<CommandResult> out;
    for (auto& r : running) out.push_back(r.get());
    return out;
}

inline void require_all(const std::vector<CommandResult>& results) {
    for (size_t i = 0; i < results.size(); ++i) {
        INFO("setup job " << i << " (rc " << results[i].rc << "):\n" << results[i].out << results[i].err);
        REQUIRE(results[i].rc == 0);
    }
}

// The pairs in `a` and not in `b`, one a line (the failure message of a set comparison).
inline std::string missing_from(const std::set<std::string>& a, const std::set<std::string>& b) {
    std::string out;
    for (const auto& x : a)
        if (!b.count(x)) out += "  " + x + "\n";
    return out.empty() ? "  (none)\n" : out;
}


}  // namespace upkeep::test
