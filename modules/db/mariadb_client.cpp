#include "modules/db/mariadb_client.hpp"

#include <mysql.h>

#include <mutex>

#include "engine/util/error.hpp"

namespace upkeep::db {
namespace {

// mysql_library_init is not thread-safe and mysql_init calls it on first use:
// run it once, before any host's thread opens a connection.
void init_library() {
    static std::once_flag once;
    std::call_once(once, [] { mysql_library_init(0, nullptr, nullptr); });
}

}  // namespace

std::vector<ArgSpec> login_arg_specs() {
    return {
        {.name = "login_host",
         .type = ArgType::String,
         .default_value = Value("localhost"),
         .doc = "database server address, reached FROM THE CONTROLLER (localhost: the controller's own server)"},
        {.name = "login_port", .type = ArgType::Int, .default_value = Value(3306), .doc = "TCP port of the server"},
        {.name = "login_user", .type = ArgType::String, .doc = "user to connect as"},
        {.name = "login_password", .type = ArgType::String, .secret = true, .doc = "password of login_user"},
        {.name = "login_unix_socket",
         .type = ArgType::Path,
         .doc = "Unix socket of the server on the controller (instead of login_host:login_port)"},
        {.name = "login_db", .type = ArgType::String, .doc = "default database"},
        {.name = "connect_timeout",
         .type = ArgType::Int,
         .default_value = Value(30),
         .doc = "seconds to wait for the connection"},
    };
}

Login login_from(const Args& args) {
    Login l;
    l.host = args.str("login_host", "localhost");
    l.port = static_cast<unsigned>(args.integer("login_port", 3306));
    l.user = args.str("login_user");
    l.password = args.str("login_password");
    l.unix_socket = args.str("login_unix_socket");
    l.database = args.str("login_db");
    l.connect_timeout = static_cast<unsigned>(args.integer("connect_timeout", 30));
    return l;
}

std::string describe(const Login& l) {
    std::string where = l.unix_socket.empty() ? l.host + ":" + std::to_string(l.port) : "unix:" + l.unix_socket;
    std::string out = (l.user.empty() ? "" : l.user + "@") + where;
    if (!l.database.empty()) out += "/" + l.database;
    return out;
}

Session::Session(const Login& login) : m_where(describe(login)) {
    init_library();
    m_db = mysql_init(nullptr);
    if (!m_db) throw TaskError("cannot allocate a MariaDB connection");
    unsigned timeout = login.connect_timeout;
    mysql_options(m_db, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
    mysql_options(m_db, MYSQL_SET_CHARSET_NAME, "utf8mb4");
    // No CLIENT_FOUND_ROWS: affected rows count only rows whose values change,
    // which is what tells a dry run whether an UPDATE would change anything.
    unsigned long flags = 0;
    auto opt = [](const std::string& s) { return s.empty() ? nullptr : s.c_str(); };
    if (!mysql_real_connect(m_db, opt(login.host), opt(login.user), login.password.c_str(), opt(login.database),
                            login.port, opt(login.unix_socket), flags)) {
        std::string err = mysql_error(m_db);
        mysql_close(m_db);
        m_db = nullptr;
        throw TaskError("cannot connect to MariaDB at " + m_where + " (from the controller): " + err);
    }
}

Session::~Session() {
    if (m_db) mysql_close(m_db);
}

StatementResult Session::execute(const std::string& sql) {
    StatementResult r;
    if (mysql_real_query(m_db, sql.data(), sql.size()) != 0)
        throw TaskError("MariaDB at " + m_where + ": " + mysql_error(m_db) + " (error " +
                        std::to_string(mysql_errno(m_db)) + ")");
    MYSQL_RES* res = mysql_store_result(m_db);
    if (!res) {
        if (mysql_field_count(m_db) != 0)
            throw TaskError("MariaDB at " + m_where + ": reading the result failed: " + mysql_error(m_db));
        r.affected = mysql_affected_rows(m_db);
        return r;
    }
    r.has_rows = true;
    unsigned n = mysql_num_fields(res);
    MYSQL_FIELD* fields = mysql_fetch_fields(res);
    for (unsigned i = 0; i < n; ++i) r.columns.emplace_back(fields[i].name);
    while (MYSQL_ROW row = mysql_fetch_row(res)) {
        unsigned long* len = mysql_fetch_lengths(res);
        std::vector<std::optional<std::string>> out;
        for (unsigned i = 0; i < n; ++i) {
            if (row[i])
                out.emplace_back(std::string(row[i], len[i]));
            else
                out.emplace_back(std::nullopt);
        }
        r.rows.push_back(std::move(out));
    }
    mysql_free_result(res);
    r.affected = r.rows.size();
    return r;
}

std::string Session::quote(std::string_view text) const {
    std::string buf(text.size() * 2 + 1, '\0');
    unsigned long n = mysql_real_escape_string(m_db, buf.data(), text.data(), text.size());
    buf.resize(n);
    return "'" + buf + "'";
}

std::string Session::literal(const Value& v) const {
    switch (v.type()) {
        case Value::Type::Null: return "NULL";
        case Value::Type::Bool: return v.as_bool() ? "1" : "0";
        case Value::Type::Int:
        case Value::Type::Double: return v.to_string();
        default: return quote(v.to_string());
    }
}

std::vector<unsigned> Session::warning_codes() {
    std::vector<unsigned> out;
    if (mysql_warning_count(m_db) == 0) return out;
    auto r = execute("SHOW WARNINGS");
    for (const auto& row : r.rows)
        if (row.size() >= 2 && row[1]) out.push_back(static_cast<unsigned>(std::stoul(*row[1])));
    return out;
}

std::string identifier(std::string_view name) {
    std::string out;
    size_t start = 0;
    for (;;) {
        size_t dot = name.find('.', start);
        std::string_view part = name.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
        if (!out.empty()) out += '.';
        out += '`';
        for (char c : part) {
            if (c == '`') out += '`';
            out += c;
        }
        out += '`';
        if (dot == std::string_view::npos) break;
        start = dot + 1;
    }
    return out;
}

std::string bind_params(const Session& s, const std::string& query, const Value& positional, const Value& named) {
    bool has_pos = positional.is_list() && !positional.as_list().empty();
    bool has_named = named.is_map() && !named.as_map().empty();
    if (!has_pos && !has_named) return query;
    if (has_pos && has_named) throw TaskError(named.mark(), "positional_args and named_args cannot be used together");
    std::string out;
    size_t next = 0;
    for (size_t i = 0; i < query.size(); ++i) {
        char c = query[i];
        if (c != '%' || i + 1 >= query.size()) {
            out += c;
            continue;
        }
        char d = query[i + 1];
        if (d == '%') {
            out += '%';
            ++i;
        } else if (d == 's' && has_pos) {
            const auto& l = positional.as_list();
            if (next >= l.size())
                throw TaskError(positional.mark(), "the query has more %s placeholders than positional_args (" +
                                                       std::to_string(l.size()) + ")");
            out += s.literal(l[next++]);
            ++i;
        } else if (d == '(' && has_named) {
            size_t close = query.find(")s", i + 2);
            if (close == std::string::npos) throw TaskError(named.mark(), "unterminated %(name)s placeholder in the query");
            std::string name = query.substr(i + 2, close - i - 2);
            const Value* v = named.find(name);
            if (!v) throw TaskError(named.mark(), "named_args has no '" + name + "' for %(" + name + ")s in the query");
            out += s.literal(*v);
            i = close + 1;
        } else {
            out += c;
        }
    }
    if (has_pos && next != positional.as_list().size())
        throw TaskError(positional.mark(), "positional_args has " + std::to_string(positional.as_list().size()) +
                                               " values but the query uses " + std::to_string(next));
    return out;
}

}  // namespace upkeep::db
