// What mysql_query's dry run may run: statement kinds and the detection of
// tables a ROLLBACK cannot restore.
#include <catch2/catch.hpp>

#include "modules/db/sql_statement.hpp"

using namespace upkeep::db;

TEST_CASE("sql: statements are classified by their leading keyword", "[mysql]") {
    CHECK(classify("SELECT * FROM cloud.cluster_details") == StatementKind::Read);
    CHECK(classify("  /* find it */ -- and\n # more\n (select 1)") == StatementKind::Read);
    CHECK(classify("show tables") == StatementKind::Read);
    CHECK(classify("SET @id = 3") == StatementKind::Read);
    CHECK(classify("update cloud.cluster_details set value = 'x' where id = 3") == StatementKind::Write);
    CHECK(classify("INSERT IGNORE INTO t VALUES (1)") == StatementKind::Write);
    CHECK(classify("Delete from t") == StatementKind::Write);
    CHECK(classify("REPLACE INTO t VALUES (1)") == StatementKind::Write);
    CHECK(classify("CREATE TABLE t (id INT)") == StatementKind::Other);
    CHECK(classify("ALTER TABLE t ADD c INT") == StatementKind::Other);
    CHECK(classify("TRUNCATE t") == StatementKind::Other);
    CHECK(classify("GRANT ALL ON *.* TO x") == StatementKind::Other);
    CHECK(classify("SET GLOBAL max_connections = 10") == StatementKind::Other);
    CHECK(classify("SET @@global.max_connections = 10") == StatementKind::Other);
    CHECK(classify("SET autocommit = 1") == StatementKind::Other);
    CHECK(classify("COMMIT") == StatementKind::Other);
    CHECK(classify("SELECT * FROM t INTO OUTFILE '/tmp/x'") == StatementKind::Other);
    CHECK(classify("CALL p()") == StatementKind::Other);
    CHECK(classify("") == StatementKind::Other);
}

TEST_CASE("sql: only provably harmless statements are runnable by a dry run", "[mysql][hostile]") {
    // Each of these was Read (run by --check) for a first-keyword classifier.
    for (const char* q : {"SET STATEMENT max_statement_time=1 FOR DROP TABLE t",
                          "set password for 'u'@'%' = password('x')",
                          "SET PASSWORD = 'x'",
                          "SET ROLE admin",
                          "SET SESSION sql_log_bin = 0",
                          "SET @a = 1, sql_log_bin = 0",
                          "SET @a = 1, @@session.sql_log_bin = 0",
                          "SELECT 1 /*! , f() */",
                          "SELECT 1 /*!50000 INTO OUTFILE '/tmp/x' */",
                          "/*M!100000 DROP TABLE t */ SELECT 1",
                          "SELECT 1; DROP TABLE t",
                          "SELECT sleep(10)",
                          "SELECT GET_LOCK('x', 10)",
                          "SELECT NEXTVAL(s)",
                          "SELECT db.f(1)",
                          "SELECT `f`(1)",
                          "SELECT LAST_INSERT_ID(5)",
                          "SELECT * FROM t FOR UPDATE",
                          "SELECT * FROM t LOCK IN SHARE MODE",
                          "EXPLAIN ANALYZE SELECT 1",
                          "UPDATE t SET a = f()",
                          "INSERT INTO t SELECT nextval(s)",
                          "WITH x AS (SELECT 1) DELETE FROM t",
                          "SELECT 'unclosed",
                          "DO 1"})
        CHECK(classify(q) == StatementKind::Other);
    // Strings and ordinary comments do not fool it either way.
    CHECK(classify("SELECT 'DROP TABLE t; /*! x */' AS s, sleep FROM t -- FOR UPDATE") == StatementKind::Read);
    CHECK(classify("SELECT CONCAT(a, 'x'), COUNT(*), CAST(b AS DECIMAL(10,2)) FROM t WHERE c IN (1, 2)") == StatementKind::Read);
    CHECK(classify("SET @a = 1, @b := (SELECT MAX(id) FROM t)") == StatementKind::Read);
    CHECK(classify("SET NAMES utf8mb4") == StatementKind::Read);
    CHECK(classify("INSERT INTO t(a, b) VALUES (1, LOWER('X')) ON DUPLICATE KEY UPDATE b = VALUES(b)") == StatementKind::Write);
    CHECK(classify("INSERT IGNORE `t` (a) VALUES (%s)") == StatementKind::Write);
    CHECK(classify("UPDATE t SET v = %(new)s WHERE id = %(id)s") == StatementKind::Write);
    CHECK(check_statement("SELECT sleep(1)").reason.find("sleep()") != std::string::npos);
}

TEST_CASE("sql: statements naming non-transactional tables are found", "[mysql]") {
    std::vector<TableRef> t = {{"cloud", "legacy_log"}, {"mysql", "global_priv"}};
    CHECK(mentions_any("UPDATE legacy_log SET x = 1", t, "cloud"));
    CHECK(mentions_any("update `Legacy_Log` set x = 1", t, "CLOUD"));
    CHECK(mentions_any("DELETE FROM cloud.legacy_log", t, ""));
    CHECK(mentions_any("delete from `mysql`.`global_priv`", t, "cloud"));
    CHECK_FALSE(mentions_any("UPDATE legacy_log SET x = 1", t, "other"));  // a bare name in another db
    CHECK_FALSE(mentions_any("UPDATE legacy_logs SET x = 1", t, "cloud"));
    CHECK_FALSE(mentions_any("UPDATE other.legacy_log SET x = 1", t, "cloud"));
    CHECK_FALSE(mentions_any("UPDATE cluster_details SET value = 1", t, "cloud"));
}
