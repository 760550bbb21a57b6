// How mysql_query's dry run predicts a write without running it. --check never
// executes INSERT/UPDATE/DELETE/REPLACE on the server (a rolled-back transaction
// still advances AUTO_INCREMENT counters, takes row locks, runs triggers and may
// reach non-transactional tables): it derives a read-only
//   SELECT COUNT(*) FROM <table> WHERE (<where>) AND NOT (<every SET value already held>)
// for a simple single-table UPDATE, and SELECT COUNT(*) FROM <table> WHERE (<where>)
// for a simple single-table DELETE. A count of 0 proves the statement changes
// nothing ("ok"); anything else is a change. A statement this cannot derive
// (INSERT, REPLACE, multi-table forms, RETURNING, SET values that read a column
// assigned before them...) is reported as "would run".
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

namespace upkeep::db {

// What the derivation needs to know about a column the UPDATE assigns: string
// columns are compared byte for byte in their own character set (a
// case-insensitive collation would call 'abc' = 'ABC' although the UPDATE
// changes the row); other types compare by value as the column stores it.
struct ColumnType {
    bool is_string = false;
    std::string charset;  // for string columns, e.g. "utf8mb4"
};
// (schema or "" for the current database, table, column) -> its type, or nullopt
// when unknown (the derived SELECT then compares by value and the server reports
// a missing table or column as the real statement would).
using ColumnLookup =
    std::function<std::optional<ColumnType>(const std::string& schema, const std::string& table, const std::string& column)>;

struct CountQuery {
    std::string sql;                // the derived SELECT COUNT(*) ..., empty when not derivable
    std::optional<uint64_t> limit;  // the statement's LIMIT n: at most n rows change
    std::string why_not;            // when sql is empty: why the dry run cannot predict it
};

// Derives the counting SELECT for `sql` (placeholders already bound).
CountQuery derive_count_query(const std::string& sql, const ColumnLookup& lookup);

}  // namespace upkeep::db
