#include <catch2/catch.hpp>

#include "engine/util/error.hpp"
#include "tests/unit/module_sandbox.hpp"

using namespace upkeep;

TEST_CASE("file: directory created with every missing level, then idempotent", "[file][module]") {
    test::Sandbox box;
    box.conn().make_dirs("/etc", std::nullopt);
    Plan p = box.converge("file", "path: /etc/libvirt/hooks\nstate: directory\nmode: '0750'\n");
    REQUIRE(p.changes.size() == 2);
    CHECK(p.changes[0].target == "/etc/libvirt");
    CHECK(p.changes[0].summary == "directory created");
    CHECK(p.changes[1].target == "/etc/libvirt/hooks");
    CHECK(box.conn().stat("/etc/libvirt").mode == 0750);
    CHECK(box.conn().stat("/etc/libvirt/hooks").mode == 0750);
    Plan again = box.check("file", "path: /etc/libvirt/hooks\nstate: directory\nmode: '0750'\n");
    CHECK(again.msg == "already directory");
    Plan m = box.converge("file", "path: /etc/libvirt/hooks\nstate: directory\nmode: '0755'\n");
    REQUIRE(m.changes.size() == 1);
    CHECK(m.changes[0].summary == "mode 0750 -> 0755");
}

TEST_CASE("file: recurse sets attributes on the whole tree", "[file][module]") {
    test::Sandbox box;
    test::write_file(box.local("/srv/app/a"), "a");
    test::write_file(box.local("/srv/app/sub/b"), "b");
    Plan p = box.converge("file", "path: /srv/app\nstate: directory\nrecurse: true\nmode: 'u=rwX,g=rX,o='\n");
    CHECK(p.changes.size() == 4);
    CHECK(box.conn().stat("/srv/app").mode == 0750);
    CHECK(box.conn().stat("/srv/app/sub").mode == 0750);
    CHECK(box.conn().stat("/srv/app/a").mode == 0640);
    CHECK(box.conn().stat("/srv/app/sub/b").mode == 0640);
}

TEST_CASE("file: touch, file, absent", "[file][module]") {
    test::Sandbox box;
    box.conn().make_dirs("/etc", std::nullopt);
    CHECK_THROWS_WITH(box.check("file", "path: /etc/x\n"), Catch::Contains("is absent, cannot continue"));
    Plan t = box.converge("file", "path: /etc/x\nstate: touch\nmode: '0600'\n");
    CHECK(t.changes.at(0).summary == "file created");
    CHECK(box.conn().stat("/etc/x").mode == 0600);
    CHECK(box.check("file", "path: /etc/x\nstate: touch\nmode: '0600'\n").msg == "file already exists");
    Plan f = box.converge("file", "path: /etc/x\nstate: file\nmode: '0644'\n");
    CHECK(f.changes.at(0).summary == "mode 0600 -> 0644");
    CHECK_THROWS_WITH(box.check("file", "path: /etc\nstate: file\n"), Catch::Contains("is directory, cannot continue"));
    Plan a = box.converge("file", "path: /etc/x\nstate: absent\n");
    CHECK(a.changes.at(0).summary == "file removed");
    CHECK(box.check("file", "path: /etc/x\nstate: absent\n").msg == "already absent");
    CHECK_FALSE(test::exists(box.local("/etc/x")));
}

TEST_CASE("file: links", "[file][module]") {
    test::Sandbox box;
    test::write_file(box.local("/opt/v1/bin"), "1");
    test::write_file(box.local("/opt/v2/bin"), "2");
    Plan l = box.converge("file", "path: /opt/current\nsrc: /opt/v1\nstate: link\n");
    CHECK(l.changes.at(0).summary == "link created -> /opt/v1");
    CHECK(*box.conn().read_file("/opt/current/bin") == "1");
    Plan l2 = box.converge("file", "path: /opt/current\nsrc: /opt/v2\nstate: link\n");
    CHECK(l2.changes.at(0).summary == "link target /opt/v1 -> /opt/v2");
    CHECK(*box.conn().read_file("/opt/current/bin") == "2");
    // Relative targets count from the link's directory.
    box.converge("file", "path: /opt/rel\nsrc: v1\nstate: link\n");
    CHECK(box.conn().stat("/opt/rel", false).link_target == "v1");
    CHECK_THROWS_WITH(box.check("file", "path: /opt/bad\nsrc: /opt/none\nstate: link\n"),
                      Catch::Contains("src file does not exist"));
    CHECK_THROWS_WITH(box.check("file", "path: /opt/v1/bin\nsrc: /opt/v2\nstate: link\n"),
                      Catch::Contains("refusing to convert from file to symlink"));
    Plan forced = box.converge("file", "path: /opt/v1/bin\nsrc: /opt/v2/bin\nstate: link\nforce: true\n");
    CHECK(forced.changes.at(0).summary == "file replaced by a link to /opt/v2/bin");
}

TEST_CASE("file: bad arguments", "[file][module]") {
    CHECK_THROWS_AS(test::Sandbox::args("file", "path: /x\nstate: nonsense\n"), UserError);
    test::Sandbox box;
    CHECK_THROWS_WITH(box.check("file", "path: /x\nstate: link\n"), Catch::Contains("src is required"));
}
