#include "modules/db/sql_statement.hpp"

#include <cctype>
#include <set>

#include "engine/util/strings.hpp"
#include "modules/db/mariadb_client.hpp"
#include "modules/db/sql_scan.hpp"

namespace upkeep::db {
namespace {

bool word_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '$'; }

// Lower case, backticks removed.
std::string normalized(const std::string& sql) {
    std::string out;
    for (char c : sql)
        if (c != '`') out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

// Whether `word` occurs in `text` with no identifier character on either side.
bool has_word(const std::string& text, const std::string& word) {
    for (size_t at = text.find(word); at != std::string::npos; at = text.find(word, at + 1)) {
        bool left = at == 0 || (!word_char(text[at - 1]) && text[at - 1] != '.');
        bool right = at + word.size() >= text.size() || !word_char(text[at + word.size()]);
        if (left && right) return true;
    }
    return false;
}

// Built-in functions that only compute a value: a call to anything else (a stored
// function, SLEEP, GET_LOCK, NEXTVAL, LAST_INSERT_ID(x), a UDF...) may act on the
// server, so the statement is not run by a dry run.
const std::set<std::string> k_pure_functions = {
    "abs", "acos", "asin", "atan", "atan2", "ceil", "ceiling", "conv", "cos", "cot", "crc32", "degrees", "exp",
    "floor", "ln", "log", "log10", "log2", "mod", "pi", "pow", "power", "radians", "round", "sign", "sin", "sqrt",
    "tan", "truncate", "ascii", "bin", "bit_length", "char", "char_length", "character_length", "concat",
    "concat_ws", "elt", "field", "find_in_set", "format", "from_base64", "to_base64", "hex", "unhex", "instr",
    "lcase", "left", "length", "locate", "lower", "lpad", "ltrim", "make_set", "mid", "oct", "octet_length", "ord",
    "position", "quote", "repeat", "replace", "reverse", "right", "rpad", "rtrim", "soundex", "space", "strcmp",
    "substr", "substring", "substring_index", "trim", "ucase", "upper", "regexp_replace", "regexp_substr",
    "regexp_instr", "json_extract", "json_value", "json_query", "json_object", "json_array", "json_contains",
    "json_contains_path", "json_keys", "json_length", "json_unquote", "json_valid", "json_type", "json_search",
    "json_quote", "json_set", "json_insert", "json_replace", "json_remove", "json_merge", "json_merge_patch",
    "json_merge_preserve", "json_depth", "json_exists", "json_arrayagg", "json_objectagg", "adddate", "addtime",
    "curdate", "current_date", "current_time", "current_timestamp", "curtime", "date", "date_add",
    "date_format", "date_sub", "datediff", "day", "dayname", "dayofmonth", "dayofweek", "dayofyear", "extract",
    "from_days", "from_unixtime", "hour", "last_day", "localtime", "localtimestamp", "makedate", "maketime",
    "microsecond", "minute", "month", "monthname", "now", "period_add", "period_diff", "quarter", "sec_to_time",
    "second", "str_to_date", "subdate", "subtime", "sysdate", "time", "time_format", "time_to_sec", "timediff",
    "timestamp", "timestampadd", "timestampdiff", "to_days", "to_seconds", "unix_timestamp", "utc_date",
    "utc_time", "utc_timestamp", "week", "weekday", "weekofyear", "year", "yearweek", "if", "ifnull", "nullif",
    "coalesce", "greatest", "least", "isnull", "cast", "convert", "count", "sum", "avg", "min", "max",
    "group_concat", "std", "stddev", "stddev_pop", "stddev_samp", "variance", "var_pop", "var_samp", "bit_and",
    "bit_or", "bit_xor", "bit_count", "md5", "sha1", "sha", "sha2", "uuid", "database", "schema", "user",
    "current_user", "session_user", "system_user", "version", "connection_id", "charset", "collation",
    "found_rows", "row_count", "inet_aton", "inet_ntoa", "inet6_aton", "inet6_ntoa", "is_ipv4", "is_ipv6",
    "row_number", "rank", "dense_rank", "lag", "lead", "first_value", "last_value", "nth_value", "ntile",
    "values", "value"};

// Keywords and type names that take '(' without being calls.
const std::set<std::string> k_paren_keywords = {
    "in", "exists", "not", "and", "or", "xor", "as", "on", "using", "over", "partition", "interval", "row",
    "where", "select", "from", "join", "when", "then", "else", "case", "by", "having", "is", "like", "between",
    "distinct", "union", "all", "any", "some", "key", "index", "set", "limit", "div", "regexp", "rlike", "with",
    "recursive", "table", "except", "intersect", "returning", "duplicate", "update", "window", "lateral",
    "varchar", "binary", "decimal", "numeric", "signed", "unsigned", "integer", "int", "double", "float",
    "datetime", "json", "nchar", "dec", "fixed", "real"};

bool has_token(const SqlScan& sc, std::initializer_list<const char*> words) {
    for (const auto& t : sc.tokens)
        if (t.kind == SqlToken::Kind::Word)
            for (const char* w : words)
                if (t.text == w) return true;
    return false;
}

StatementCheck other(std::string why) { return {StatementKind::Other, std::move(why)}; }

}  // namespace

StatementCheck check_statement(const std::string& sql) {
    SqlScan sc = scan_sql(sql);
    if (sc.unterminated) return other("an unclosed string or comment");
    if (sc.executable_comment) return other("an executable comment (/*! ... */) runs SQL the dry run cannot vet");
    if (sc.several_statements) return other("several statements in one");
    const auto& t = sc.tokens;
    size_t i = 0;
    while (i < t.size() && t[i].kind == SqlToken::Kind::Punct && t[i].text == "(") ++i;
    if (i >= t.size() || t[i].kind != SqlToken::Kind::Word) return other("");
    const std::string& kw = t[i].text;
    for (const auto& call : sc.calls)
        if (!k_pure_functions.count(call) && !k_paren_keywords.count(call))
            return other("it calls " + call + "(), which is not a known pure function");

    if (kw == "insert" || kw == "update" || kw == "delete" || kw == "replace") {
        if (has_token(sc, {"outfile", "dumpfile"})) return other("INTO OUTFILE writes a file");
        return {StatementKind::Write, ""};
    }
    if (kw == "select" || kw == "with" || kw == "values" || kw == "table") {
        if (has_token(sc, {"outfile", "dumpfile"})) return other("INTO OUTFILE writes a file");
        // FOR UPDATE / LOCK IN SHARE MODE take locks; a WITH may lead to a write.
        if (has_token(sc, {"update", "lock", "share", "insert", "delete", "replace", "nowait", "skip"}))
            return other("a locking read or a write");
        return {StatementKind::Read, ""};
    }
    if (kw == "show" || kw == "describe" || kw == "desc" || kw == "help") return {StatementKind::Read, ""};
    if (kw == "explain") {
        // MySQL's EXPLAIN ANALYZE runs the statement.
        if (i + 1 < t.size() && t[i + 1].kind == SqlToken::Kind::Word && t[i + 1].text == "analyze")
            return other("EXPLAIN ANALYZE runs the statement");
        return {StatementKind::Read, ""};
    }
    if (kw == "set") {
        // Only user variables (SET @a = ..., @b = ...) and the connection's character
        // set: SET STATEMENT ... FOR <any statement>, SET PASSWORD, SET ROLE, SET GLOBAL,
        // SET autocommit and session variables all go beyond "read".
        if (i + 1 < t.size() && t[i + 1].kind == SqlToken::Kind::Word &&
            (t[i + 1].text == "names" || (t[i + 1].text == "character" && i + 2 < t.size() && t[i + 2].text == "set")))
            return {StatementKind::Read, ""};
        int depth = 0;
        bool expect_var = true;
        for (size_t k = i + 1; k < t.size(); ++k) {
            if (t[k].kind == SqlToken::Kind::Punct && t[k].text == "(") ++depth;
            if (t[k].kind == SqlToken::Kind::Punct && t[k].text == ")") --depth;
            if (t[k].kind == SqlToken::Kind::SystemVar) return other("it sets a server variable");
            if (expect_var) {
                if (t[k].kind != SqlToken::Kind::UserVar) return other("SET of something other than a @user variable");
                expect_var = false;
            } else if (depth == 0 && t[k].kind == SqlToken::Kind::Punct && t[k].text == ",") {
                expect_var = true;
            }
        }
        return {StatementKind::Read, ""};
    }
    return other("");
}

std::vector<TableRef> non_transactional_tables(Session& s) {
    auto r = s.execute(
        "SELECT LOWER(TABLE_SCHEMA), LOWER(TABLE_NAME) FROM information_schema.TABLES "
        "WHERE TABLE_TYPE = 'BASE TABLE' AND ENGINE IS NOT NULL AND ENGINE <> 'InnoDB' "
        "AND TABLE_SCHEMA NOT IN ('information_schema', 'performance_schema')");
    std::vector<TableRef> out;
    for (const auto& row : r.rows)
        if (row.size() == 2 && row[0] && row[1]) out.push_back({*row[0], *row[1]});
    return out;
}

std::vector<TableRef> tables_with_triggers(Session& s) {
    auto r = s.execute("SELECT DISTINCT LOWER(EVENT_OBJECT_SCHEMA), LOWER(EVENT_OBJECT_TABLE) FROM information_schema.TRIGGERS");
    std::vector<TableRef> out;
    for (const auto& row : r.rows)
        if (row.size() == 2 && row[0] && row[1]) out.push_back({*row[0], *row[1]});
    return out;
}

bool mentions_any(const std::string& sql, const std::vector<TableRef>& tables, const std::string& current_db) {
    std::string text = normalized(sql);
    std::string db = to_lower(current_db);
    for (const auto& t : tables) {
        std::string qualified = t.schema + "." + t.name;
        size_t at = text.find(qualified);
        while (at != std::string::npos) {
            bool left = at == 0 || !word_char(text[at - 1]);
            bool right = at + qualified.size() >= text.size() || !word_char(text[at + qualified.size()]);
            if (left && right) return true;
            at = text.find(qualified, at + 1);
        }
        if (!db.empty() && t.schema == db && has_word(text, t.name)) return true;
    }
    return false;
}

}  // namespace upkeep::db
