// blockinfile's pure edit (Ansible's placement and marker rules) and the
// blockinfile/stat/include_vars modules on a sandbox: idempotence, dry-run
// predictions, results. (Byte-for-byte against Ansible: ansible_diff_modules_test.)
#include <catch2/catch.hpp>

#include "modules/blockinfile.hpp"
#include "tests/unit/module_sandbox.hpp"

using namespace upkeep;

TEST_CASE("blockinfile edit: insert, replace, remove, placement", "[blockinfile]") {
    std::string msg;
    BlockOptions o;
    o.block = "a\nb";
    CHECK(blockinfile_edit(std::string("x\n"), o, &msg) == "x\n# BEGIN ANSIBLE MANAGED BLOCK\na\nb\n# END ANSIBLE MANAGED BLOCK\n");
    CHECK(msg == "Block inserted");
    std::string once = blockinfile_edit(std::string("x\n"), o, &msg);
    CHECK(blockinfile_edit(once, o, &msg) == once);  // idempotent
    CHECK(msg.empty());
    o.block = "c\n";
    CHECK(blockinfile_edit(once, o, &msg) == "x\n# BEGIN ANSIBLE MANAGED BLOCK\nc\n# END ANSIBLE MANAGED BLOCK\n");
    o.present = false;
    CHECK(blockinfile_edit(once, o, &msg) == "x\n");
    CHECK(msg == "Block removed");
    o.present = true;
    o.insertbefore = "BOF";
    o.marker = "## {mark}";
    CHECK(blockinfile_edit(std::string("x"), o, &msg) == "## BEGIN\nc\n## END\nx");
    o.insertbefore.reset();
    o.insertafter = "^k";
    // After the LAST matching line; a last line without a newline gets one first.
    CHECK(blockinfile_edit(std::string("k1\nk2\nz"), o, &msg) == "k1\nk2\n## BEGIN\nc\n## END\nz");
    o.insertafter = "^nomatch";
    CHECK(blockinfile_edit(std::string("z"), o, &msg) == "z\n## BEGIN\nc\n## END\n");
    CHECK(blockinfile_edit(std::nullopt, o, &msg) == "## BEGIN\nc\n## END\n");
    CHECK(msg == "File created");
}

TEST_CASE("blockinfile module: dry run equals apply, converges, create/mode", "[blockinfile]") {
    test::Sandbox box;
    test::write_file(box.local("/etc/hosts"), "127.0.0.1 localhost\n");
    std::string yaml = "path: /etc/hosts\nblock: |\n  10.0.0.5 db1\n";
    Plan p = box.converge("blockinfile", yaml);
    REQUIRE(p.changed());
    CHECK(*p.changes.front().after == test::read_file(box.local("/etc/hosts")));
    CHECK_THROWS_WITH(box.check("blockinfile", "path: /etc/none\nblock: x\n"), Catch::Contains("does not exist"));
    box.converge("blockinfile", "path: /etc/new\nblock: x\ncreate: true\nmode: '0600'\n");
    CHECK(test::read_file(box.local("/etc/new")) == "# BEGIN ANSIBLE MANAGED BLOCK\nx\n# END ANSIBLE MANAGED BLOCK\n");
    CHECK_FALSE(box.check("blockinfile", "path: /etc/none\nstate: absent\ncreate: true\n").changed());
}

TEST_CASE("stat module reports Ansible's fields and never changes anything", "[stat]") {
    test::Sandbox box;
    test::write_file(box.local("/d/f"), "abc");
    Plan p = box.check("stat", "path: /d/f\n");
    CHECK_FALSE(p.changed());
    const Value& st = p.result.get("stat");
    CHECK(st.get("exists").as_bool());
    CHECK(st.get("isreg").as_bool());
    CHECK(st.get("size").as_int() == 3);
    CHECK(st.get("checksum").as_string() == "a9993e364706816aba3e25717850c26c9cd0d89d");  // sha1("abc")
    CHECK(box.check("stat", "path: /d/f\nchecksum_algorithm: md5\n").result.get("stat").get("checksum").as_string() ==
          "900150983cd24fb0d6963f7d28e17f72");
    CHECK(box.check("stat", "path: /d\n").result.get("stat").get("isdir").as_bool());
    Plan none = box.check("stat", "path: /nope\n");
    CHECK_FALSE(none.result.get("stat").get("exists").as_bool());
    CHECK(none.result.get("stat").as_map().size() == 1);
}

TEST_CASE("include_vars finds a role's vars/ file and loads it as facts", "[include_vars]") {
    test::Sandbox box;
    test::write_file(box.root() + "/role/vars/Debian.yml", "pkg: ntpsec\n");
    box.ctx().search_dirs = {box.root() + "/role", box.root() + "/pb"};
    Plan p = box.check("include_vars", "file: Debian.yml\n");
    CHECK(p.result.get("ansible_facts").get("pkg").as_string() == "ntpsec");
    CHECK(box.check("include_vars", "file: Debian.yml\nname: os\n").result.get("ansible_facts").get("os").get("pkg").as_string() ==
          "ntpsec");
    CHECK_THROWS_WITH(box.check("include_vars", "file: RedHat.yml\n"), Catch::Contains("could not find vars file 'RedHat.yml'"));
}
