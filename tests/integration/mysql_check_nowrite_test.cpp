// Issue 7.3's decision as an end-to-end run: `upkeep play --check` executes no DML
// on the server. A real MariaDB (binary log and general query log on) is given a
// playbook of INSERT / UPDATE / DELETE / REPLACE / ON DUPLICATE KEY UPDATE tasks;
// after --check the rows, the AUTO_INCREMENT counter, the binary log position and
// the general log (no write statement from upkeep) are as before, while the
// dry run still says which tasks change something. The real run then moves every
// one of those figures, which shows they would have caught a write.
#include <catch2/catch.hpp>

#include "tests/support/mariadb_lab.hpp"
#include "tests/support/test_support.hpp"

using namespace upkeep;
using test::MariaDbLab;

namespace {

const char* k_schema = R"(
DROP DATABASE IF EXISTS cloud;
CREATE DATABASE cloud;
CREATE TABLE cloud.configuration (
  id bigint unsigned NOT NULL AUTO_INCREMENT, name varchar(255) NOT NULL UNIQUE,
  value varchar(4095), PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8;
INSERT INTO cloud.configuration (name, value) VALUES
  ('integration.api.port', NULL), ('host', '10.0.0.1'), ('obsolete.key', 'x');
)";

// Everything a write could touch, as text.
struct ServerState {
    std::string rows, auto_increment, binlog_position;
};

ServerState state_of(const MariaDbLab& lab) {
    ServerState s;
    s.rows = lab.sql("SELECT id, name, IFNULL(value, 'NULL') FROM cloud.configuration ORDER BY id");
    s.auto_increment = lab.sql("SHOW CREATE TABLE cloud.configuration");
    s.auto_increment = s.auto_increment.substr(s.auto_increment.find("AUTO_INCREMENT="));
    s.auto_increment = s.auto_increment.substr(0, s.auto_increment.find(' '));
    std::string status = lab.sql("SHOW MASTER STATUS");  // file \t position \t ...
    size_t tab = status.find('\t');
    s.binlog_position = status.substr(0, status.find('\t', tab + 1));
    return s;
}

}  // namespace

TEST_CASE("mysql_query --check executes no DML: rows, AUTO_INCREMENT, binlog and general log untouched",
          "[mysql][check_nowrite]") {
    MariaDbLab lab({"--log-bin=upkeep-bin", "--server-id=1"});
    lab.sql(k_schema);
    std::string general_log = lab.dir() + "/general.log";
    lab.sql("SET GLOBAL general_log_file = '" + general_log + "'; SET GLOBAL general_log = 1;");

    test::TempDir dir;
    test::write_file(dir / "root/etc/hostname", "db\n");
    test::write_file(dir / "inventory.ini", "db\n\n[all:vars]\nansible_connection=sandbox\n"
                                             "upkeep_sandbox_root=root\n");
    std::string login = "        login_host: 127.0.0.1\n        login_port: " + std::to_string(lab.port()) +
                        "\n        login_user: upkeep\n        login_password: " + MariaDbLab::k_password +
                        "\n        login_db: cloud\n";
    auto task = [&](const std::string& name, const std::string& sql) {
        return "    - name: " + name + "\n      mysql_query:\n" + login + "        query: \"" + sql + "\"\n";
    };
    test::write_file(dir / "site.yml",
                     "- hosts: all\n  tasks:\n" +
                         task("open the port", "UPDATE configuration SET value = '8096' WHERE name = 'integration.api.port'") +
                         task("host already set", "UPDATE configuration SET value = '10.0.0.1' WHERE name = 'host'") +
                         task("drop the obsolete key", "DELETE FROM configuration WHERE name = 'obsolete.key'") +
                         task("add a key", "INSERT INTO configuration (name, value) VALUES ('new.key', 'v')") +
                         task("upsert a key", "INSERT INTO configuration (name, value) VALUES ('host', '10.0.0.2') "
                                              "ON DUPLICATE KEY UPDATE value = VALUES(value)") +
                         task("replace a key", "REPLACE INTO configuration (name, value) VALUES ('other', 'w')"));
    auto play = [&](const std::string& flags) {
        return test::upkeep("play " + dir / "site.yml" + " -i " + dir / "inventory.ini " + flags);
    };
    const ServerState before = state_of(lab);
    const size_t log_start = test::read_file(general_log).size();

    auto dry = play("--check --diff");
    INFO(dry.out);
    REQUIRE(dry.rc == 0);
    const ServerState after_check = state_of(lab);
    CHECK(after_check.rows == before.rows);
    CHECK(after_check.auto_increment == before.auto_increment);  // a rolled-back INSERT advanced it
    CHECK(after_check.binlog_position == before.binlog_position);
    // The general log shows what upkeep sent: counting SELECTs, no write.
    std::string sent = test::read_file(general_log).substr(log_start);
    INFO(sent);
    CHECK(sent.find("SELECT COUNT(*) FROM configuration WHERE (name = 'integration.api.port')") != std::string::npos);
    CHECK(sent.find("START TRANSACTION READ ONLY") != std::string::npos);
    for (const char* write : {"\tUPDATE ", "\tDELETE ", "\tINSERT ", "\tREPLACE "})
        CHECK(sent.find(write) == std::string::npos);
    // The dry run still tells the operator what the real run does.
    CHECK(dry.out.find("UPDATE configuration SET value = '8096' WHERE name = 'integration.api...: 1 row changed") !=
          std::string::npos);
    CHECK(dry.out.find("DELETE FROM configuration WHERE name = 'obsolete.key': 1 row changed") != std::string::npos);
    CHECK(dry.out.find("INSERT INTO configuration (name, value) VALUES ('new.key', 'v'): would run") !=
          std::string::npos);

    auto real = play("");
    INFO(real.out);
    REQUIRE(real.rc == 0);
    const ServerState after_run = state_of(lab);
    CHECK(after_run.rows != before.rows);
    CHECK(after_run.auto_increment != before.auto_increment);
    CHECK(after_run.binlog_position != before.binlog_position);
    CHECK(lab.sql("SELECT value FROM cloud.configuration WHERE name IN ('integration.api.port', 'host') ORDER BY id") ==
          "8096\n10.0.0.2\n");
    CHECK(lab.sql("SELECT COUNT(*) FROM cloud.configuration WHERE name = 'obsolete.key'") == "0\n");
}
