// mysql_query and jasypt_db_secret against a real MariaDB started by the test
// (MariaDbLab): the dry run writes nothing (data, AUTO_INCREMENT, binary and
// general log untouched), predicts UPDATE/DELETE exactly by counting, apply
// converges, a second check is empty; the seed's "(VMware only)" step end to end
// with Java's jasypt reading what we stored.
#include <catch2/catch.hpp>

#include "engine/connection/local_connection.hpp"
#include "engine/connection/planned_connection.hpp"
#include "engine/module/module.hpp"
#include "engine/util/error.hpp"
#include "engine/value/yaml.hpp"
#include "modules/formats/jasypt.hpp"
#include "modules/registry.hpp"
#include "tests/support/jasypt_java.hpp"
#include "tests/support/mariadb_lab.hpp"

using namespace upkeep;
using test::MariaDbLab;

namespace {

// CloudStack 4.3's two tables that hold the vCenter password (schema-create.sql,
// create-schema-premium / 4.1->4.2 upgrade), InnoDB like every CloudStack table.
const char* k_schema = R"(
DROP DATABASE IF EXISTS cloud;
CREATE DATABASE cloud;
CREATE TABLE cloud.cluster_details (
  id bigint unsigned NOT NULL AUTO_INCREMENT,
  cluster_id bigint unsigned NOT NULL,
  name varchar(255) NOT NULL,
  value varchar(255),
  PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8;
CREATE TABLE cloud.vmware_data_center (
  id bigint unsigned NOT NULL UNIQUE AUTO_INCREMENT,
  guid varchar(255) NOT NULL UNIQUE,
  name varchar(255) NOT NULL,
  vcenter_host varchar(255) NOT NULL,
  username varchar(255) NOT NULL,
  password varchar(255) NOT NULL,
  PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8;
INSERT INTO cloud.cluster_details (cluster_id, name, value) VALUES
  (1, 'url', 'http://vcenter.lab/dc1/cluster1'),
  (1, 'username', 'administrator@vsphere.local'),
  (1, 'password', 'vC3nter!pw'),
  (2, 'cpuOvercommitRatio', '1'),
  (2, 'password', 'vC3nter!pw');
INSERT INTO cloud.vmware_data_center (guid, name, vcenter_host, username, password) VALUES
  ('dc1@vcenter.lab', 'dc1', 'vcenter.lab', 'administrator@vsphere.local', 'vC3nter!pw');
)";

const char* k_key = "Zx9mgmt-server-KEY";

// A host for the modules: a sandbox directory holding /etc/cloudstack/management/key.
struct Host {
    test::TempDir dir;
    LocalConnection conn{"mgmt", dir.path()};
    Value vars = Value(Map{});
    Host() { test::write_file(dir / "etc/cloudstack/management/key", std::string(k_key) + "\n"); }
    ModuleContext ctx(Connection& c) {
        return ModuleContext{c, vars, [](const Value&) { return Value(); }, dir.path()};
    }
};

const Module& module(const std::string& name) {
    const Module* m = find_module(name);
    REQUIRE(m != nullptr);
    return *m;
}

Args args(const std::string& name, const std::string& yaml) {
    return validate_args(module(name).spec(), parse_yaml(yaml, "task.yml"));
}

// One server per test process (each section re-runs its test case from the
// top; a fresh server each time would cost seconds); every run recreates the
// schema. The server stops when the process ends.
MariaDbLab& shared_lab() {
    // A binary log, so a test can prove that --check writes nothing to it.
    static MariaDbLab lab({"--log-bin=upkeep-bin", "--server-id=1", "--log-bin-trust-function-creators=1"});
    lab.sql(k_schema);
    return lab;
}

std::string tcp_login(const MariaDbLab& lab) {
    return "login_host: 127.0.0.1\nlogin_port: " + std::to_string(lab.port()) + "\nlogin_user: " + MariaDbLab::k_user +
           "\nlogin_password: " + MariaDbLab::k_password + "\n";
}

std::string socket_login(const MariaDbLab& lab) {
    return "login_unix_socket: " + lab.socket() + "\nlogin_user: root\n";
}

std::string plan_text(const Plan& p) {
    std::string s = p.msg + "\n" + p.result.to_json(true);
    for (const auto& c : p.changes) s += c.target + " " + c.summary + " " + c.before.or_empty() + c.after.or_empty();
    return s;
}

std::string task_error(const std::function<void()>& f) {
    try {
        f();
    } catch (const TaskError& e) {
        return e.what();
    }
    return "no error";
}

}  // namespace

TEST_CASE("mysql_query: the dry run predicts affected rows exactly without writing", "[mysql]") {
    MariaDbLab& lab = shared_lab();
    Host host;
    const Module& m = module("mysql_query");
    auto ctx = host.ctx(host.conn);
    std::string before = lab.sql("SELECT id, value FROM cloud.cluster_details ORDER BY id");

    SECTION("an UPDATE that sets values already there changes nothing") {
        Args a = args("mysql_query", tcp_login(lab) + "login_db: cloud\nquery: UPDATE cluster_details SET value = "
                                                      "'vC3nter!pw' WHERE name = 'password'\n");
        Plan p = m.check(ctx, a);
        INFO(p.msg);
        CHECK_FALSE(p.changed());
        CHECK(p.result.get("rowcount").to_json() == "[0]");
        CHECK(p.msg.find("no statement changes any row") != std::string::npos);
    }

    SECTION("reads, placeholders and writes: check predicts, apply matches, second check is empty") {
        // Named placeholders; the new value holds a quote, a backslash and percent signs.
        std::string yaml = tcp_login(lab) +
               "query:\n"
               "  - SELECT id, name FROM cloud.cluster_details WHERE value = %(old)s ORDER BY id\n"
               "  - UPDATE cloud.cluster_details SET value = %(new)s WHERE name = 'password'\n"
               "  - UPDATE cloud.cluster_details SET value = '2' WHERE name = 'cpuOvercommitRatio'\n"
               "  - DELETE FROM cloud.cluster_details WHERE name = 'url'\n"
               "named_args: {old: \"vC3nter!pw\", new: \"O'Brien %s \\\\ 50%\"}\n";
        Args a = args("mysql_query", yaml);
        Plan p = m.check(ctx, a);
        INFO(p.msg);
        // The first write changes 2 rows; what follows would see them changed, so it
        // is "would run", not guessed.
        REQUIRE(p.changes.size() == 3);
        CHECK(p.changes[0].summary.find(": 2 rows changed") != std::string::npos);
        CHECK(p.changes[1].summary.find(": would run") != std::string::npos);
        CHECK(p.changes[2].summary.find(": would run") != std::string::npos);
        CHECK(p.unpredictable);
        CHECK(p.result.get("rowcount").to_json() == "[2, 2]");
        CHECK(p.result.get("query_result").as_list()[0].to_json() ==
              R"([{"id": "3", "name": "password"}, {"id": "5", "name": "password"}])");
        CHECK(lab.sql("SELECT id, value FROM cloud.cluster_details ORDER BY id") == before);

        // The dry-run overlay refuses the effect: nothing reaches the database.
        PlannedConnection planned(host.conn);
        auto dry_ctx = host.ctx(planned);
        CHECK(m.apply(dry_ctx, a, p).is_null());
        REQUIRE(planned.would_run().size() == 1);
        CHECK(planned.would_run()[0].find("4 statements") != std::string::npos);
        CHECK(lab.sql("SELECT id, value FROM cloud.cluster_details ORDER BY id") == before);

        Value r = m.apply(ctx, a, p);
        CHECK(r.get("rowcount").to_json() == "[2, 2, 1, 1]");
        CHECK(r.get("changed").as_bool());
        CHECK(lab.sql("SELECT value FROM cloud.cluster_details WHERE name = 'password'") ==
              "O'Brien %s \\\\ 50%\nO'Brien %s \\\\ 50%\n");  // the client's batch mode escapes the backslash
        Plan again = m.check(ctx, a);
        INFO(again.msg);
        CHECK_FALSE(again.changed());
        CHECK(again.result.get("rowcount").to_json() == "[0, 0, 0, 0]");
    }

    SECTION("the count is exact: predicted rows == rows the real statement changes") {
        // Each statement alone: the prediction, then the real run's affected rows.
        struct Case {
            const char* sql;
            int predicted;  // -1: "would run"
        };
        const Case cases[] = {
            // utf8_general_ci calls these equal; the UPDATE still rewrites the bytes.
            {"UPDATE cluster_details SET value = 'VC3NTER!PW' WHERE name = 'password'", 2},
            {"UPDATE cluster_details SET value = 'VC3NTER!PW' WHERE name = 'password'", 0},
            {"UPDATE cluster_details SET cluster_id = '1' WHERE id <= 3", 0},  // compared as the column's type
            {"UPDATE cluster_details SET cluster_id = cluster_id + 0, value = value WHERE id = 1", 0},
            {"UPDATE cluster_details AS d SET d.value = CONCAT(d.value, '/') WHERE d.name = 'url'", 1},
            {"UPDATE cluster_details SET value = TRIM(TRAILING '/' FROM value) WHERE value LIKE '%/'", 1},
            {"UPDATE cluster_details SET value = TRIM(TRAILING '/' FROM value) WHERE value LIKE '%/'", 0},
            {"UPDATE IGNORE cloud.cluster_details SET value = NULL WHERE id IN (4, 5) LIMIT 1", 1},
            {"UPDATE cluster_details SET value = NULL WHERE id = 4", 0},
            {"DELETE FROM cluster_details WHERE cluster_id = 2 ORDER BY id LIMIT 1", 1},
            {"DELETE FROM cloud.cluster_details WHERE id = 4", 0},
            // Left to right: `name = value` would read the new value.
            {"UPDATE cluster_details SET value = 'x', name = value WHERE id = 1", -1},
            {"UPDATE cluster_details c JOIN vmware_data_center d ON c.id = d.id SET c.value = 'x'", -1},
            {"DELETE cluster_details FROM cluster_details WHERE id = 1", -1},
            {"INSERT IGNORE INTO cluster_details (id, cluster_id, name, value) VALUES (1, 1, 'url', 'x')", -1},
        };
        for (const auto& c : cases) {
            Args a = args("mysql_query", socket_login(lab) + "login_db: cloud\nquery: \"" + c.sql + "\"\n");
            std::string table = lab.sql("SELECT * FROM cloud.cluster_details ORDER BY id");
            Plan p = m.check(ctx, a);
            INFO(c.sql << "\n" << p.msg);
            CHECK(lab.sql("SELECT * FROM cloud.cluster_details ORDER BY id") == table);
            if (c.predicted < 0) {
                CHECK(p.unpredictable);
                REQUIRE(p.changes.size() == 1);
                CHECK(p.changes[0].summary.find("would run") != std::string::npos);
                continue;
            }
            CHECK_FALSE(p.unpredictable);
            CHECK(p.result.get("rowcount").to_json() == "[" + std::to_string(c.predicted) + "]");
            CHECK(p.changed() == (c.predicted > 0));
            Value r = m.apply(ctx, a, p);
            CHECK(r.get("rowcount").to_json() == "[" + std::to_string(c.predicted) + "]");
        }
        // INSERT IGNORE: "would run" in the dry run; the real run says whether it added a row.
        Args ins = args("mysql_query", socket_login(lab) + "query: INSERT IGNORE INTO cloud.cluster_details "
                                                           "(id, cluster_id, name, value) VALUES (1, 1, 'url', 'x')\n");
        CHECK_FALSE(m.apply(ctx, ins, m.check(ctx, ins)).get("changed").as_bool());
    }

    SECTION("positional arguments must match the placeholders") {
        Args a = args("mysql_query", socket_login(lab) + "query: SELECT %s, %s\npositional_args: [1]\n");
        CHECK_THROWS_WITH(m.check(ctx, a), Catch::Contains("more %s placeholders than positional_args"));
        Args b = args("mysql_query", socket_login(lab) + "query: \"SELECT %s, '%%'\"\npositional_args: [7]\n");
        CHECK(m.check(ctx, b).result.get("query_result").to_json() == R"([[{"%": "%", "7": "7"}]])");
    }

    SECTION("DDL is never run by check; a MyISAM table is counted, not written") {
        lab.sql("CREATE TABLE cloud.legacy (id INT PRIMARY KEY, v INT) ENGINE=MyISAM; INSERT INTO cloud.legacy VALUES (1, 1);");
        Args a = args("mysql_query", socket_login(lab) + "login_db: cloud\nquery:\n"
                                                         "  - UPDATE legacy SET v = 2\n"
                                                         "  - CREATE TABLE t2 (id INT)\n");
        Plan p = m.check(ctx, a);
        INFO(p.msg);
        CHECK(p.unpredictable);
        REQUIRE(p.changes.size() == 2);
        CHECK(p.changes[0].summary.find("1 row changed") != std::string::npos);
        CHECK(p.changes[1].summary.find("would run") != std::string::npos);
        CHECK(lab.sql("SELECT v FROM cloud.legacy") == "1\n");
        CHECK(lab.sql("SHOW TABLES FROM cloud LIKE 't2'") == "");

        Value r = m.apply(ctx, a, p);
        CHECK(r.get("rowcount").to_json() == "[1, 0]");
        CHECK(lab.sql("SELECT v FROM cloud.legacy") == "2\n");
        CHECK(lab.sql("SHOW TABLES FROM cloud LIKE 't2'") == "t2\n");

        Args ddl = args("mysql_query", socket_login(lab) + "query: CREATE TABLE cloud.t3 (id INT)\n");
        Plan pd = m.check(ctx, ddl);
        CHECK(pd.unpredictable);
        CHECK(lab.sql("SHOW TABLES FROM cloud LIKE 't3'") == "");
    }

    SECTION("a failing statement in a single transaction leaves the data as it was") {
        Args a = args("mysql_query", socket_login(lab) + "single_transaction: true\nquery:\n"
                                                         "  - UPDATE cloud.cluster_details SET value = 'y'\n"
                                                         "  - UPDATE cloud.no_such_table SET value = 'y'\n");
        // The check counts the first statement's rows; the second would run.
        CHECK(m.check(ctx, a).unpredictable);
        // Alone, the missing table fails the check as it would fail the real run.
        Args missing = args("mysql_query", socket_login(lab) + "query: UPDATE cloud.no_such_table SET value = 'y'\n");
        CHECK_THROWS_WITH(m.check(ctx, missing), Catch::Contains("doesn't exist"));
        CHECK(lab.sql("SELECT id, value FROM cloud.cluster_details ORDER BY id") == before);
        Plan fake;
        fake.changes.push_back({"x", "y", {}, {}, false});
        CHECK(task_error([&] { m.apply(ctx, a, fake); }).find("doesn't exist") != std::string::npos);
        CHECK(lab.sql("SELECT id, value FROM cloud.cluster_details ORDER BY id") == before);
    }

    SECTION("an unreachable server is a clear task error") {
        Args a = args("mysql_query", "login_host: 127.0.0.1\nlogin_port: 1\nlogin_user: x\nquery: SELECT 1\n");
        std::string err = task_error([&] { m.check(ctx, a); });
        CHECK(err.find("cannot connect to MariaDB at x@127.0.0.1:1 (from the controller)") != std::string::npos);
        Args b = args("mysql_query", "login_host: 127.0.0.1\nlogin_port: " + std::to_string(lab.port()) +
                                         "\nlogin_user: upkeep\nlogin_password: wrong\nquery: SELECT 1\n");
        err = task_error([&] { m.check(ctx, b); });
        CHECK(err.find("Access denied") != std::string::npos);
        CHECK(err.find("wrong") == std::string::npos);
    }
}

TEST_CASE("jasypt_db_secret: the (VMware only) step of the 4.3 upgrade", "[mysql][jasypt]") {
    MariaDbLab& lab = shared_lab();
    Host host;
    const Module& m = module("jasypt_db_secret");
    auto ctx = host.ctx(host.conn);
    const std::string pw = "vC3nter!pw";
    std::string cluster = tcp_login(lab) +
                          "key_file: /etc/cloudstack/management/key\n"
                          "table: cloud.cluster_details\ncolumn: value\n"
                          "where: {name: password, cluster_id: 1}\nplaintext: \"" + pw + "\"\n";
    std::string dc = socket_login(lab) + "login_db: cloud\nkey: " + k_key +
                     "\ntable: vmware_data_center\ncolumn: password\nid: 1\nplaintext: \"" + pw + "\"\n";
    std::string before = lab.sql("SELECT id, value FROM cloud.cluster_details ORDER BY id");

    // The spec marks every secret argument.
    for (const auto& s : m.spec().args)
        if (s.name == "plaintext" || s.name == "key" || s.name == "login_password") CHECK(s.secret);

    Args a = args("jasypt_db_secret", cluster);
    Plan p = m.check(ctx, a);
    INFO(p.msg);
    REQUIRE(p.changes.size() == 1);
    CHECK(p.changes[0].target == "cluster_details.value (id 3)");
    CHECK(p.changes[0].summary == "encrypt (now plain text)");
    CHECK(p.changes[0].secret);
    CHECK(plan_text(p).find(pw) == std::string::npos);
    CHECK(plan_text(p).find(k_key) == std::string::npos);
    CHECK(lab.sql("SELECT id, value FROM cloud.cluster_details ORDER BY id") == before);

    // A dry run: the overlay refuses, the database keeps its plain text.
    PlannedConnection planned(host.conn);
    auto dry_ctx = host.ctx(planned);
    Plan dry = m.check(dry_ctx, a);
    CHECK(m.apply(dry_ctx, a, dry).is_null());
    CHECK(planned.would_run().size() == 1);
    CHECK(lab.sql("SELECT id, value FROM cloud.cluster_details ORDER BY id") == before);

    Value r = m.apply(ctx, a, p);
    CHECK(r.get("rows_written").as_int() == 1);
    CHECK(r.to_json(true).find(pw) == std::string::npos);
    std::string stored = lab.sql("SELECT value FROM cloud.cluster_details WHERE id = 3");
    stored = stored.substr(0, stored.find('\n'));
    CHECK(stored != pw);
    CHECK(jasypt::decrypt(stored, k_key) == pw);
    // cluster 2's row was not selected and stays plain.
    CHECK(lab.sql("SELECT value FROM cloud.cluster_details WHERE id = 5") == pw + "\n");

    Plan again = m.check(ctx, a);
    CHECK_FALSE(again.changed());
    CHECK(again.msg == "cluster_details.value: already encrypted (1 row)");
    CHECK(again.result.get("rows").to_json() == R"([{"id": "3", "state": "already encrypted"}])");

    // vmware_data_center by id, with the key given inline and the socket.
    Args d = args("jasypt_db_secret", dc);
    Plan pd = m.check(ctx, d);
    REQUIRE(pd.changes.size() == 1);
    CHECK(pd.changes[0].target == "vmware_data_center.password (id 1)");
    m.apply(ctx, d, pd);
    CHECK_FALSE(m.check(ctx, d).changed());
    std::string dc_stored = lab.sql("SELECT password FROM cloud.vmware_data_center WHERE id = 1");
    dc_stored = dc_stored.substr(0, dc_stored.find('\n'));

    // What CloudStack would read: Java's jasypt decrypts both with the key.
    auto java = test::java_jasypt({{false, k_key, stored}, {false, k_key, dc_stored}});
    REQUIRE(java[0].ok);
    CHECK(java[0].value == pw);
    REQUIRE(java[1].ok);
    CHECK(java[1].value == pw);
    // Fresh salts: the two ciphertexts of the same password differ.
    CHECK(stored != dc_stored);
}

TEST_CASE("jasypt_db_secret: rotated, foreign, NULL and missing values", "[mysql][jasypt]") {
    MariaDbLab& lab = shared_lab();
    Host host;
    const Module& m = module("jasypt_db_secret");
    auto ctx = host.ctx(host.conn);
    std::string base = socket_login(lab) + "key_file: /etc/cloudstack/management/key\n"
                                           "table: cloud.cluster_details\ncolumn: value\n";
    auto value_of = [&](int id) {
        std::string v = lab.sql("SELECT value FROM cloud.cluster_details WHERE id = " + std::to_string(id));
        return v.substr(0, v.find('\n'));
    };

    SECTION("a value encrypted with another key fails unless forced") {
        lab.sql("UPDATE cloud.cluster_details SET value = '" + jasypt::encrypt("vC3nter!pw", "other-key") +
                "' WHERE id = 3");
        std::string yaml = base + "id: 3\nplaintext: vC3nter!pw\n";
        std::string err = task_error([&] { m.check(ctx, args("jasypt_db_secret", yaml)); });
        CHECK(err.find("cluster_details.value (id 3) holds neither the given plaintext nor a value the key decrypts") !=
              std::string::npos);
        CHECK(err.find("force: true") != std::string::npos);
        CHECK(err.find("vC3nter!pw") == std::string::npos);
        Args forced = args("jasypt_db_secret", yaml + "force: true\n");
        Plan p = m.check(ctx, forced);
        REQUIRE(p.changes.size() == 1);
        CHECK(p.changes[0].summary == "re-encrypt (now neither the plaintext nor decryptable with this key)");
        m.apply(ctx, forced, p);
        CHECK(jasypt::decrypt(value_of(3), k_key) == "vC3nter!pw");
        CHECK_FALSE(m.check(ctx, forced).changed());
    }

    SECTION("a rotated password (same key) is re-encrypted; NULL is set") {
        lab.sql("UPDATE cloud.cluster_details SET value = '" + jasypt::encrypt("old-pw", k_key) + "' WHERE id = 3;" +
                "UPDATE cloud.cluster_details SET value = NULL WHERE id = 5;");
        Args a = args("jasypt_db_secret", base + "where: {name: password}\nplaintext: new-pw\n");
        Plan p = m.check(ctx, a);
        REQUIRE(p.changes.size() == 2);
        CHECK(p.changes[0].summary == "re-encrypt (now another password encrypted with this key)");
        CHECK(p.changes[1].summary == "set encrypted (now NULL)");
        CHECK(p.msg == "cluster_details.value: 2 of 2 rows to encrypt");
        m.apply(ctx, a, p);
        CHECK(jasypt::decrypt(value_of(3), k_key) == "new-pw");
        CHECK(jasypt::decrypt(value_of(5), k_key) == "new-pw");
        CHECK_FALSE(m.check(ctx, a).changed());
    }

    SECTION("no matching row fails, unless allowed") {
        std::string yaml = base + "where: {name: password, cluster_id: 9}\nplaintext: x\n";
        CHECK(task_error([&] { m.check(ctx, args("jasypt_db_secret", yaml)); })
                  .find("no row of cloud.cluster_details matches cluster_id=9, name=password") != std::string::npos);
        Plan p = m.check(ctx, args("jasypt_db_secret", yaml + "allow_no_match: true\n"));
        CHECK_FALSE(p.changed());
    }

    SECTION("a missing key file and a bad key are clear errors") {
        Args a = args("jasypt_db_secret", socket_login(lab) + "key_file: /etc/nope/key\ntable: cloud.cluster_details\n"
                                                              "column: value\nid: 3\nplaintext: x\n");
        CHECK(task_error([&] { m.check(ctx, a); }).find("key_file /etc/nope/key does not exist on mgmt") !=
              std::string::npos);
        test::write_file(host.dir / "etc/cloudstack/management/key", "\n");
        CHECK(task_error([&] { m.check(ctx, args("jasypt_db_secret", base + "id: 3\nplaintext: x\n")); })
                  .find("is empty") != std::string::npos);
    }
}

// Statements that looked like reads to a first-keyword check but act on the server:
// each one ran in --check before (DDL commits implicitly, SET PASSWORD is immediate,
// a stored function writes a MyISAM table), and must now be left for apply.
TEST_CASE("mysql_query: check runs only what it can prove harmless, hostile statements would run", "[mysql][hostile]") {
    MariaDbLab& lab = shared_lab();
    Host host;
    const Module& m = module("mysql_query");
    auto ctx = host.ctx(host.conn);
    lab.sql("CREATE TABLE cloud.counter (n INT) ENGINE=MyISAM; INSERT INTO cloud.counter VALUES (0);\n"
            "DELIMITER //\nCREATE FUNCTION cloud.bump() RETURNS INT MODIFIES SQL DATA "
            "BEGIN UPDATE cloud.counter SET n = n + 1; RETURN 1; END//\nDELIMITER ;\n");
    auto state = [&] {
        return lab.sql("SELECT id, value FROM cloud.cluster_details ORDER BY id") +
               lab.sql("SHOW TABLES FROM cloud") + lab.sql("SELECT n FROM cloud.counter") +
               lab.sql("SELECT Password FROM mysql.user WHERE User = 'upkeep'");
    };
    const std::string before = state();
    const char* hostile[] = {
        "SET STATEMENT max_statement_time = 0 FOR DROP TABLE cloud.vmware_data_center",
        "SET STATEMENT sql_mode = '' FOR TRUNCATE TABLE cloud.cluster_details",
        "SET PASSWORD FOR 'upkeep'@'127.0.0.1' = PASSWORD('taken-over')",
        "SELECT id FROM cloud.cluster_details /*!, cloud.bump() */",
        "SELECT id FROM cloud.cluster_details /*M!100000 , cloud.bump() */",
        "SELECT cloud.bump()",
        "SELECT `bump`()",
        "SET @x = (SELECT cloud.bump())",
        "UPDATE cloud.cluster_details SET value = cloud.bump() WHERE id = 1",
        "SELECT id FROM cloud.cluster_details WHERE id = 1 FOR UPDATE",
        "SELECT id FROM cloud.cluster_details INTO OUTFILE '/tmp/upkeep-never-written'",
        "SET SESSION sql_log_bin = 0",
    };
    for (const char* q : hostile) {
        Args a = args("mysql_query", socket_login(lab) + "login_db: cloud\nquery:\n  - SELECT 1\n  - \"" + std::string(q) + "\"\n");
        Plan p = m.check(ctx, a);
        INFO(q << "\n" << p.msg);
        CHECK(p.unpredictable);
        REQUIRE(p.changes.size() == 1);
        CHECK(p.changes[0].summary.find("would run") != std::string::npos);
        CHECK(p.result.get("rowcount").to_json() == "[1]");  // the plain SELECT before it did run
        CHECK(state() == before);
    }
    CHECK_FALSE(test::exists("/tmp/upkeep-never-written"));

    // What stays runnable: reads with pure functions, user variables, plain writes (rolled back).
    Args ok = args("mysql_query", socket_login(lab) + "login_db: cloud\nquery:\n"
                                                      "  - SELECT COUNT(*), MAX(LENGTH(value)) FROM cluster_details WHERE name IN ('url')\n"
                                                      "  - SET @n = (SELECT COUNT(*) FROM cluster_details)\n"
                                                      "  - \"UPDATE cluster_details SET value = CONCAT('x', 'y') WHERE id = 1 -- note\"\n");
    Plan p = m.check(ctx, ok);
    INFO(p.msg);
    CHECK_FALSE(p.unpredictable);
    CHECK(p.result.get("rowcount").to_json() == "[1, 0, 1]");
    CHECK(state() == before);
    lab.sql("DROP FUNCTION cloud.bump");
}
