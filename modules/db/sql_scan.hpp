// A small MariaDB/MySQL lexer for the dry run's decisions: the words of a
// statement outside strings and comments, the functions it calls, and the
// constructs that hide statements from a keyword check (executable comments,
// several statements in one string).
#pragma once

#include <string>
#include <vector>

namespace upkeep::db {

struct SqlToken {
    enum class Kind { Word, QuotedName, UserVar, SystemVar, String, Number, Punct };
    Kind kind;
    std::string text;  // words lower case; quoted names without their backticks
    size_t begin = 0, end = 0;  // the token's bytes in the scanned text: [begin, end)
};

struct SqlScan {
    std::vector<SqlToken> tokens;
    std::vector<std::string> calls;  // called function names (qualified ones as "db.f")
    bool executable_comment = false;  // /*! ... */ or /*M! ... */: runs as SQL on the server
    bool several_statements = false;  // a ';' followed by more SQL
    bool unterminated = false;        // an unclosed string, name or comment
};

SqlScan scan_sql(const std::string& sql);

}  // namespace upkeep::db
