#include "modules/db/sql_predict.hpp"

#include <algorithm>
#include <cctype>
#include <set>
#include <vector>

#include "engine/util/strings.hpp"
#include "modules/db/sql_scan.hpp"

namespace upkeep::db {
namespace {

using Kind = SqlToken::Kind;
using Tokens = std::vector<SqlToken>;

bool is_word(const SqlToken& t, const char* w) { return t.kind == Kind::Word && t.text == w; }
bool is_punct(const SqlToken& t, char c) { return t.kind == Kind::Punct && t.text.size() == 1 && t.text[0] == c; }
bool is_name(const SqlToken& t) { return t.kind == Kind::Word || t.kind == Kind::QuotedName; }

// The first token in [from, to) at parenthesis depth 0 that is one of `words`, or `to`.
size_t find_clause(const Tokens& t, size_t from, size_t to, std::initializer_list<const char*> words) {
    int depth = 0;
    for (size_t i = from; i < to; ++i) {
        if (is_punct(t[i], '(')) ++depth;
        if (is_punct(t[i], ')')) --depth;
        if (depth == 0 && t[i].kind == Kind::Word)
            for (const char* w : words)
                if (t[i].text == w) return i;
    }
    return to;
}

// The statement's own text from token `first` to token `last - 1` (comments inside kept).
std::string slice(const std::string& sql, const Tokens& t, size_t first, size_t last) {
    return sql.substr(t[first].begin, t[last - 1].end - t[first].begin);
}

struct TableRef {
    std::string schema, name, alias, text;
};

// `[schema .] name [[AS] alias]` filling exactly [from, to): anything else
// (a join, a comma, PARTITION, USING, a derived table) is not a single table.
std::optional<TableRef> single_table(const std::string& sql, const Tokens& t, size_t from, size_t to) {
    if (from >= to || !is_name(t[from])) return std::nullopt;
    TableRef r;
    size_t i = from;
    r.name = t[i++].text;
    if (i < to && is_punct(t[i], '.')) {
        if (i + 1 >= to || !is_name(t[i + 1])) return std::nullopt;
        r.schema = r.name;
        r.name = t[i + 1].text;
        i += 2;
    }
    if (i < to && is_word(t[i], "as")) ++i;
    if (i < to) {
        if (!is_name(t[i])) return std::nullopt;
        r.alias = t[i++].text;
    }
    if (i != to) return std::nullopt;
    r.text = slice(sql, t, from, to);
    return r;
}

// WHERE / ORDER BY / LIMIT / RETURNING after the table (DELETE) or the SET list
// (UPDATE), starting at token `from`.
struct Tail {
    std::string where;  // the condition's text, "" for none
    std::optional<uint64_t> limit;
    std::string why_not;
};

Tail tail_of(const std::string& sql, const Tokens& t, size_t from) {
    Tail out;
    size_t n = t.size();
    if (find_clause(t, from, n, {"returning"}) != n) {
        out.why_not = "RETURNING";
        return out;
    }
    size_t where = find_clause(t, from, n, {"where"});
    size_t order = find_clause(t, from, n, {"order"});
    size_t limit = find_clause(t, from, n, {"limit"});
    size_t end_of_where = std::min(order, limit);
    if (where != n) {
        if (where != from || where + 1 >= end_of_where) {
            out.why_not = "an unexpected clause";
            return out;
        }
        out.where = slice(sql, t, where + 1, end_of_where);
    } else if (from != end_of_where) {
        out.why_not = "an unexpected clause";
        return out;
    }
    if (limit != n) {
        if (limit + 2 != n || t[limit + 1].kind != Kind::Number) {
            out.why_not = "a LIMIT other than a plain row count";
            return out;
        }
        try {
            out.limit = std::stoull(t[limit + 1].text);
        } catch (const std::exception&) {
            out.why_not = "a LIMIT other than a plain row count";
        }
    }
    return out;
}

bool plain_charset(const std::string& cs) {
    if (cs.empty()) return false;
    for (char c : cs)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) return false;
    return true;
}

CountQuery refuse(std::string why) {
    CountQuery q;
    q.why_not = std::move(why);
    return q;
}

CountQuery derive_update(const std::string& sql, const Tokens& t, const ColumnLookup& lookup) {
    size_t n = t.size();
    size_t i = 1;
    while (i < n && (is_word(t[i], "low_priority") || is_word(t[i], "ignore"))) ++i;
    size_t set = find_clause(t, i, n, {"set"});
    if (set == n) return refuse("no SET clause found");
    auto table = single_table(sql, t, i, set);
    if (!table) return refuse("it is not a single-table UPDATE");
    size_t list_end = find_clause(t, set + 1, n, {"where", "order", "limit", "returning"});
    // Split the SET list at depth-0 commas.
    std::vector<std::pair<size_t, size_t>> items;
    int depth = 0;
    size_t start = set + 1;
    for (size_t k = set + 1; k < list_end; ++k) {
        if (is_punct(t[k], '(')) ++depth;
        if (is_punct(t[k], ')')) --depth;
        if (depth == 0 && is_punct(t[k], ',')) {
            items.emplace_back(start, k);
            start = k + 1;
        }
    }
    items.emplace_back(start, list_end);
    std::set<std::string> assigned;  // lower case (MariaDB column names are case-insensitive)
    std::vector<std::string> held;
    for (auto [s, e] : items) {
        // [[schema .] table .] column = value
        size_t eq = s;
        while (eq < e && !is_punct(t[eq], '=')) ++eq;
        size_t lhs = eq - s;
        if (eq + 1 >= e || (lhs != 1 && lhs != 3 && lhs != 5)) return refuse("a SET item that is not column = value");
        for (size_t k = s; k < eq; ++k)
            if ((k - s) % 2 == 0 ? !is_name(t[k]) : !is_punct(t[k], '.'))
                return refuse("a SET item that is not column = value");
        std::string column = t[eq - 1].text;
        if (lhs >= 3) {
            const std::string& qualifier = t[eq - 3].text;
            if (qualifier != table->name && qualifier != table->alias) return refuse("it assigns a column of another table");
        }
        // MariaDB assigns left to right: a value reading a column set before it
        // sees the new value, which a SELECT over the current row would not.
        for (size_t k = eq + 1; k < e; ++k) {
            if (is_word(t[k], "default")) return refuse("SET ... = DEFAULT");
            bool call = k + 1 < e && is_punct(t[k + 1], '(');
            if (is_name(t[k]) && !call && assigned.count(to_lower(t[k].text)))
                return refuse("a SET value reads " + t[k].text + ", assigned before it");
        }
        assigned.insert(to_lower(column));
        std::string target = slice(sql, t, s, eq);
        std::string value = slice(sql, t, eq + 1, e);
        auto type = lookup(table->schema, table->name, column);
        if (type && type->is_string && plain_charset(type->charset))
            held.push_back("CAST(" + target + " AS BINARY) <=> CAST(CONVERT((" + value + ") USING " + type->charset +
                           ") AS BINARY)");
        else
            held.push_back(target + " <=> (" + value + ")");
    }
    Tail tail = tail_of(sql, t, list_end);
    if (!tail.why_not.empty()) return refuse(tail.why_not);
    std::string all_held;
    for (const auto& h : held) all_held += (all_held.empty() ? "" : " AND ") + h;
    CountQuery q;
    q.sql = "SELECT COUNT(*) FROM " + table->text + " WHERE " + (tail.where.empty() ? "" : "(" + tail.where + ") AND ") +
            "NOT (" + all_held + ")";
    q.limit = tail.limit;
    return q;
}

CountQuery derive_delete(const std::string& sql, const Tokens& t) {
    size_t n = t.size();
    size_t i = 1;
    while (i < n && (is_word(t[i], "low_priority") || is_word(t[i], "quick") || is_word(t[i], "ignore"))) ++i;
    if (i >= n || !is_word(t[i], "from")) return refuse("it is not a single-table DELETE");
    ++i;
    size_t table_end = find_clause(t, i, n, {"where", "order", "limit", "returning"});
    auto table = single_table(sql, t, i, table_end);
    if (!table) return refuse("it is not a single-table DELETE");
    Tail tail = tail_of(sql, t, table_end);
    if (!tail.why_not.empty()) return refuse(tail.why_not);
    CountQuery q;
    q.sql = "SELECT COUNT(*) FROM " + table->text + (tail.where.empty() ? "" : " WHERE " + tail.where);
    q.limit = tail.limit;
    return q;
}

}  // namespace

CountQuery derive_count_query(const std::string& sql, const ColumnLookup& lookup) {
    SqlScan sc = scan_sql(sql);
    if (sc.unterminated || sc.executable_comment || sc.several_statements || sc.tokens.empty())
        return refuse("not a plain statement");
    const Tokens& t = sc.tokens;
    if (is_word(t[0], "update")) return derive_update(sql, t, lookup);
    if (is_word(t[0], "delete")) return derive_delete(sql, t);
    if (is_word(t[0], "insert") || is_word(t[0], "replace"))
        return refuse("whether an INSERT/REPLACE adds or changes a row depends on keys a dry run does not evaluate");
    return refuse("not a simple UPDATE or DELETE");
}

}  // namespace upkeep::db
