// Where Lua code is loaded from: the install's own share/upkeep/lua (found from the
// binary's location), the source tree of a build tree, and the playbook's lua/;
// never a world-writable directory or a file owned by someone else.
#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include "engine/lua/lua_code_path.hpp"
#include "tests/support/test_support.hpp"

using namespace upkeep::test;

namespace {

// An installed copy of upkeep: <prefix>/bin/upkeep and <prefix>/share/upkeep/lua.
struct Install {
    TempDir prefix;
    Install() {
        must("mkdir -p '" + prefix / "bin" + "' '" + prefix / "share/upkeep" + "'");
        must("ln -f '" + std::string(UPKEEP_BINARY) + "' '" + prefix / "bin/upkeep" + "' 2>/dev/null || cp '" +
             std::string(UPKEEP_BINARY) + "' '" + prefix / "bin/upkeep" + "'");
        must("cp -r '" + std::string(UPKEEP_TEST_FIXTURES) + "/../../lua' '" + prefix / "share/upkeep/lua" + "'");
        must("chmod -R go-w '" + prefix.path() + "'");
    }
    Run play(const TempDir& pb) {
        return sh("'" + prefix / "bin/upkeep" + "' play '" + pb / "site.yml" + "' -i '" + pb / "inventory.ini" + "' 2>&1");
    }
};

void estate(const TempDir& pb, const std::string& tasks) {
    write_file(pb / "inventory.ini", "h1 ansible_connection=sandbox upkeep_sandbox_root=" + pb / "root" + "\n");
    write_file(pb / "site.yml", "- hosts: all\n  gather_facts: false\n  tasks:\n" + tasks);
    must("chmod -R go-w '" + pb.path() + "'");
}

bool has(const std::string& hay, const std::string& needle) { return hay.find(needle) != std::string::npos; }

}  // namespace

TEST_CASE("lua path: an installed binary loads its own share/upkeep/lua", "[trust][luapath]") {
    Install inst;
    TempDir pb;
    estate(pb, "    - copy: dest=/out content=\"{{ 'hello' | upper }}\"\n");
    Run r = inst.play(pb);
    INFO(r.out);
    CHECK(r.rc == 0);
    CHECK(read_file(pb / "root/out") == "HELLO");
}

TEST_CASE("lua path: a world-writable install directory is refused, its planted code never runs", "[trust][luapath]") {
    Install inst;
    // Someone else could have written here: the planted filters must not take over.
    write_file(inst.prefix / "share/upkeep/lua/upkeep/filters.lua",
               "local M = { filters = setmetatable({}, { __index = function() return function() return 'PWNED' end end }),"
               " tests = {} }\nreturn M\n");
    must("chmod 0777 '" + inst.prefix / "share/upkeep/lua" + "'");
    TempDir pb;
    estate(pb, "    - copy: dest=/out content=\"{{ 'hello' | upper }}\"\n");
    Run r = inst.play(pb);
    INFO(r.out);
    CHECK(r.rc != 0);
    CHECK(has(r.out, "world-writable"));
    CHECK(has(r.out, inst.prefix / "share/upkeep/lua"));
    CHECK_FALSE(exists(pb / "root/out"));
}

TEST_CASE("lua path: the playbook's lua/ is loaded, a file others can write is refused", "[trust][luapath]") {
    TempDir pb;
    write_file(pb / "lua/site/util.lua", "local M = {}\nfunction M.twice(x) return 2 * x end\nreturn M\n");
    estate(pb, "    - debug:\n        var: \"lua: require('site.util').twice(21)\"\n");
    Run ok = upkeep::test::upkeep("play " + pb / "site.yml" + " -i " + pb / "inventory.ini");
    INFO(ok.out);
    CHECK(ok.rc == 0);
    CHECK(has(ok.out, "42"));

    must("chmod o+w '" + pb / "lua/site/util.lua" + "'");
    Run bad = upkeep::test::upkeep("play " + pb / "site.yml" + " -i " + pb / "inventory.ini");
    INFO(bad.out);
    CHECK(bad.rc != 0);
    CHECK(has(bad.out, "refusing to load Lua code from " + pb / "lua/site/util.lua"));
    CHECK(has(bad.out, "world-writable"));
}

TEST_CASE("lua path: unsafe_code_path checks the file and every directory above it", "[trust][luapath]") {
    TempDir d;  // under $TMPDIR: a sticky, world-writable /tmp above is accepted
    write_file(d / "lua/m.lua", "return 1\n");
    must("chmod -R go-w '" + d.path() + "'");
    CHECK(upkeep::unsafe_code_path(d / "lua/m.lua").empty());
    must("chmod 0777 '" + d / "lua" + "'");
    CHECK_THAT(upkeep::unsafe_code_path(d / "lua/m.lua"), Catch::Contains("world-writable"));
    must("chmod 1777 '" + d / "lua" + "'");  // sticky does not excuse the file's own directory
    CHECK_THAT(upkeep::unsafe_code_path(d / "lua/m.lua"), Catch::Contains("world-writable"));
    must("chmod 0755 '" + d / "lua" + "'");
    if (::geteuid() == 0) {
        must("chown 65534 '" + d / "lua/m.lua" + "'");
        CHECK_THAT(upkeep::unsafe_code_path(d / "lua/m.lua"), Catch::Contains("owned by uid 65534"));
    }
}
