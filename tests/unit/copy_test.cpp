#include <sys/stat.h>

#include <catch2/catch.hpp>

#include "engine/util/error.hpp"
#include "tests/unit/module_sandbox.hpp"

using namespace upkeep;

TEST_CASE("copy: content with exact bytes and mode", "[copy][module]") {
    test::Sandbox box;
    box.conn().make_dirs("/etc/libvirt/hooks", std::nullopt);
    const std::string task = "dest: /etc/libvirt/hooks/qemu\ncontent: \"#!/bin/sh\\nexit 0\\n\"\nmode: '0755'\n";
    Plan p = box.check("copy", task);
    REQUIRE(p.changes.size() == 1);
    CHECK_FALSE(p.changes[0].before.has_value());
    CHECK(*p.changes[0].after == "#!/bin/sh\nexit 0\n");
    CHECK(p.msg == "file created");
    box.converge("copy", task);
    CHECK(test::read_file(box.local("/etc/libvirt/hooks/qemu")) == "#!/bin/sh\nexit 0\n");
    CHECK(box.conn().stat("/etc/libvirt/hooks/qemu").mode == 0755);
    Plan changed = box.converge("copy", "dest: /etc/libvirt/hooks/qemu\ncontent: \"x\"\n");
    CHECK(changed.changes.at(0).summary == "content replaced");
    CHECK(box.conn().stat("/etc/libvirt/hooks/qemu").mode == 0755);  // kept
}

TEST_CASE("copy: src from the playbook's files/, into a directory dest", "[copy][module]") {
    test::Sandbox box;
    test::write_file(box.root() + "/.playbook/files/agent.conf", "a=1\n");
    ::chmod((box.root() + "/.playbook/files/agent.conf").c_str(), 0600);
    box.conn().make_dirs("/etc/agent", std::nullopt);
    Value r;
    box.converge("copy", "src: agent.conf\ndest: /etc/agent/\nmode: preserve\n", &r);
    CHECK(r.get("dest").as_string() == "/etc/agent/agent.conf");
    CHECK(test::read_file(box.local("/etc/agent/agent.conf")) == "a=1\n");
    CHECK(box.conn().stat("/etc/agent/agent.conf").mode == 0600);
    CHECK_THROWS_WITH(box.check("copy", "src: missing.conf\ndest: /etc/agent/\n"), Catch::Contains("could not find src"));
}

TEST_CASE("copy: remote_src, force false, backup", "[copy][module]") {
    test::Sandbox box;
    test::write_file(box.local("/etc/a"), "remote\n");
    box.converge("copy", "src: /etc/a\ndest: /etc/b\nremote_src: true\n");
    CHECK(test::read_file(box.local("/etc/b")) == "remote\n");
    Plan keep = box.check("copy", "content: other\ndest: /etc/b\nforce: false\n");
    CHECK_FALSE(keep.changed());
    Value r;
    box.converge("copy", "content: other\ndest: /etc/b\nbackup: true\n", &r);
    CHECK(test::read_file(box.local(r.get("backup_file").as_string())) == "remote\n");
    CHECK(test::read_file(box.local("/etc/b")) == "other");
}

TEST_CASE("copy: bad input", "[copy][module]") {
    test::Sandbox box;
    CHECK_THROWS_AS(test::Sandbox::args("copy", "dest: /x\n"), UserError);  // neither src nor content
    CHECK_THROWS_AS(test::Sandbox::args("copy", "dest: /x\nsrc: a\ncontent: b\n"), UserError);
    CHECK_THROWS_WITH(box.check("copy", "dest: /no/such/dir/x\ncontent: a\n"),
                      Catch::Contains("destination directory /no/such/dir does not exist"));
    box.conn().make_dirs("/d", std::nullopt);
    CHECK_THROWS_WITH(box.check("copy", "dest: /d\ncontent: a\n"), Catch::Contains("can not use content with a dir"));
}

TEST_CASE("copy: a directory src copies the tree", "[copy][module]") {
    test::Sandbox box;
    test::write_file(box.root() + "/.playbook/files/hooks/qemu", "#!/bin/sh\n");
    test::write_file(box.root() + "/.playbook/files/hooks/d/x.conf", "x=1\n");
    box.conn().make_dirs("/etc", std::nullopt);
    Plan p = box.converge("copy", "src: hooks\ndest: /etc/libvirt\nmode: '0750'\n");
    CHECK(p.changes.size() == 5);  // /etc/libvirt, /etc/libvirt/hooks, .../d, two files
    CHECK(test::read_file(box.local("/etc/libvirt/hooks/qemu")) == "#!/bin/sh\n");
    CHECK(test::read_file(box.local("/etc/libvirt/hooks/d/x.conf")) == "x=1\n");
    CHECK(box.conn().stat("/etc/libvirt/hooks/qemu").mode == 0750);
    // Trailing slash: the contents go straight into dest.
    box.converge("copy", "src: hooks/\ndest: /etc/flat\n");
    CHECK(test::exists(box.local("/etc/flat/qemu")));
    test::write_file(box.root() + "/.playbook/files/hooks/qemu", "#!/bin/sh\nexit 0\n");
    Plan again = box.converge("copy", "src: hooks/\ndest: /etc/flat\n");
    REQUIRE(again.changes.size() == 1);
    CHECK(*again.changes[0].before == "#!/bin/sh\n");
    CHECK(*again.changes[0].after == "#!/bin/sh\nexit 0\n");
}

TEST_CASE("copy: a directory src keeps backups of replaced files, refuses validate", "[copy][module]") {
    test::Sandbox box;
    test::write_file(box.root() + "/.playbook/files/conf/app.conf", "new\n");
    test::write_file(box.local("/etc/app/app.conf"), "old\n");
    box.converge("copy", "src: conf/\ndest: /etc/app\nbackup: true\n");
    CHECK(test::read_file(box.local("/etc/app/app.conf")) == "new\n");
    std::vector<std::string> backups;
    for (const auto& e : std::filesystem::directory_iterator(box.local("/etc/app")))
        if (e.path().filename() != "app.conf") backups.push_back(test::read_file(e.path()));
    CHECK(backups == std::vector<std::string>{"old\n"});
    CHECK_THROWS_WITH(box.check("copy", "src: conf/\ndest: /etc/app\nvalidate: 'test -s %s'\n"),
                      Catch::Contains("validate does not apply to a directory src"));
}
