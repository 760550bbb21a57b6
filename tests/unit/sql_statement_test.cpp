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
