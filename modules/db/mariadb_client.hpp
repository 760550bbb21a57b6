// A small client for MariaDB/MySQL over libmariadb, shared by the database
// modules (mysql_query, jasypt_db_secret).
//
// Where it runs: on the controller. upkeep has no agent on the managed host, so
// unlike Ansible's mysql modules (which run on the target and usually reach the
// server through localhost) these modules open the database connection from the
// machine running upkeep, to login_host:login_port or to login_unix_socket.
// The server must therefore be reachable from the controller (a TCP port, an SSH
// tunnel, or a socket when the controller is the database host); "localhost"
// means the controller's own server, as with the mysql client.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/module/args.hpp"
#include "engine/value/value.hpp"

struct st_mysql;

namespace upkeep::db {

// How to reach the server (the login_* arguments).
struct Login {
    std::string host = "localhost";
    unsigned port = 3306;
    std::string user;
    std::string password;
    std::string unix_socket;
    std::string database;
    unsigned connect_timeout = 30;
};

// The login_* argument specs every database module shares.
std::vector<ArgSpec> login_arg_specs();
// The Login described by validated arguments.
Login login_from(const Args& args);
// "user@127.0.0.1:3306/cloud" or "user@unix:/run/mysqld/mysqld.sock/cloud": where
// the module connects, for messages and change targets (never the password).
std::string describe(const Login& login);

// One statement's outcome: its rows (when it returned a result set) and the
// number of rows it changed. Affected rows are counted without
// CLIENT_FOUND_ROWS, so an UPDATE that sets a value already there counts 0.
struct StatementResult {
    bool has_rows = false;
    std::vector<std::string> columns;
    std::vector<std::vector<std::optional<std::string>>> rows;  // nullopt == SQL NULL
    uint64_t affected = 0;  // changed rows, or the number of rows returned
};

// One connection. Throws TaskError with the server's message on any failure.
class Session {
public:
    explicit Session(const Login& login);
    ~Session();
    Session(const Session&) = delete;
    Session& operator=(const Session&) = delete;

    // Runs one statement (no multi-statements).
    StatementResult execute(const std::string& sql);
    // The SQL string literal for `text`, escaped for this connection's charset.
    std::string quote(std::string_view text) const;
    // A literal for a Value: NULL, 1/0, a number or a quoted string.
    std::string literal(const Value& v) const;
    // Codes of the warnings the last statement raised (SHOW WARNINGS).
    std::vector<unsigned> warning_codes();

private:
    st_mysql* m_db = nullptr;
    std::string m_where;
};

// `name` quoted as an identifier (backticks doubled); "schema.table" quotes both parts.
std::string identifier(std::string_view name);

// Fills a query's placeholders the way Python's DB-API (pymysql) does for
// community.mysql.mysql_query: %s takes the next positional argument, %(name)s a
// named one, %% is a literal percent. With neither kind of argument the query
// is used as written. Throws UserError on a count mismatch or an unknown name.
std::string bind_params(const Session& s, const std::string& query, const Value& positional, const Value& named);

}  // namespace upkeep::db
