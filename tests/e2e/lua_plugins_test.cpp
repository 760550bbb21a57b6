// Filters and tests written in Lua next to the playbook (lua/filters/*.lua,
// lua/tests/*.lua), used from Jinja expressions as `x | name(args)` and
// `x is name(args)`: loaded under the same rules as all Lua code (lua_code_path)
// and run in the same sandbox with the same limits.
#include <catch2/catch.hpp>

#include "tests/support/test_support.hpp"

using namespace upkeep::test;

namespace {

bool has(const std::string& hay, const std::string& needle) { return hay.find(needle) != std::string::npos; }

struct PluginPlaybook {
    TempDir dir;
    PluginPlaybook() {
        write_file(dir / "lua/filters/net.lua", R"lua(
-- Filters of this playbook: name = function(value, args..., kwargs)
return {
  bridge_of = function(dev) return "br-" .. dev end,
  surround = function(v, left, right) return left .. v .. (right or left) end,
  count_items = function(list) local n = 0 for _ in ipairs(list) do n = n + 1 end return n end,
}
)lua");
        write_file(dir / "lua/tests/net.lua", R"lua(
return {
  cloud_bridge = function(v) return type(v) == "string" and v:match("^cloudbr%d+$") ~= nil end,
  longer_than = function(v, n) return #v > n end,
}
)lua");
        write_file(dir / "inventory.ini", "h1 ansible_connection=sandbox upkeep_sandbox_root=" + dir / "root" + "\n");
    }
    Run play(const std::string& tasks) {
        write_file(dir / "site.yml", "- hosts: all\n  gather_facts: false\n  tasks:\n" + tasks);
        must("chmod -R go-w '" + dir.path() + "'");
        return upkeep::test::upkeep("play '" + dir / "site.yml" + "' -i '" + dir / "inventory.ini" + "' 2>&1");
    }
};

}  // namespace

TEST_CASE("lua plugins: the playbook's filters and tests work in {{ }} and when:", "[lua_plugins]") {
    PluginPlaybook pb;
    Run r = pb.play(
        "    - copy:\n        dest: /out\n"
        "        content: \"{{ 'eth0' | bridge_of }} {{ 'x' | surround('[', ']') }} {{ 'x' | surround('*') }}"
        " {{ [1, 2, 3] | count_items }} {{ 'cloudbr0' is cloud_bridge }} {{ 'cloud0' is cloud_bridge }}"
        " {{ 'abc' is longer_than(2) }} {{ 'eth1' | bridge_of | upper }}\"\n"
        "    - copy: {dest: /when, content: yes}\n      when: \"'cloudbr1' is cloud_bridge and 'cloud0' is not cloud_bridge\"\n");
    INFO(r.out);
    CHECK(r.rc == 0);
    CHECK(read_file(pb.dir / "root/out") == "br-eth0 [x] *x* 3 True False True BR-ETH1");
    CHECK(exists(pb.dir / "root/when"));
}

TEST_CASE("lua plugins: filters are sandboxed like expressions", "[lua_plugins][sandbox]") {
    PluginPlaybook pb;
    write_file(pb.dir / "lua/filters/bad.lua", R"lua(
return {
  run_it = function(v) return os.execute(v) end,
  read_it = function(v) return io.open(v):read("a") end,
  plant = function(v) string.upper = function() return "PWNED" end return v end,
}
)lua");
    Run os_run = pb.play("    - copy: {dest: /out, content: \"{{ 'touch /tmp/upkeep-filter-escaped' | run_it }}\"}\n");
    CHECK(os_run.rc != 0);
    CHECK(has(os_run.out, "os"));
    CHECK_FALSE(exists("/tmp/upkeep-filter-escaped"));
    Run io_run = pb.play("    - copy: {dest: /out, content: \"{{ '/etc/passwd' | read_it }}\"}\n");
    CHECK(io_run.rc != 0);
    CHECK_FALSE(has(io_run.out, "root:x:0"));
    Run plant = pb.play("    - copy: {dest: /out, content: \"{{ 'a' | plant }}{{ 'b' | upper }}\"}\n");
    INFO(plant.out);
    CHECK(plant.rc != 0);
    CHECK(has(plant.out, "read-only"));
}

TEST_CASE("lua plugins: a filter shadowing a built-in, a broken file or a world-writable one stops the run",
          "[lua_plugins][luapath]") {
    {
        PluginPlaybook pb;
        write_file(pb.dir / "lua/filters/shadow.lua", "return { upper = function(v) return 'PWNED' end }\n");
        Run r = pb.play("    - copy: {dest: /out, content: \"{{ 'a' | upper }}\"}\n");
        CHECK(r.rc != 0);
        CHECK(has(r.out, "filter 'upper' is built in"));
        CHECK_FALSE(exists(pb.dir / "root/out"));
    }
    {
        PluginPlaybook pb;
        write_file(pb.dir / "lua/tests/broken.lua", "return { x = function( }\n");
        Run r = pb.play("    - copy: {dest: /out, content: a}\n");
        CHECK(r.rc != 0);
        CHECK(has(r.out, "broken.lua:1:"));
        CHECK_FALSE(exists(pb.dir / "root/out"));
    }
    {
        PluginPlaybook pb;
        write_file(pb.dir / "root/.keep", "");
        must("chmod -R go-w '" + pb.dir.path() + "'");
        std::string tasks = "    - copy: {dest: /out, content: \"{{ 'eth0' | bridge_of }}\"}\n";
        write_file(pb.dir / "site.yml", "- hosts: all\n  gather_facts: false\n  tasks:\n" + tasks);
        must("chmod o+w '" + pb.dir / "lua/filters/net.lua" + "'");
        Run r = upkeep::test::upkeep("play '" + pb.dir / "site.yml" + "' -i '" + pb.dir / "inventory.ini" + "' 2>&1");
        INFO(r.out);
        CHECK(r.rc != 0);
        CHECK(has(r.out, "refusing to load Lua code from"));
        CHECK(has(r.out, "world-writable"));
        CHECK_FALSE(exists(pb.dir / "root/out"));
    }
}
