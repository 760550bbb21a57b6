// scan_sql (modules/db/sql_scan.hpp), the lexer under the dry run's decisions about
// SQL: tokens with their byte ranges, called functions, and the constructs that
// hide statements (executable comments, a second statement, an unclosed quote).
#include <catch2/catch.hpp>

#include "modules/db/sql_scan.hpp"

using namespace upkeep::db;

namespace {

std::vector<std::string> texts(const SqlScan& s) {
    std::vector<std::string> out;
    for (const auto& t : s.tokens) out.push_back(t.text);
    return out;
}

}  // namespace

TEST_CASE("scan_sql: words lower case, strings unquoted, byte ranges, comments skipped", "[mysql][sql_scan]") {
    std::string sql = "SELECT `Name`, 'it''s', \"a\\\"b\", @V, @@Global.X -- note\n# more\nFROM t /* c */ WHERE n=42";
    SqlScan s = scan_sql(sql);
    CHECK(texts(s) == std::vector<std::string>{"select", "Name", ",", "it's", ",", "a\"b", ",", "v", ",", "global.x",
                                               "from", "t", "where", "n", "=", "42"});
    CHECK(s.tokens[1].kind == SqlToken::Kind::QuotedName);
    CHECK(s.tokens[3].kind == SqlToken::Kind::String);
    CHECK(s.tokens[7].kind == SqlToken::Kind::UserVar);
    CHECK(s.tokens[9].kind == SqlToken::Kind::SystemVar);
    CHECK(s.tokens.back().kind == SqlToken::Kind::Number);
    CHECK(sql.substr(s.tokens[1].begin, s.tokens[1].end - s.tokens[1].begin) == "`Name`");
    CHECK(sql.substr(s.tokens[3].begin, s.tokens[3].end - s.tokens[3].begin) == "'it''s'");
    CHECK_FALSE(s.several_statements);
    CHECK_FALSE(s.executable_comment);
    CHECK_FALSE(s.unterminated);
    // "--" without white space after it is two minus signs, not a comment.
    CHECK(texts(scan_sql("SELECT 1--2")) == std::vector<std::string>{"select", "1", "-", "-", "2"});
}

TEST_CASE("scan_sql: calls, qualified and quoted, but not a table's column list", "[mysql][sql_scan]") {
    SqlScan s = scan_sql("INSERT INTO t (a) VALUES (NOW()), (db.f(1)), (`g`(2)); ");
    // VALUES (...) reads as a call too: the list errs on the side of more names to vet.
    CHECK(s.calls == std::vector<std::string>{"values", "now", "`db.f`", "`g`"});
    CHECK_FALSE(s.several_statements);  // a trailing ';' alone is one statement
    CHECK(scan_sql("REPLACE t(a) SELECT sleep(5)").calls == std::vector<std::string>{"sleep"});
}

TEST_CASE("scan_sql: what hides statements from a keyword check", "[mysql][sql_scan][hostile]") {
    CHECK(scan_sql("SELECT 1 /*! , sleep(5) */").executable_comment);
    CHECK(scan_sql("SELECT 1 /*M!100000 DROP TABLE t */").executable_comment);
    CHECK_FALSE(scan_sql("SELECT 1 /* plain */").executable_comment);
    CHECK(scan_sql("SELECT 1; DROP TABLE t").several_statements);
    CHECK(scan_sql("SELECT 1;;").several_statements);
    CHECK_FALSE(scan_sql("SELECT 1; -- done").several_statements);
    CHECK(scan_sql("SELECT 'open").unterminated);
    CHECK(scan_sql("SELECT `open").unterminated);
    CHECK(scan_sql("SELECT 1 /* open").unterminated);
}
