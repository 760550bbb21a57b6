// timezone on a sandbox (Debian's /etc/timezone + /etc/localtime, converging and
// idempotent) and service_facts' parsers on recorded systemctl/service outputs
// (systemd is not PID 1 here, so its path is checked on its real output format).
#include <catch2/catch.hpp>
#include <filesystem>

#include "engine/connection/planned_connection.hpp"
#include "engine/util/error.hpp"
#include "modules/formats/service_list.hpp"
#include "tests/unit/module_sandbox.hpp"

using namespace upkeep;

namespace upkeep {
std::string timezone_file_edit(const std::optional<std::string>& current, const std::string& tz);
}

TEST_CASE("timezone: /etc/timezone and the /etc/localtime link on a sandbox, dry run exact, idempotent", "[timezone][module]") {
    test::Sandbox box;
    for (const char* z : {"Etc/UTC", "Europe/Paris"}) test::write_file(box.local(std::string("/usr/share/zoneinfo/") + z), std::string("TZif ") + z);
    test::write_file(box.local("/etc/timezone"), "Etc/UTC\n");
    box.conn().symlink("/usr/share/zoneinfo/Etc/UTC", "/etc/localtime");
    CHECK_FALSE(box.check("timezone", "name: Etc/UTC\n").changed());
    Plan p = box.check("timezone", "name: Europe/Paris\n");
    REQUIRE(p.changed());
    CHECK(*p.changes[0].after == "Europe/Paris\n");
    PlannedConnection planned(box.conn());
    ModuleContext pctx{planned, box.vars, nullptr, box.root()};
    test::Sandbox::module("timezone").apply(pctx, test::Sandbox::args("timezone", "name: Europe/Paris\n"), p);
    CHECK(test::read_file(box.local("/etc/timezone")) == "Etc/UTC\n");
    box.converge("timezone", "name: Europe/Paris\n");
    CHECK(test::read_file(box.local("/etc/timezone")) == "Europe/Paris\n");
    CHECK(box.conn().stat("/etc/localtime", false).link_target == "/usr/share/zoneinfo/Europe/Paris");
    CHECK_THROWS_WITH(box.check("timezone", "name: Mars/Olympus\n"), "given timezone \"Mars/Olympus\" is not available");
    CHECK(timezone_file_edit(std::string("A/B\nC/D\n"), "X/Y") == "X/Y\n");
    CHECK(timezone_file_edit(std::string(" x\nA/B\nC/D\n"), "X/Y") == " x\nX/Y\n");
    CHECK(timezone_file_edit(std::nullopt, "X/Y") == "X/Y\n");
}

TEST_CASE("service_facts parsers: service --status-all and systemctl list-units as Ansible reads them", "[service_facts][module]") {
    Value services = Value(Map{});
    parse_status_all(" [ + ]  cron\n [ - ]  ssh\n [ ? ]  hwclock.sh\n", services);
    CHECK(services.get("cron").get("state").as_string() == "running");
    CHECK(services.get("ssh").get("state").as_string() == "stopped");
    CHECK(services.get("ssh").get("source").as_string() == "sysv");
    CHECK_FALSE(services.has("hwclock.sh"));
    parse_list_units("  UNIT                      LOAD      ACTIVE   SUB     DESCRIPTION\n"
                     "  cron.service              loaded    active   running Regular background program processing daemon\n"
                     "● ntp.service               not-found inactive dead    ntp.service\n"
                     "  ssh.service               loaded    inactive dead    OpenBSD Secure Shell server\n",
                     services);
    CHECK(services.get("cron.service").get("state").as_string() == "running");
    CHECK(services.get("cron.service").get("status").as_string() == "active");
    CHECK(services.get("ntp.service").get("status").as_string() == "not-found");
    CHECK(services.get("ntp.service").get("state").as_string() == "stopped");
    CHECK(services.get("ssh.service").get("source").as_string() == "systemd");
}
