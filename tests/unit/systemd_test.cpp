// systemd on a sandbox host: enabled and masked through the real systemctl with
// --root=SANDBOX (offline: no running systemd needed), converging and idempotent;
// state and daemon_reload need systemd as PID 1 and fail saying so.
#include <catch2/catch.hpp>
#include <filesystem>

#include "engine/connection/planned_connection.hpp"
#include "engine/util/error.hpp"
#include "tests/unit/module_sandbox.hpp"

using namespace upkeep;

namespace {

void seed_unit(test::Sandbox& box) {
    test::write_file(box.local("/usr/lib/systemd/system/demo.service"),
                     "[Unit]\nDescription=demo\n[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=multi-user.target\n");
    std::filesystem::create_directories(box.local("/etc/systemd/system/multi-user.target.wants"));
}

}  // namespace

TEST_CASE("systemd: enable, disable, mask offline on a sandbox, dry run exact, idempotent", "[systemd][module]") {
    if (test::sh("command -v systemctl").rc != 0) FAIL("systemctl is missing (package systemd)");
    test::Sandbox box;
    seed_unit(box);
    const std::string link = "/etc/systemd/system/multi-user.target.wants/demo.service";
    Plan p = box.check("systemd", "name: demo.service\nenabled: true\n");
    REQUIRE(p.changes.size() == 1);
    CHECK(p.changes[0].summary == "would enable");
    PlannedConnection planned(box.conn());
    ModuleContext pctx{planned, box.vars, nullptr, box.root()};
    test::Sandbox::module("systemd").apply(pctx, test::Sandbox::args("systemd", "name: demo.service\nenabled: true\n"), p);
    CHECK_FALSE(box.conn().stat(link, false).exists());
    box.converge("systemd", "name: demo.service\nenabled: true\n");
    CHECK(box.conn().stat(link, false).is_link());
    box.converge("systemd_service", "name: demo\nenabled: false\n");
    CHECK_FALSE(box.conn().stat(link, false).exists());
    box.converge("systemd", "name: demo.service\nmasked: true\n");
    CHECK(box.conn().stat("/etc/systemd/system/demo.service", false).link_target == "/dev/null");
    box.converge("systemd", "name: demo.service\nmasked: false\n");
    CHECK_FALSE(box.conn().stat("/etc/systemd/system/demo.service", false).exists());
    CHECK_THROWS_WITH(box.check("systemd", "name: nosuch.service\nenabled: true\n"),
                      Catch::Contains("Could not find the requested service nosuch.service"));
}

TEST_CASE("systemd: state and daemon_reload without systemd as PID 1 fail with the reason", "[systemd][module]") {
    test::Sandbox box;
    seed_unit(box);
    CHECK_THROWS_WITH(box.check("systemd", "name: demo.service\nstate: started\n"),
                      Catch::Contains("systemd is not running") && Catch::Contains("Only enabled and masked work offline"));
    CHECK_THROWS_WITH(box.check("systemd", "daemon_reload: true\n"), Catch::Contains("daemon_reload: systemd is not running"));
    CHECK_THROWS_AS(box.check("systemd", "name: 'demo*'\nenabled: true\n"), TaskError);
}
