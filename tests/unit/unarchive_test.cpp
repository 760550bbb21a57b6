// unarchive on a sandbox host: tar.gz and zip from the controller, the host
// (remote_src) and a URL the host downloads (127.0.77.4); idempotence by
// member, only changed members rewritten, mode/exclude/include/creates/list_files,
// and the dry run.
#include <sys/stat.h>

#include "engine/connection/planned_connection.hpp"
#include "tests/support/http_lab.hpp"
#include "tests/unit/module_sandbox.hpp"

using namespace upkeep;

namespace {

// A source tree packed as app.tar.gz and app.zip in the playbook's files/.
void make_archives(test::Sandbox& box) {
    std::string src = box.root() + "/.src";
    test::write_file(src + "/app/bin/run.sh", "#!/bin/sh\necho run\n");
    test::write_file(src + "/app/conf/app.conf", "port=8080\n");
    test::write_file(src + "/app/README", "readme\n");
    ::chmod((src + "/app/bin/run.sh").c_str(), 0755);
    ::chmod((src + "/app/conf/app.conf").c_str(), 0640);
    test::must("ln -s conf/app.conf " + src + "/app/current.conf");
    std::string files = box.ctx().playbook_dir + "/files";
    test::must("mkdir -p " + files + " && cd " + src + " && tar -czf " + files + "/app.tar.gz app && zip -qry " + files + "/app.zip app");
}

}  // namespace

TEST_CASE("unarchive: tar.gz from the controller, idempotent by member", "[unarchive]") {
    test::Sandbox box;
    make_archives(box);
    test::must("mkdir -p " + box.local("/opt"));
    Plan p = box.converge("unarchive", "src: app.tar.gz\ndest: /opt\nlist_files: true\n");
    REQUIRE(p.changed());
    CHECK(p.result.get("handler").as_string() == "TgzArchive");
    CHECK(p.result.get("files").as_list().size() == 7);  // app/ app/bin/ run.sh conf/ app.conf README current.conf
    CHECK(test::read_file(box.local("/opt/app/bin/run.sh")) == "#!/bin/sh\necho run\n");
    struct stat st;
    REQUIRE(::stat(box.local("/opt/app/bin/run.sh").c_str(), &st) == 0);
    CHECK((st.st_mode & 07777) == 0755);
    REQUIRE(::stat(box.local("/opt/app/conf/app.conf").c_str(), &st) == 0);
    CHECK((st.st_mode & 07777) == 0640);
    CHECK(box.conn().stat("/opt/app/current.conf", false).link_target == "conf/app.conf");

    // One member changed on the host: only that one is planned, with its diff.
    test::write_file(box.local("/opt/app/README"), "edited\n");
    Plan again = box.converge("unarchive", "src: app.tar.gz\ndest: /opt\n");
    REQUIRE(again.changes.size() == 1);
    CHECK(again.changes[0].target == "/opt/app/README");
    CHECK(*again.changes[0].before == "edited\n");
    CHECK(*again.changes[0].after == "readme\n");
    // mode: applies to every member.
    box.converge("unarchive", "src: app.tar.gz\ndest: /opt\nmode: 'u=rwX,g=rX,o='\n");
    REQUIRE(::stat(box.local("/opt/app/README").c_str(), &st) == 0);
    CHECK((st.st_mode & 07777) == 0640);
    REQUIRE(::stat(box.local("/opt/app/bin").c_str(), &st) == 0);
    CHECK((st.st_mode & 07777) == 0750);

    CHECK(box.check("unarchive", "src: app.tar.gz\ndest: /opt\ncreates: /opt/app\n").msg == "skipped, /opt/app exists");
    CHECK_THROWS_WITH(box.check("unarchive", "src: app.tar.gz\ndest: /nodir\n"), "dest '/nodir' must be an existing dir");
    test::write_file(box.ctx().playbook_dir + "/files/bad.tgz", "not an archive");
    CHECK_THROWS_WITH(box.check("unarchive", "src: bad.tgz\ndest: /opt\n"), Catch::Contains("Failed to find handler"));
}

TEST_CASE("unarchive: zip, remote_src, exclude/include, dry run, URL", "[unarchive]") {
    test::Sandbox box;
    make_archives(box);
    test::must("mkdir -p " + box.local("/srv/a") + " " + box.local("/srv/b") + " " + box.local("/srv/c") + " " + box.local("/srv/d"));
    Plan z = box.converge("unarchive", "src: app.zip\ndest: /srv/a\nexclude: ['app/README']\n");
    CHECK(z.result.get("handler").as_string() == "ZipArchive");
    CHECK(test::read_file(box.local("/srv/a/app/conf/app.conf")) == "port=8080\n");
    CHECK_FALSE(test::exists(box.local("/srv/a/app/README")));

    test::must("cp " + box.ctx().playbook_dir + "/files/app.tar.gz " + box.local("/tmp-app.tgz"));
    box.converge("unarchive", "src: /tmp-app.tgz\ndest: /srv/b\nremote_src: true\ninclude: ['app/conf/*']\n");
    CHECK(test::exists(box.local("/srv/b/app/conf/app.conf")));
    CHECK_FALSE(test::exists(box.local("/srv/b/app/README")));
    CHECK_THROWS_WITH(box.check("unarchive", "src: /none.tgz\ndest: /srv/b\nremote_src: true\n"), "Source '/none.tgz' does not exist");

    // Dry run: every member planned with its bytes, nothing written.
    PlannedConnection planned(box.conn());
    ModuleContext dry{planned, box.vars, nullptr, box.ctx().playbook_dir};
    Args a = test::Sandbox::args("unarchive", "src: app.tar.gz\ndest: /srv/c\n");
    const Module& m = test::Sandbox::module("unarchive");
    Plan dp = m.check(dry, a);
    CHECK(dp.changes.size() == 7);
    m.apply(dry, a, dp);
    CHECK(m.check(dry, a).changes.empty());  // the overlay now holds the planned tree
    CHECK_FALSE(test::exists(box.local("/srv/c/app")));

    test::HttpLab lab("127.0.77.4", box.ctx().playbook_dir + "/files");
    box.converge("unarchive", "src: " + lab.base() + "/files/app.tar.gz\ndest: /srv/d\nremote_src: true\n");
    CHECK(test::read_file(box.local("/srv/d/app/README")) == "readme\n");
}
