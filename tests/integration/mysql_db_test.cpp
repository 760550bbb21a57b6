// mysql_db state=dump against a real MariaDB started by the test (MariaDbLab) and
// the real mysqldump: the dry run names what it would dump and writes nothing,
// apply leaves a complete dump (no .part), a second check is converged; the login
// travels on stdin (a TCP user with a password works), failures leave no file.
#include <catch2/catch.hpp>

#include "engine/connection/local_connection.hpp"
#include "engine/connection/planned_connection.hpp"
#include "engine/module/module.hpp"
#include "engine/util/error.hpp"
#include "engine/value/yaml.hpp"
#include "modules/registry.hpp"
#include "tests/support/mariadb_lab.hpp"

using namespace upkeep;
using test::MariaDbLab;

namespace {

MariaDbLab& dump_lab() {
    static MariaDbLab lab;
    lab.sql("DROP DATABASE IF EXISTS cloud; DROP DATABASE IF EXISTS cloud_usage; CREATE DATABASE cloud;"
            "CREATE TABLE cloud.storage_pool (id bigint PRIMARY KEY, name varchar(255), path varchar(255),"
            " pool_type varchar(32)) ENGINE=InnoDB;"
            "INSERT INTO cloud.storage_pool VALUES (1, 'local-kvm01', '/var/lib/libvirt/images/', 'Filesystem');");
    return lab;
}

struct Host {
    test::TempDir dir;
    LocalConnection conn{"db1", dir.path()};
    Value vars = Value(Map{});
    ModuleContext ctx(Connection& c) {
        return ModuleContext{c, vars, [](const std::string&) { return Value(); }, dir.path()};
    }
};

const Module& mysql_db() {
    const Module* m = find_module("mysql_db");
    REQUIRE(m != nullptr);
    return *m;
}

Args args(const std::string& yaml) { return validate_args(mysql_db().spec(), parse_yaml(yaml, "task.yml")); }

std::string error_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const std::exception& e) {
        return e.what();
    }
    return "no error";
}

}  // namespace

TEST_CASE("mysql_db state=dump: exact dry run, one complete dump, then converged", "[mysql_db]") {
    MariaDbLab& lab = dump_lab();
    Host host;
    test::write_file(host.dir / "var/backups/.keep", "");
    const Module& m = mysql_db();
    std::string login = "login_unix_socket: " + lab.socket() + "\nlogin_user: root\n";
    Args a = args(login + "state: dump\nname: [cloud, cloud_usage]\nskip_missing: true\n"
                          "target: /var/backups/cloudstack-before-4.3.sql\n");
    auto ctx = host.ctx(host.conn);

    Plan p = m.check(ctx, a);
    INFO(p.msg);
    REQUIRE(p.changed());
    CHECK(p.msg == "would dump cloud (cloud_usage absent: skipped) to /var/backups/cloudstack-before-4.3.sql");
    CHECK(p.result.get("databases").to_json() == "[\"cloud\"]");

    // The dry run: apply through the overlay records the command, writes nothing.
    PlannedConnection planned(host.conn);
    auto pctx = host.ctx(planned);
    m.apply(pctx, a, m.check(pctx, a));
    REQUIRE(planned.would_run().size() == 1);
    CHECK(planned.would_run()[0].find("mysqldump --defaults-extra-file=/dev/stdin") != std::string::npos);
    CHECK_FALSE(test::exists(host.dir / "var/backups/cloudstack-before-4.3.sql"));

    m.apply(ctx, a, p);
    std::string dump = test::read_file(host.dir / "var/backups/cloudstack-before-4.3.sql");
    CHECK(dump.find("CREATE DATABASE /*!32312 IF NOT EXISTS*/ `cloud`") != std::string::npos);
    CHECK(dump.find("'/var/lib/libvirt/images/'") != std::string::npos);
    CHECK(dump.find("-- Dump completed") != std::string::npos);
    CHECK(dump.find("cloud_usage") == std::string::npos);
    CHECK_FALSE(test::exists(host.dir / "var/backups/cloudstack-before-4.3.sql.part"));
    CHECK(test::sh("stat -c %a " + host.dir / "var/backups/cloudstack-before-4.3.sql").out == "600\n");

    Plan again = m.check(ctx, a);
    CHECK_FALSE(again.changed());
    CHECK(again.msg.find("exists") != std::string::npos);

    // Where cloud_usage exists (a usage server was installed), it is dumped too.
    lab.sql("CREATE DATABASE cloud_usage; CREATE TABLE cloud_usage.usage_event (id bigint PRIMARY KEY);");
    Args both = args(login + "state: dump\nname: cloud,cloud_usage\ntarget: /var/backups/both.sql\n");
    Plan pb = m.check(ctx, both);
    CHECK(pb.msg == "would dump cloud, cloud_usage to /var/backups/both.sql");
    m.apply(ctx, both, pb);
    CHECK(test::read_file(host.dir / "var/backups/both.sql").find("`cloud_usage`") != std::string::npos);
}

TEST_CASE("mysql_db state=dump: TCP login on stdin, missing databases and failures", "[mysql_db]") {
    MariaDbLab& lab = dump_lab();
    Host host;
    test::write_file(host.dir / "backup/.keep", "");
    const Module& m = mysql_db();
    auto ctx = host.ctx(host.conn);
    std::string tcp = "login_host: 127.0.0.1\nlogin_port: " + std::to_string(lab.port()) + "\nlogin_user: " +
                      MariaDbLab::k_user + "\n";

    Args ok = args(tcp + "login_password: " + MariaDbLab::k_password + "\nstate: dump\nname: cloud\ntarget: /backup/c.sql\n");
    Plan p = m.check(ctx, ok);
    m.apply(ctx, ok, p);
    CHECK(test::read_file(host.dir / "backup/c.sql").find("storage_pool") != std::string::npos);

    // Without skip_missing a missing database is an error that names it.
    Args missing = args(tcp + "login_password: " + MariaDbLab::k_password +
                        "\nstate: dump\nname: [cloud, cloud_usage]\ntarget: /backup/m.sql\n");
    CHECK(error_of([&] { m.check(ctx, missing); }).find("cloud_usage do not exist") != std::string::npos);

    // A wrong password fails with the server's message, and leaves neither the dump nor a .part.
    Args bad = args(tcp + "login_password: wrong-pw\nstate: dump\nname: cloud\ntarget: /backup/b.sql\n");
    std::string err = error_of([&] { m.check(ctx, bad); });
    CHECK(err.find("Access denied") != std::string::npos);
    CHECK(err.find("wrong-pw") == std::string::npos);
    CHECK_FALSE(test::exists(host.dir / "backup/b.sql"));
    CHECK_FALSE(test::exists(host.dir / "backup/b.sql.part"));
}
