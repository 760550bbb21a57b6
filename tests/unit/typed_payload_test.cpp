// check() -> apply() through typed plan payloads (engine/module/plan.hpp): each
// module's apply() reads only what its check() put in its own payload types (Plan
// has no untyped map any more, so the compiler holds every module to it). These
// cases run check, apply, check for modules whose payload carries more than a path.
#include <pwd.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>

#include "engine/module/file_edit.hpp"
#include "engine/util/error.hpp"
#include "tests/unit/module_sandbox.hpp"

using namespace upkeep;

namespace {


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

TEST_CASE("typed payloads: copy's tree, unarchive, timezone, cron, authorized_key and fetch apply from their payloads",
          "[payload][module]") {
    test::Sandbox box;
    SECTION("copy, a directory src") {
        test::write_file(box.root() + "/.playbook/files/hooks/qemu", "#!/bin/sh\n");
        test::write_file(box.root() + "/.playbook/files/hooks/d/x.conf", "x=1\n");
        box.conn().make_dirs("/etc", std::nullopt);
        box.converge_payload("copy", "src: hooks\ndest: /etc/libvirt\nmode: '0750'\n");
        CHECK(test::read_file(box.local("/etc/libvirt/hooks/d/x.conf")) == "x=1\n");
        CHECK(box.conn().stat("/etc/libvirt/hooks/qemu").mode == 0750);
    }
    SECTION("unarchive") {
        std::string src = box.root() + "/.src";
        test::write_file(src + "/app/conf/app.conf", "port=8080\n");
        test::must("ln -s conf/app.conf " + src + "/app/current.conf");
        test::must("mkdir -p " + box.root() + "/.playbook/files " + box.local("/opt") + " && cd " + src + " && tar -czf " +
                   box.root() + "/.playbook/files/app.tar.gz app");
        box.converge_payload("unarchive", "src: app.tar.gz\ndest: /opt\n");
        CHECK(test::read_file(box.local("/opt/app/conf/app.conf")) == "port=8080\n");
        CHECK(box.conn().stat("/opt/app/current.conf", false).link_target == "conf/app.conf");
    }
    SECTION("timezone, the Debian files") {
        for (const char* z : {"Etc/UTC", "Europe/Paris"})
            test::write_file(box.local(std::string("/usr/share/zoneinfo/") + z), std::string("TZif ") + z);
        test::write_file(box.local("/etc/timezone"), "Etc/UTC\n");
        box.conn().symlink("/usr/share/zoneinfo/Etc/UTC", "/etc/localtime");
        box.converge_payload("timezone", "name: Europe/Paris\n");
        CHECK(test::read_file(box.local("/etc/timezone")) == "Europe/Paris\n");
        CHECK(box.conn().stat("/etc/localtime", false).link_target == "/usr/share/zoneinfo/Europe/Paris");
    }
    SECTION("cron, a cron_file written then removed") {
        box.conn().make_dirs("/etc/cron.d", std::nullopt);
        box.conn().make_dirs("/tmp", std::nullopt);  // backup: the old table goes to /tmp/crontab.*~
        box.converge_payload("cron", "name: backup\nminute: '5'\nuser: root\njob: /usr/bin/backup\ncron_file: /etc/cron.d/backup\n");
        CHECK(test::read_file(box.local("/etc/cron.d/backup")).find("5 * * * * root /usr/bin/backup") != std::string::npos);
        box.converge_payload("cron", "name: backup\nstate: absent\nuser: root\ncron_file: /etc/cron.d/backup\nbackup: true\n");
        CHECK_FALSE(test::exists(box.local("/etc/cron.d/backup")));
    }
    SECTION("authorized_key") {
        test::write_file(box.local("/etc/passwd"), "deploy:x:" + std::to_string(::getuid()) + ":" + std::to_string(::getgid()) +
                                                       "::/home/deploy:/bin/sh\n");
        std::filesystem::create_directories(box.local("/home/deploy"));
        box.converge_payload("authorized_key", "user: deploy\nkey: 'ssh-ed25519 AAAAdeploy ci@build'\n");
        CHECK(test::read_file(box.local("/home/deploy/.ssh/authorized_keys")) == "ssh-ed25519 AAAAdeploy ci@build\n");
        CHECK(box.conn().stat("/home/deploy/.ssh").mode == 0700);
    }
    SECTION("fetch") {
        test::TempDir ctl;
        test::write_file(box.local("/etc/app/db.properties"), "db.password=x\n");
        box.vars["inventory_hostname"] = Value("web1");
        box.converge_payload("fetch", "src: /etc/app/db.properties\ndest: " + ctl.path() + "/backups\n");
        CHECK(test::read_file(ctl.path() + "/backups/web1/etc/app/db.properties") == "db.password=x\n");
    }
}

TEST_CASE("typed payloads: the file-edit family carries path, attributes, backup and validate in FileEditPayload",
          "[payload][module]") {
    test::Sandbox box;
    std::string me = ::getpwuid(::getuid())->pw_name;  // chown to oneself works unprivileged
    SECTION("libvirt_hook into a missing hooks directory: the new file gets mode and owner") {
        box.conn().make_dirs("/etc/libvirt", std::nullopt);
        Plan p = box.converge_payload("libvirt_hook", "name: qemu\ncontent: \"#!/bin/sh\\nexit 0\\n\"\nowner: " + me + "\n");
        REQUIRE(p.find_payload<FileEditPayload>());
        CHECK(p.payload<FileEditPayload>().created);
        CHECK(box.conn().stat("/etc/libvirt/hooks/qemu").mode == 0755);
        CHECK(box.conn().stat("/etc/libvirt/hooks/qemu").owner == me);
    }
    SECTION("a validate without %s is refused while planning, so a dry run reports it") {
        CHECK_THROWS_WITH(box.check("copy", "content: a\ndest: /x\nvalidate: 'true'\n"), Catch::Contains("must contain %s"));
    }
    SECTION("backup and validate come from the check") {
        test::write_file(box.local("/etc/app.conf"), "a=1\n");
        Plan p = box.check("copy", "content: \"a=2\\n\"\ndest: /etc/app.conf\nbackup: true\nvalidate: 'grep -q a= %s'\n");
        CHECK(p.payload<FileEditPayload>().backup);
        CHECK(p.payload<FileEditPayload>().validate == "grep -q a= %s");
        Value r = box.apply("copy", "content: \"a=2\\n\"\ndest: /etc/app.conf\nbackup: true\nvalidate: 'grep -q a= %s'\n", p);
        REQUIRE(r.has("backup_file"));
        CHECK(test::read_file(box.local(r.get("backup_file").as_string())) == "a=1\n");
        CHECK(test::read_file(box.local("/etc/app.conf")) == "a=2\n");
    }
    SECTION("copy follow: false replaces a link instead of writing through it") {
        test::write_file(box.local("/etc/real.conf"), "old\n");
        box.conn().symlink("/etc/real.conf", "/etc/link.conf");
        Plan p = box.converge_payload("copy", "content: \"new\\n\"\ndest: /etc/link.conf\nfollow: false\n");
        CHECK(p.payload<FileEditPayload>().replace_link);
        CHECK(test::read_file(box.local("/etc/real.conf")) == "old\n");
        CHECK_FALSE(box.conn().stat("/etc/link.conf", false).is_link());
    }
    SECTION("yum_repository: removing the last repository removes the file") {
        test::write_file(box.local("/etc/yum.repos.d/ovirt.repo"), "[ovirt]\nname=oVirt\nbaseurl=file:///r\n");
        box.converge_payload("yum_repository", "name: ovirt\nfile: ovirt\nstate: absent\n");
        CHECK_FALSE(test::exists(box.local("/etc/yum.repos.d/ovirt.repo")));
    }
    SECTION("sysctl writes the file only, with no live change on a sandbox") {
        box.conn().make_dirs("/etc/sysctl.d", std::nullopt);
        box.converge_payload("sysctl",
                   "name: net.ipv4.ip_forward\nvalue: '1'\nsysctl_file: /etc/sysctl.d/90-kvm.conf\nreload: false\nsysctl_set: false\n");
        CHECK(test::read_file(box.local("/etc/sysctl.d/90-kvm.conf")) == "net.ipv4.ip_forward=1\n");
    }
    SECTION("file: new directories, a touched file and a link, in order") {
        box.converge_payload("file", "path: /srv/a/b\nstate: directory\nmode: '0750'\n");
        CHECK(box.conn().stat("/srv/a").mode == 0750);
        CHECK(box.conn().stat("/srv/a/b").mode == 0750);
        box.converge_payload("file", "path: /srv/a/b/flag\nstate: touch\nmode: '0600'\nowner: " + me + "\n");
        CHECK(box.conn().stat("/srv/a/b/flag").mode == 0600);
        box.converge_payload("file", "path: /srv/current\nsrc: /srv/a/b\nstate: link\n");
        CHECK(box.conn().stat("/srv/current", false).link_target == "/srv/a/b");
    }
}
