#include "modules/db/sql_statement.hpp"

#include <cctype>

#include "engine/util/strings.hpp"
#include "modules/db/mariadb_client.hpp"

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

// The statement with leading blanks, comments and parentheses skipped.
size_t skip_prefix(const std::string& s) {
    size_t i = 0;
    while (i < s.size()) {
        char c = s[i];
        if (std::isspace(static_cast<unsigned char>(c)) || c == '(') {
            ++i;
        } else if (c == '#' || (c == '-' && i + 2 < s.size() && s[i + 1] == '-' &&
                                std::isspace(static_cast<unsigned char>(s[i + 2])))) {
            size_t e = s.find('\n', i);
            i = e == std::string::npos ? s.size() : e + 1;
        } else if (c == '/' && i + 1 < s.size() && s[i + 1] == '*') {
            size_t e = s.find("*/", i + 2);
            i = e == std::string::npos ? s.size() : e + 2;
        } else {
            break;
        }
    }
    return i;
}

}  // namespace

StatementKind classify(const std::string& sql) {
    std::string text = normalized(sql);
    size_t i = skip_prefix(text);
    size_t e = i;
    while (e < text.size() && word_char(text[e])) ++e;
    std::string kw = text.substr(i, e - i);
    if (kw == "insert" || kw == "update" || kw == "delete" || kw == "replace") return StatementKind::Write;
    if (kw == "select" || kw == "with" || kw == "values" || kw == "table") {
        if (has_word(text, "outfile") || has_word(text, "dumpfile")) return StatementKind::Other;
        return StatementKind::Read;
    }
    if (kw == "show" || kw == "describe" || kw == "desc" || kw == "explain" || kw == "help") return StatementKind::Read;
    if (kw == "set") {
        // Session and user variables only; SET GLOBAL / PERSIST change the server,
        // SET TRANSACTION / autocommit would break the dry run's transaction.
        for (const char* w : {"global", "persist", "persist_only", "transaction", "autocommit", "@@global"})
            if (has_word(text, w)) return StatementKind::Other;
        if (text.find("@@global.") != std::string::npos) return StatementKind::Other;
        return StatementKind::Read;
    }
    return StatementKind::Other;
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
