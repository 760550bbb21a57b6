// user and group: the pure planning core (which useradd/usermod/... Ansible would
// run) and the modules on a sandbox host, where the shadow tools run with
// --prefix SANDBOX: only the sandbox's /etc files change, never this machine's.
#include <catch2/catch.hpp>
#include <filesystem>

#include "engine/connection/planned_connection.hpp"
#include "engine/util/error.hpp"
#include "modules/formats/account_plan.hpp"
#include "tests/unit/module_sandbox.hpp"

using namespace upkeep;

namespace {

AccountDb sample_db() {
    return parse_account_db("root:x:0:0:root:/root:/bin/bash\napp:x:1001:1001:App:/home/app:/bin/sh\n",
                            "root:*:19000:0:99999:7:::\napp:!$6$x$y:19000:0:99999:7:::\n",
                            "root:x:0:\napp:x:1001:\nsudo:x:27:app\ndocker:x:998:\n");
}

}  // namespace

TEST_CASE("account core: Ansible's useradd/usermod/groupadd decisions", "[user][group][module]") {
    AccountDb db = sample_db();
    UserRequest r;
    r.name = "new";
    r.groups = std::vector<std::string>{"sudo"};
    r.shell = "/bin/bash";
    auto c = plan_user(r, db);
    REQUIRE(c.argv.size() == 1);
    CHECK(c.argv[0] == std::vector<std::string>{"useradd", "-G", "sudo", "-s", "/bin/bash", "-m", "new"});
    // A group named like the user exists: -N, as Ansible.
    r.name = "docker";
    r.groups.reset();
    CHECK(plan_user(r, db).argv[0] == std::vector<std::string>{"useradd", "-N", "-s", "/bin/bash", "-m", "docker"});
    UserRequest app;
    app.name = "app";
    app.shell = "/bin/sh";
    app.groups = std::vector<std::string>{"sudo"};
    CHECK_FALSE(plan_user(app, db).changed());
    app.groups = std::vector<std::string>{"docker"};
    app.append = true;
    CHECK(plan_user(app, db).argv[0] == std::vector<std::string>{"usermod", "-a", "-G", "docker", "app"});
    app.groups = std::vector<std::string>{};
    app.append = false;
    CHECK(plan_user(app, db).argv[0] == std::vector<std::string>{"usermod", "-G", "", "app"});
    // The hash never goes on a command line; a locked hash equal but for '!' is no change.
    UserRequest pw;
    pw.name = "app";
    pw.password = "$6$x$y";
    CHECK_FALSE(plan_user(pw, db).changed());
    pw.password = "$6$x$z";
    auto p = plan_user(pw, db);
    CHECK(p.argv.empty());
    CHECK(p.password_hash == "$6$x$z");
    UserRequest bad;
    bad.name = "x";
    bad.group = "nosuch";
    CHECK_THROWS_WITH(plan_user(bad, db), "Group nosuch does not exist");
    GroupRequest g;
    g.name = "docker";
    g.gid = 999;
    CHECK(plan_group(g, db).argv[0] == std::vector<std::string>{"groupmod", "-g", "999", "docker"});
    g.gid = 998;
    CHECK_FALSE(plan_group(g, db).changed());
}

TEST_CASE("user and group modules on a sandbox: --prefix, dry run exact, idempotent", "[user][group][module]") {
    test::Sandbox box;
    seed_accounts(box);
    box.converge("group", "name: deployers\ngid: 4242\n");
    CHECK(test::read_file(box.local("/etc/group")).find("deployers:x:4242:") != std::string::npos);
    std::string task = "name: deploy\nuid: 4242\ngroup: deployers\ngroups: [users]\nshell: /bin/sh\npassword: '$6$s$hash'\n";
    Plan p = box.check("user", task);
    REQUIRE(p.changed());
    // The dry run records the commands, the sandbox's passwd stays as it was.
    PlannedConnection planned(box.conn());
    ModuleContext pctx{planned, box.vars, nullptr, box.root()};
    test::Sandbox::module("user").apply(pctx, test::Sandbox::args("user", task), p);
    CHECK(test::read_file(box.local("/etc/passwd")).find("deploy") == std::string::npos);
    Value result;
    box.converge("user", task, &result);
    CHECK(test::read_file(box.local("/etc/passwd")).find("deploy:x:4242:4242::/home/deploy:/bin/sh") != std::string::npos);
    CHECK(test::read_file(box.local("/etc/shadow")).find("deploy:$6$s$hash:") != std::string::npos);
    CHECK(test::read_file(box.local("/etc/group")).find("users:x:100:deploy") != std::string::npos);
    CHECK(result.get("uid").as_int() == 4242);
    CHECK(std::filesystem::is_directory(box.local("/home/deploy")));
    box.converge("user", "name: deploy\nshell: /bin/bash\npassword_lock: true\n");
    CHECK(test::read_file(box.local("/etc/shadow")).find("deploy:!$6$s$hash:") != std::string::npos);
    box.converge("user", "name: deploy\nstate: absent\nremove: true\n");
    CHECK(test::read_file(box.local("/etc/passwd")).find("deploy") == std::string::npos);
    box.converge("group", "name: deployers\nstate: absent\n");
    CHECK(test::read_file(box.local("/etc/group")).find("deployers") == std::string::npos);
}
