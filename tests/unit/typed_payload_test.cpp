// check() -> apply() through typed plan payloads (engine/module/plan.hpp): each
// module's apply() reads only what its check() put in its own payload type, never
// a string key of Plan::data. Each case wipes Plan::data between check and apply
// (the old untyped map): a module that still read a key from it would fail here.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>

#include "engine/util/error.hpp"
#include "tests/unit/module_sandbox.hpp"

using namespace upkeep;

namespace {

// check, apply with Plan::data wiped, check again: converged.
Plan round_trip(test::Sandbox& box, const std::string& module, const std::string& task) {
    Plan p = box.check(module, task);
    REQUIRE(p.changed());
    REQUIRE(p.has_payload());
    Plan typed_only = p;
    typed_only.data = Value();
    box.apply(module, task, typed_only);
    Plan again = box.check(module, task);
    INFO(module << " second check: " << again.msg);
    CHECK_FALSE(again.changed());
    return p;
}

}  // namespace

TEST_CASE("plan payload: apply reads what check set, and a missing one is a contract error", "[payload]") {
    struct Ours {
        std::string path;
    };
    struct Theirs {
        int n = 0;
    };
    Plan p;
    CHECK(p.find_payload<Ours>() == nullptr);
    CHECK_THROWS_AS(p.payload<Ours>(), ContractError);
    p.set_payload(Ours{"/etc/x"});
    CHECK(p.payload<Ours>().path == "/etc/x");
    Plan copy = p;  // shared, not copied
    CHECK(&copy.payload<Ours>() == &p.payload<Ours>());
    CHECK_THROWS_WITH(p.payload<Theirs>(), Catch::Contains("without the payload its check() makes"));
    // One of each type: a second type sits beside the first, the same type replaces it.
    p.set_payload(Theirs{3});
    p.set_payload(Ours{"/etc/y"});
    CHECK(p.payloads.size() == 2);
    CHECK(p.payload<Ours>().path == "/etc/y");
    CHECK(p.payload<Theirs>().n == 3);
    CHECK(copy.payload<Ours>().path == "/etc/x");  // the copy kept what it shared
}

TEST_CASE("typed payloads: copy's tree, unarchive, timezone, cron, authorized_key and fetch apply without Plan::data",
          "[payload][module]") {
    test::Sandbox box;
    SECTION("copy, a directory src") {
        test::write_file(box.root() + "/.playbook/files/hooks/qemu", "#!/bin/sh\n");
        test::write_file(box.root() + "/.playbook/files/hooks/d/x.conf", "x=1\n");
        box.conn().make_dirs("/etc", std::nullopt);
        round_trip(box, "copy", "src: hooks\ndest: /etc/libvirt\nmode: '0750'\n");
        CHECK(test::read_file(box.local("/etc/libvirt/hooks/d/x.conf")) == "x=1\n");
        CHECK(box.conn().stat("/etc/libvirt/hooks/qemu").mode == 0750);
    }
    SECTION("unarchive") {
        std::string src = box.root() + "/.src";
        test::write_file(src + "/app/conf/app.conf", "port=8080\n");
        test::must("ln -s conf/app.conf " + src + "/app/current.conf");
        test::must("mkdir -p " + box.root() + "/.playbook/files " + box.local("/opt") + " && cd " + src + " && tar -czf " +
                   box.root() + "/.playbook/files/app.tar.gz app");
        round_trip(box, "unarchive", "src: app.tar.gz\ndest: /opt\n");
        CHECK(test::read_file(box.local("/opt/app/conf/app.conf")) == "port=8080\n");
        CHECK(box.conn().stat("/opt/app/current.conf", false).link_target == "conf/app.conf");
    }
    SECTION("timezone, the Debian files") {
        for (const char* z : {"Etc/UTC", "Europe/Paris"})
            test::write_file(box.local(std::string("/usr/share/zoneinfo/") + z), std::string("TZif ") + z);
        test::write_file(box.local("/etc/timezone"), "Etc/UTC\n");
        box.conn().symlink("/usr/share/zoneinfo/Etc/UTC", "/etc/localtime");
        round_trip(box, "timezone", "name: Europe/Paris\n");
        CHECK(test::read_file(box.local("/etc/timezone")) == "Europe/Paris\n");
        CHECK(box.conn().stat("/etc/localtime", false).link_target == "/usr/share/zoneinfo/Europe/Paris");
    }
    SECTION("cron, a cron_file written then removed") {
        box.conn().make_dirs("/etc/cron.d", std::nullopt);
        box.conn().make_dirs("/tmp", std::nullopt);  // backup: the old table goes to /tmp/crontab.*~
        round_trip(box, "cron", "name: backup\nminute: '5'\nuser: root\njob: /usr/bin/backup\ncron_file: /etc/cron.d/backup\n");
        CHECK(test::read_file(box.local("/etc/cron.d/backup")).find("5 * * * * root /usr/bin/backup") != std::string::npos);
        round_trip(box, "cron", "name: backup\nstate: absent\nuser: root\ncron_file: /etc/cron.d/backup\nbackup: true\n");
        CHECK_FALSE(test::exists(box.local("/etc/cron.d/backup")));
    }
    SECTION("authorized_key") {
        test::write_file(box.local("/etc/passwd"), "deploy:x:" + std::to_string(::getuid()) + ":" + std::to_string(::getgid()) +
                                                       "::/home/deploy:/bin/sh\n");
        std::filesystem::create_directories(box.local("/home/deploy"));
        round_trip(box, "authorized_key", "user: deploy\nkey: 'ssh-ed25519 AAAAdeploy ci@build'\n");
        CHECK(test::read_file(box.local("/home/deploy/.ssh/authorized_keys")) == "ssh-ed25519 AAAAdeploy ci@build\n");
        CHECK(box.conn().stat("/home/deploy/.ssh").mode == 0700);
    }
    SECTION("fetch") {
        test::TempDir ctl;
        test::write_file(box.local("/etc/app/db.properties"), "db.password=x\n");
        box.vars["inventory_hostname"] = Value("web1");
        round_trip(box, "fetch", "src: /etc/app/db.properties\ndest: " + ctl.path() + "/backups\n");
        CHECK(test::read_file(ctl.path() + "/backups/web1/etc/app/db.properties") == "db.password=x\n");
    }
}
