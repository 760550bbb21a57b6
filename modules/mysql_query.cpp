// mysql_query: runs SQL statements against MariaDB/MySQL, like
// community.mysql.mysql_query, with a dry run that predicts exactly which
// statements change rows (run in a transaction, counted, rolled back).
#include <set>

#include "engine/module/module.hpp"
#include "engine/util/error.hpp"
#include "engine/util/strings.hpp"
#include "modules/db/mariadb_client.hpp"
#include "modules/db/sql_statement.hpp"

namespace upkeep {
namespace {

constexpr unsigned k_warn_nontransactional_rollback = 1196;

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

class MysqlQueryModule : public Module {
public:
    const ModuleSpec& spec() const override {
        static const ModuleSpec s = [] {
            ModuleSpec m{
                "mysql_query",
                "Run SQL statements on MariaDB/MySQL, with an exact dry run",
                "Like community.mysql.mysql_query. Each item of `query` is ONE statement (no `;`-separated\n"
                "lists). %s / %(name)s placeholders take positional_args / named_args, quoted by the client\n"
                "library (pymysql's convention; %% is a literal %).\n"
                "Runs on the CONTROLLER: upkeep has no agent, so the database connection is opened from the\n"
                "machine running upkeep to login_host:login_port (or login_unix_socket), not from the\n"
                "inventory host. The server must be reachable from there (open port or SSH tunnel).\n"
                "Dry run and idempotence: check() runs the statements inside a transaction, counts the rows\n"
                "each one changes (affected rows WITHOUT CLIENT_FOUND_ROWS: an UPDATE that sets a value\n"
                "already there counts 0) and ROLLs BACK; the task is changed only when some statement\n"
                "changes a row, and apply() then runs them for real and COMMITs. This needs a transactional\n"
                "engine (InnoDB). check() runs only what it can prove harmless (an allow-list): plain\n"
                "SELECT/SHOW/DESCRIBE/EXPLAIN, SET @user_var, and INSERT/UPDATE/DELETE/REPLACE on InnoDB\n"
                "tables without triggers, calling only pure built-in functions, without executable comments\n"
                "(/*! ... */), locking clauses, INTO OUTFILE or a second statement. Anything else (DDL, GRANT,\n"
                "SET PASSWORD, SET STATEMENT ... FOR, SET GLOBAL, CALL, stored functions...) is never run\n"
                "by check: it and the statements after it are reported as 'would run' and run on apply. Write\n"
                "idempotent SQL (UPDATE ... SET, INSERT IGNORE, ON DUPLICATE KEY UPDATE): a plain INSERT\n"
                "changes a row on every run. Reads (SELECT, SHOW) run in both; their rows are in\n"
                "query_result (values as strings, NULL as null); rowcount has one count per statement.\n"
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
                {
                    {"query", ArgType::Any, true, {}, {}, {}, false, "one SQL statement or a list of them"},
                    {"positional_args", ArgType::List, false, {}, {}, {}, false, "values for %s placeholders"},
                    {"named_args", ArgType::Map, false, {}, {}, {}, false, "values for %(name)s placeholders"},
                    {"single_transaction", ArgType::Bool, false, Value(false), {}, {}, false,
                     "apply all statements in one transaction (committed at the end, rolled back on error)"},
                },
                false,
                {{"positional_args", "named_args"}},
                {},
            };
            for (auto& a : db::login_arg_specs()) m.args.push_back(a);
            return m;
        }();
        return s;
    }

    Plan check(ModuleContext& /*ctx*/, const Args& args) const override {
        db::Login login = db::login_from(args);
        std::vector<std::string> queries = statements(args);
        std::vector<std::string> secrets = secret_strings(args);
        std::string target = "mysql " + db::describe(login);
        db::Session s(login);
        Plan plan;
        List executed, results, counts;
        uint64_t changed_rows = 0;
        size_t ran = 0;
        std::optional<size_t> stop;  // the first statement the dry run must not run
        std::string stop_reason;
        std::vector<db::TableRef> nontx = db::non_transactional_tables(s);
        std::vector<db::TableRef> triggered = db::tables_with_triggers(s);
        s.execute("START TRANSACTION");
        try {
            for (size_t i = 0; i < queries.size(); ++i) {
                db::StatementCheck sc = db::check_statement(queries[i]);
                db::StatementKind kind = sc.kind;
                if (kind == db::StatementKind::Write && db::mentions_any(queries[i], nontx, login.database))
                    sc.reason = "it writes to a non-transactional table", kind = db::StatementKind::Other;
                else if (kind == db::StatementKind::Write && db::mentions_any(queries[i], triggered, login.database))
                    sc.reason = "it writes to a table with a trigger", kind = db::StatementKind::Other;
                if (kind == db::StatementKind::Other) {
                    stop = i;
                    stop_reason = sc.reason;
                    break;
                }
                std::string sql = db::bind_params(s, queries[i], args.get("positional_args"), args.get("named_args"));
                db::StatementResult r = s.execute(sql);
                ++ran;
                executed.push_back(Value(mask_secrets(queries[i], secrets)));
                results.push_back(rows_value(r));
                counts.push_back(Value(static_cast<int64_t>(r.affected)));
                if (kind == db::StatementKind::Write && r.affected > 0) {
                    changed_rows += r.affected;
                    plan.changes.push_back(
                        {target, shown(queries[i], secrets) + ": " + plural(r.affected, "row") + " changed", {}, {},
                         !secrets.empty()});
                }
            }
        } catch (...) {
            s.execute("ROLLBACK");
            throw;
        }
        s.execute("ROLLBACK");
        for (unsigned code : s.warning_codes())
            if (code == k_warn_nontransactional_rollback)
                throw TaskError("mysql_query: the dry run changed a non-transactional table (MyISAM/Aria?) that "
                                "could not be rolled back on " + db::describe(login) +
                                ": those changes ARE made; mysql_query's check needs InnoDB tables");
        if (stop) {
            for (size_t i = *stop; i < queries.size(); ++i)
                plan.changes.push_back({target, shown(queries[i], secrets) + ": would run", {}, {}, !secrets.empty()});
            plan.unpredictable = true;
        }
        plan.result["executed_queries"] = Value(executed);
        plan.result["query_result"] = Value(results);
        plan.result["rowcount"] = Value(counts);
        if (stop)
            plan.msg = "would run " + plural(queries.size() - *stop, "statement") +
                       " that a dry run cannot prove harmless (" + shown(queries[*stop], secrets) +
                       (stop_reason.empty() ? "" : ": " + stop_reason) + ")";
        else if (changed_rows)
            plan.msg = plural(plan.changes.size(), "statement") + " change " + plural(changed_rows, "row");
        else
            plan.msg = "no statement changes any row (" + plural(ran, "statement") + " run and rolled back)";
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
        if (one_tx) s.execute("START TRANSACTION");
        try {
            for (const auto& q : queries) {
                db::StatementResult r =
                    s.execute(db::bind_params(s, q, args.get("positional_args"), args.get("named_args")));
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
        out["executed_queries"] = Value(executed);
        out["query_result"] = Value(results);
        out["rowcount"] = Value(counts);
        return out;
    }

private:
    static std::vector<std::string> statements(const Args& args) {
        const Value& q = args.get("query");
        std::vector<std::string> out;
        if (q.is_list()) {
            for (const auto& v : q.as_list()) out.push_back(v.to_string());
        } else {
            out.push_back(q.to_string());
        }
        for (const auto& s : out)
            if (trim(s).empty()) throw UserError(q.mark(), "mysql_query: an empty statement in query");
        return out;
    }
};

}  // namespace

std::unique_ptr<Module> make_mysql_query_module() { return std::make_unique<MysqlQueryModule>(); }

}  // namespace upkeep
