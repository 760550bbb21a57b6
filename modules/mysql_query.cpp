// mysql_query: runs SQL statements against MariaDB/MySQL, like
// community.mysql.mysql_query, with a dry run that writes nothing: reads run,
// simple UPDATE/DELETE are predicted by a derived SELECT COUNT(*) (sql_predict),
// anything else is "would run".
#include <algorithm>
#include <set>

#include "engine/module/module.hpp"
#include "engine/util/error.hpp"
#include "engine/util/strings.hpp"
#include "modules/db/mariadb_client.hpp"
#include "modules/db/sql_predict.hpp"
#include "modules/db/sql_statement.hpp"

namespace upkeep {
namespace {

// The statements' text with the placeholders left in (the values may be
// secret), masked and shortened for a one-line summary.
std::string shown(const std::string& query, const std::vector<std::string>& secrets) {
    std::string s = mask_secrets(trim(query), secrets);
    for (char& c : s)
        if (c == '\n' || c == '\r' || c == '\t') c = ' ';
    return s.size() > 72 ? s.substr(0, 69) + "..." : s;
}

std::vector<std::string> secret_strings(const Args& args) {
    std::vector<std::string> out;
    auto walk = [&](auto&& self, const Value& v) -> void {
        if (v.is_string() && v.secret() && !v.as_string().empty()) out.push_back(v.as_string());
        if (v.is_list())
            for (const auto& x : v.as_list()) self(self, x);
        if (v.is_map())
            for (const auto& [k, x] : v.as_map()) self(self, x);
    };
    walk(walk, args.get("positional_args"));
    walk(walk, args.get("named_args"));
    walk(walk, args.get("query"));
    return out;
}

// The rows of a result set as a list of maps column -> value (NULL -> null).
Value rows_value(const db::StatementResult& r) {
    List rows;
    for (const auto& row : r.rows) {
        Map m;
        for (size_t i = 0; i < r.columns.size(); ++i) m[r.columns[i]] = row[i] ? Value(*row[i]) : Value();
        rows.push_back(Value(std::move(m)));
    }
    return Value(std::move(rows));
}

std::string plural(uint64_t n, const char* what) {
    return std::to_string(n) + " " + what + (n == 1 ? "" : "s");
}

// A column's type for the dry run's comparison (see sql_predict.hpp).
std::optional<db::ColumnType> column_type(db::Session& s, const std::string& schema, const std::string& table,
                                          const std::string& column) {
    auto r = s.execute("SELECT CHARACTER_SET_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = " +
                       (schema.empty() ? std::string("DATABASE()") : s.quote(schema)) +
                       " AND TABLE_NAME = " + s.quote(table) + " AND COLUMN_NAME = " + s.quote(column));
    if (r.rows.size() != 1 || r.rows[0].empty()) return std::nullopt;
    db::ColumnType t;
    t.is_string = r.rows[0][0].has_value();
    t.charset = r.rows[0][0].value_or("");
    return t;
}

class MysqlQueryModule : public Module {
public:
    const ModuleSpec& spec() const override {
        static const ModuleSpec s = [] {
            ModuleSpec m{
                .name = "mysql_query",
                .summary = "Run SQL statements on MariaDB/MySQL, with an exact dry run",
                .doc =
                    "Like community.mysql.mysql_query. Each item of `query` is ONE statement (no `;`-separated\n"
                    "lists). %s / %(name)s placeholders take positional_args / named_args, quoted by the client\n"
                    "library (pymysql's convention; %% is a literal %).\n"
                    "Runs on the CONTROLLER: upkeep has no agent, so the database connection is opened from the\n"
                    "machine running upkeep to login_host:login_port (or login_unix_socket), not from the\n"
                    "inventory host. The server must be reachable from there (open port or SSH tunnel).\n"
                    "Dry run and idempotence: check() never writes. It runs, in a READ ONLY transaction, only what\n"
                    "it can prove read-only (an allow-list): plain SELECT/SHOW/DESCRIBE/EXPLAIN and SET @user_var,\n"
                    "calling only pure built-in functions, without executable comments (/*! ... */), locking\n"
                    "clauses, INTO OUTFILE or a second statement. A simple single-table UPDATE or DELETE is not run\n"
                    "but counted: UPDATE t SET c = v WHERE w becomes SELECT COUNT(*) FROM t WHERE (w) AND NOT\n"
                    "(c <=> v) (strings compared byte for byte), DELETE FROM t WHERE w becomes SELECT COUNT(*)\n"
                    "FROM t WHERE w; 0 rows means ok (apply is skipped), more is a change. Anything else (INSERT,\n"
                    "REPLACE, multi-table forms, tables with triggers, DDL, GRANT, SET PASSWORD, SET STATEMENT ...\n"
                    "FOR, SET GLOBAL, CALL, stored functions...) and every statement after a predicted change is\n"
                    "reported as 'would run' and runs on apply. Write idempotent SQL: UPDATE ... SET ... WHERE\n"
                    "is predicted exactly; an INSERT IGNORE is 'would run' in --check, and a real run reports it\n"
                    "changed only when it added a row. Reads (SELECT, SHOW) run in both; their rows are in\n"
                    "query_result (values as strings, NULL as null); rowcount has one count per statement\n"
                    "(in check: per statement read or counted; counted_queries lists the writes only counted).\n"
                    "Example (CloudStack 4.3 upgrade, VMware: find the rows holding the vCenter password):\n"
                    "  - name: rows of cluster_details that hold a password\n"
                    "    mysql_query:\n"
                    "      login_host: 127.0.0.1\n"
                    "      login_user: cloud\n"
                    "      login_password: \"{{ db_password }}\"\n"
                    "      login_db: cloud\n"
                    "      query: SELECT id, cluster_id FROM cluster_details WHERE name = %s\n"
                    "      positional_args: [password]\n"
                    "    register: pw_rows\n"
                    "  - name: store the encrypted vCenter password (see jasypt_db_secret to do it in one step)\n"
                    "    mysql_query:\n"
                    "      login_host: 127.0.0.1\n"
                    "      login_user: cloud\n"
                    "      login_password: \"{{ db_password }}\"\n"
                    "      query:\n"
                    "        - UPDATE cloud.cluster_details SET value = %(enc)s WHERE id = %(id)s\n"
                    "      named_args: {enc: \"{{ vcenter_password_encrypted }}\", id: 3}",
                .args =
                    {
                        {.name = "query",
                         .type = ArgType::Any,
                         .required = true,
                         .doc = "one SQL statement or a list of them"},
                        {.name = "positional_args", .type = ArgType::List, .doc = "values for %s placeholders"},
                        {.name = "named_args", .type = ArgType::Map, .doc = "values for %(name)s placeholders"},
                        {.name = "single_transaction",
                         .type = ArgType::Bool,
                         .default_value = Value(false),
                         .doc = "apply all statements in one transaction (committed at the end, rolled back on error)"},
                    },
                .mutually_exclusive = {{"positional_args", "named_args"}},
            };
            for (auto& a : db::login_arg_specs()) m.args.push_back(a);
            return m;
        }();
        return s;
    }

    Plan check(ModuleContext& /*ctx*/, const Args& args) const override {
        db::Login login = db::login_from(args);
        DryRun d{.queries = statements(args), .secrets = secret_strings(args), .target = "mysql " + db::describe(login)};
        db::Session s(login);
        Plan plan;
        // Defence in depth: the server itself refuses any write the allow-list missed.
        s.execute("START TRANSACTION READ ONLY");
        try {
            dry_run_statements(s, login, args, d, plan);
        } catch (...) {
            s.execute("ROLLBACK");
            throw;
        }
        s.execute("ROLLBACK");
        if (d.stop) {
            for (size_t i = *d.stop; i < d.queries.size(); ++i)
                plan.changes.push_back({d.target, shown(d.queries[i], d.secrets) + ": would run", {}, {}, !d.secrets.empty()});
            plan.unpredictable = true;
        }
        plan.result["executed_queries"] = Value(d.executed);
        plan.result["counted_queries"] = Value(d.counted);
        plan.result["query_result"] = Value(d.results);
        plan.result["rowcount"] = Value(d.counts);
        if (d.stop)
            plan.msg = (d.changed_rows ? plural(d.changed_rows, "row") + " would change; " : std::string()) + "would run " +
                       plural(d.queries.size() - *d.stop, "statement") + " that a dry run cannot predict (" +
                       shown(d.queries[*d.stop], d.secrets) + (d.stop_reason.empty() ? "" : ": " + d.stop_reason) + ")";
        else if (d.changed_rows)
            plan.msg = plural(plan.changes.size(), "statement") + " change " + plural(d.changed_rows, "row");
        else
            plan.msg = "no statement changes any row (" + plural(d.ran, "statement") + " read or counted, none written)";
        return plan;
    }

    Value apply(ModuleContext& ctx, const Args& args, const Plan& /*plan*/) const override {
        db::Login login = db::login_from(args);
        std::vector<std::string> queries = statements(args);
        if (!ctx.conn.allow_external_effect("SQL on " + db::describe(login) + ": " + plural(queries.size(), "statement")))
            return Value();
        std::vector<std::string> secrets = secret_strings(args);
        bool one_tx = args.flag("single_transaction");
        db::Session s(login);
        List executed, results, counts;
        bool changed = false;
        if (one_tx) s.execute("START TRANSACTION");
        try {
            for (const auto& q : queries) {
                db::StatementResult r =
                    s.execute(db::bind_params(s, q, args.get("positional_args"), args.get("named_args")));
                db::StatementKind kind = db::classify(q);
                changed = changed || kind == db::StatementKind::Other || (kind == db::StatementKind::Write && r.affected > 0);
                executed.push_back(Value(mask_secrets(q, secrets)));
                results.push_back(rows_value(r));
                counts.push_back(Value(static_cast<int64_t>(r.affected)));
            }
        } catch (...) {
            if (one_tx) s.execute("ROLLBACK");
            throw;
        }
        if (one_tx) s.execute("COMMIT");
        Value out;
        // What really happened: an INSERT IGNORE the dry run could only call "would
        // run" reports ok when it added no row (the executor reads this for such plans).
        out["changed"] = Value(changed);
        out["executed_queries"] = Value(executed);
        out["query_result"] = Value(results);
        out["rowcount"] = Value(counts);
        return out;
    }

private:
    // What the dry run found, statement by statement.
    struct DryRun {
        std::vector<std::string> queries = {}, secrets = {};
        std::string target = "";
        List executed{}, counted{}, results{}, counts{};
        uint64_t changed_rows = 0;
        size_t ran = 0;
        std::optional<size_t> stop = std::nullopt;  // the first statement the dry run does not run or predict
        std::string stop_reason = "";
    };

    // Inside the read-only transaction: runs the statements proven read-only, counts
    // the rows a predictable write would change, and stops at the first statement it
    // can neither run nor predict (or after the first predicted change).
    static void dry_run_statements(db::Session& s, const db::Login& login, const Args& args, DryRun& d, Plan& plan) {
        std::vector<db::TableRef> triggered = db::tables_with_triggers(s);
        db::ColumnLookup lookup = [&s](const std::string& schema, const std::string& table, const std::string& column) {
            return column_type(s, schema, table, column);
        };
        for (size_t i = 0; i < d.queries.size(); ++i) {
            db::StatementCheck sc = db::check_statement(d.queries[i]);
            if (sc.kind == db::StatementKind::Write && db::mentions_any(d.queries[i], triggered, login.database))
                sc = {db::StatementKind::Other, "it writes to a table with a trigger"};
            if (sc.kind == db::StatementKind::Other) {
                d.stop = i, d.stop_reason = sc.reason;
                return;
            }
            std::string sql = db::bind_params(s, d.queries[i], args.get("positional_args"), args.get("named_args"));
            if (sc.kind == db::StatementKind::Read) {
                db::StatementResult r = s.execute(sql);
                ++d.ran;
                d.executed.push_back(Value(mask_secrets(d.queries[i], d.secrets)));
                d.results.push_back(rows_value(r));
                d.counts.push_back(Value(static_cast<int64_t>(r.affected)));
                continue;
            }
            // A write never runs in a dry run: count the rows it would change.
            db::CountQuery cq = db::derive_count_query(sql, lookup);
            if (!cq.sql.empty() && db::check_statement(cq.sql).kind != db::StatementKind::Read)
                cq = {"", {}, "its condition holds a locking read or a write"};
            if (cq.sql.empty()) {
                d.stop = i, d.stop_reason = cq.why_not;
                return;
            }
            db::StatementResult r = s.execute(cq.sql);
            uint64_t n = r.rows.empty() || r.rows[0].empty() || !r.rows[0][0] ? 0 : std::stoull(*r.rows[0][0]);
            if (cq.limit) n = std::min(n, *cq.limit);
            ++d.ran;
            d.counted.push_back(Value(mask_secrets(d.queries[i], d.secrets)));  // not executed: counted
            d.results.push_back(Value(List{}));
            d.counts.push_back(Value(static_cast<int64_t>(n)));
            if (n > 0) {
                d.changed_rows += n;
                plan.changes.push_back({d.target, shown(d.queries[i], d.secrets) + ": " + plural(n, "row") + " changed",
                                        {}, {}, !d.secrets.empty()});
                // What follows would see the changed rows, which the dry run did not make.
                if (i + 1 < d.queries.size()) d.stop = i + 1, d.stop_reason = "it follows a statement that changes rows";
                return;
            }
        }
    }

    static std::vector<std::string> statements(const Args& args) {
        const Value& q = args.get("query");
        std::vector<std::string> out;
        if (q.is_list()) {
            for (const auto& v : q.as_list()) out.push_back(v.to_string());
        } else {
            out.push_back(q.to_string());
        }
        for (const auto& s : out)
            if (trim(s).empty()) throw TaskError(q.mark(), "mysql_query: an empty statement in query");
        return out;
    }
};

}  // namespace

std::unique_ptr<Module> make_mysql_query_module() { return std::make_unique<MysqlQueryModule>(); }

}  // namespace upkeep
