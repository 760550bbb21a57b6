// What a dry run may do with an SQL statement. The rule is an allow-list: a
// statement runs in --check only when it is provably harmless there (a plain read,
// or a plain INSERT/UPDATE/DELETE/REPLACE undone by ROLLBACK on a transactional
// table), judged on its tokens, not on its first keyword alone: executable comments
// (`/*! DROP TABLE t */`), `SET STATEMENT ... FOR <ddl>`, `SET PASSWORD`, calls to
// functions that are not known to be pure, locking reads, INTO OUTFILE and several
// statements in one all make it "would run".
#pragma once

#include <string>
#include <vector>

namespace upkeep::db {

class Session;

enum class StatementKind {
    Read,   // SELECT, SHOW, DESCRIBE, EXPLAIN, SET @user_var: changes no data
    Write,  // INSERT, UPDATE, DELETE, REPLACE: undone by ROLLBACK on a transactional table
    Other,  // everything else (DDL, GRANT, SET PASSWORD, CALL, ...): never run in a dry run
};

struct StatementCheck {
    StatementKind kind = StatementKind::Other;
    std::string reason;  // for Other: why a dry run must not run it ("" for the plain cases)
};

// Classifies a statement from its tokens (strings and comments understood).
StatementCheck check_statement(const std::string& sql);
inline StatementKind classify(const std::string& sql) { return check_statement(sql).kind; }

struct TableRef {
    std::string schema, name;  // lower case
};

// Base tables whose engine is not InnoDB (MyISAM, Aria, MEMORY, CSV...): a
// ROLLBACK leaves their changes in place.
std::vector<TableRef> non_transactional_tables(Session& s);

// Tables with triggers: a write to them runs code the dry run cannot vet.
std::vector<TableRef> tables_with_triggers(Session& s);

// True when `sql` names one of `tables`: as schema.name anywhere, or as a bare
// name when the table lives in `current_db`. Backticks are ignored and case does
// not matter; a false positive only makes the dry run more careful.
bool mentions_any(const std::string& sql, const std::vector<TableRef>& tables, const std::string& current_db);

}  // namespace upkeep::db
