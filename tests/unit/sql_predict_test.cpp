// mysql_query's dry run counts instead of writing: the SELECT derived from a
// simple UPDATE/DELETE, and the statements it refuses to predict.
#include <catch2/catch.hpp>

#include "modules/db/sql_predict.hpp"

using namespace upkeep::db;

namespace {

// `value` and `name` are utf8mb4 strings, everything else is not a string.
std::optional<ColumnType> lookup(const std::string&, const std::string&, const std::string& column) {
    if (column == "value" || column == "name") return ColumnType{true, "utf8mb4"};
    if (column == "id" || column == "n") return ColumnType{false, ""};
    return std::nullopt;
}

std::string derived(const std::string& sql) { return derive_count_query(sql, lookup).sql; }

}  // namespace

TEST_CASE("sql_predict: a simple UPDATE becomes a count of rows whose values differ", "[mysql][predict]") {
    CHECK(derived("UPDATE cloud.configuration SET value = '8096' WHERE name = 'integration.api.port'") ==
          "SELECT COUNT(*) FROM cloud.configuration WHERE (name = 'integration.api.port') AND "
          "NOT (CAST(value AS BINARY) <=> CAST(CONVERT(('8096') USING utf8mb4) AS BINARY))");
    CHECK(derived("update t set n = n + 1, value = NULL") ==
          "SELECT COUNT(*) FROM t WHERE NOT (n <=> (n + 1) AND CAST(value AS BINARY) <=> "
          "CAST(CONVERT((NULL) USING utf8mb4) AS BINARY))");
    CHECK(derived("UPDATE LOW_PRIORITY `t` AS x SET x.n = 2 WHERE x.id = 1 ORDER BY id") ==
          "SELECT COUNT(*) FROM `t` AS x WHERE (x.id = 1) AND NOT (x.n <=> (2))");
    CountQuery limited = derive_count_query("UPDATE t SET n = 2 LIMIT 5", lookup);
    CHECK(limited.sql == "SELECT COUNT(*) FROM t WHERE NOT (n <=> (2))");
    REQUIRE(limited.limit);
    CHECK(*limited.limit == 5);
    // A column the lookup does not know is compared by value (the server reports a missing one).
    CHECK(derived("UPDATE t SET other = 'x'") == "SELECT COUNT(*) FROM t WHERE NOT (other <=> ('x'))");
    // Strings and comments with keywords in them do not cut the statement.
    CHECK(derived("UPDATE t SET value = 'a WHERE b, c' /* set */ WHERE name = 'LIMIT 3'") ==
          "SELECT COUNT(*) FROM t WHERE (name = 'LIMIT 3') AND NOT (CAST(value AS BINARY) <=> "
          "CAST(CONVERT(('a WHERE b, c') USING utf8mb4) AS BINARY))");
}

TEST_CASE("sql_predict: a simple DELETE becomes a count of the rows it matches", "[mysql][predict]") {
    CHECK(derived("DELETE FROM cloud.t WHERE id IN (SELECT id FROM u)") ==
          "SELECT COUNT(*) FROM cloud.t WHERE id IN (SELECT id FROM u)");
    CHECK(derived("delete quick from t") == "SELECT COUNT(*) FROM t");
}

TEST_CASE("sql_predict: what a count cannot predict is refused", "[mysql][predict]") {
    for (const char* q : {"INSERT INTO t VALUES (1)", "INSERT IGNORE INTO t (id) VALUES (1)",
                          "REPLACE INTO t VALUES (1)", "UPDATE t, u SET t.n = u.n",
                          "UPDATE t JOIN u ON t.id = u.id SET t.n = 1", "UPDATE t SET value = 'x', name = value",
                          "UPDATE t SET n = DEFAULT", "UPDATE t SET u.n = 1", "UPDATE (SELECT 1) x SET n = 1",
                          "DELETE t FROM t JOIN u", "DELETE FROM t USING t JOIN u", "DELETE FROM t, u",
                          "DELETE FROM t PARTITION (p0)", "DELETE FROM t WHERE id = 1 RETURNING id",
                          "UPDATE t SET n = 1 LIMIT 1, 2", "UPDATE t SET n", "UPDATE t", "SELECT 1",
                          "UPDATE t SET n = 1; DELETE FROM t", "UPDATE t SET n = 1 /*! , x = 2 */"}) {
        CountQuery c = derive_count_query(q, lookup);
        INFO(q);
        CHECK(c.sql.empty());
        CHECK_FALSE(c.why_not.empty());
    }
}
