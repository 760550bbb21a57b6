// What a dry run may do with an SQL statement: its kind from the leading
// keyword, and whether it names a table that a ROLLBACK cannot restore.
#pragma once

#include <string>
#include <vector>

namespace upkeep::db {

class Session;

enum class StatementKind {
    Read,   // SELECT, SHOW, DESCRIBE, EXPLAIN, session SET...: changes no data
    Write,  // INSERT, UPDATE, DELETE, REPLACE: undone by ROLLBACK on a transactional table
    Other,  // DDL, GRANT, SET GLOBAL, CALL, LOAD, SELECT ... INTO OUTFILE...: never run in a dry run
};

// Classifies a statement by its first keyword (after comments, blanks and '(').
StatementKind classify(const std::string& sql);

struct TableRef {
    std::string schema, name;  // lower case
};

// Base tables whose engine is not InnoDB (MyISAM, Aria, MEMORY, CSV...): a
// ROLLBACK leaves their changes in place.
std::vector<TableRef> non_transactional_tables(Session& s);

// True when `sql` names one of `tables`: as schema.name anywhere, or as a bare
// name when the table lives in `current_db`. Backticks are ignored and case does
// not matter; a false positive only makes the dry run more careful.
bool mentions_any(const std::string& sql, const std::vector<TableRef>& tables, const std::string& current_db);

}  // namespace upkeep::db
