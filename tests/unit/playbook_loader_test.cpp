#include <catch2/catch.hpp>

#include "engine/playbook/playbook.hpp"
#include "engine/util/error.hpp"
#include "modules/registry.hpp"
#include "tests/support/test_support.hpp"

using namespace upkeep;
using upkeep::test::TempDir;
using upkeep::test::write_file;

namespace {
std::string load_error(const std::string& yml, TempDir& dir) {
    write_file(dir / "pb.yml", yml);
    try {
        load_playbook(dir / "pb.yml", builtin_modules());
    } catch (const UserError& e) {
        std::string where = e.mark().to_string();
        std::string prefix = dir.path() + "/";
        if (where.rfind(prefix, 0) == 0) where = where.substr(prefix.size());
        return where + ": " + e.what();
    }
    return "no error";
}
}  // namespace

TEST_CASE("loader points at typos with suggestions", "[loader]") {
    TempDir d;
    CHECK(load_error("- hosts: all\n  tasks:\n    - lineinfle: path=/x line=y\n", d) ==
          "pb.yml:3:7: unknown module 'lineinfle' (did you mean 'lineinfile'?)");
    CHECK(load_error("- hosts: all\n  tasks:\n    - copy: dest=/x content=y\n      whn: x\n", d) ==
          "pb.yml:4:7: unknown keyword 'whn' (did you mean 'when'?)");
    CHECK(load_error("- hosts: all\n  taks: []\n", d) == "pb.yml:2:3: unknown play keyword 'taks' (did you mean 'tasks'?)");
    CHECK(load_error("- hosts: all\n  tasks:\n    - copy: dest=/x content=y\n      notify: restrt\n  handlers:\n"
                     "    - name: restart\n      debug: msg=x\n", d) ==
          "pb.yml:3:7: notify: no handler named 'restrt' in this play (did you mean 'restart'?)");
    CHECK(load_error("- hosts: all\n  tasks:\n    - copy: dest=/x contnt=y\n", d) ==
          "pb.yml:3:13: copy: unknown argument 'contnt' (did you mean 'content'?)");
    // meta: the executor's one list of actions, checked when the playbook loads.
    CHECK(load_error("- hosts: all\n  tasks:\n    - meta: flush_handler\n", d) ==
          "pb.yml:3:13: meta: unknown action 'flush_handler' (did you mean 'flush_handlers'?)");
}

TEST_CASE("bad YAML names the file and position", "[loader]") {
    TempDir d;
    std::string e = load_error("- hosts: all\n  tasks: [\n", d);
    CHECK(e.rfind("pb.yml:", 0) == 0);
}

TEST_CASE("k=v arguments and free-form commands", "[loader]") {
    std::string free;
    Value v = parse_kv("dest=/etc/x content='two words' mode=0644", nullptr, Mark{});
    CHECK(v.get("content").as_string() == "two words");
    CHECK(v.get("mode").as_string() == "0644");
    std::vector<std::string> known = {"creates", "chdir"};
    Value c = parse_kv("echo a=b creates=/tmp/x done", &free, Mark{}, &known);
    CHECK(free == "echo a=b done");
    CHECK(c.get("creates").as_string() == "/tmp/x");
    // A multi-line script keeps its lines and spacing (was: joined with spaces, so a
    // `shell: |` of several commands ran as one broken line).
    Value s = parse_kv("a=1\n  b='x  y'   c\n\ncase \"$a\" in\n  1) echo one ;;\nesac\ncreates=/k\ndone\n", &free, Mark{}, &known);
    CHECK(free == "a=1\n  b='x  y'   c\n\ncase \"$a\" in\n  1) echo one ;;\nesac\ndone");
    CHECK(s.get("creates").as_string() == "/k");
}

TEST_CASE("import_tasks, blocks, tags and when are inherited", "[loader]") {
    TempDir d;
    write_file(d / "tasks/agent.yml", "- name: inner\n  copy: dest=/x content=y\n  tags: [inner]\n");
    write_file(d / "pb.yml",
               "- hosts: all\n  tags: [play]\n  tasks:\n    - block:\n        - import_tasks: tasks/agent.yml\n"
               "      when: ansible_os_family == 'RedHat'\n      tags: [blk]\n");
    Playbook pb = load_playbook(d / "pb.yml", builtin_modules());
    REQUIRE(pb.plays.size() == 1);
    const Task& blk = pb.plays[0].tasks.at(0);
    REQUIRE(blk.is_block);
    const Task& inner = blk.block.at(0);
    CHECK(inner.name == "inner");
    CHECK(inner.tags == std::vector<std::string>{"play", "blk", "inner"});
    REQUIRE(inner.when.size() == 1);
    CHECK(inner.when[0].as_string() == "ansible_os_family == 'RedHat'");
}

TEST_CASE("import_playbook cycles are caught", "[loader]") {
    TempDir d;
    write_file(d / "a.yml", "- import_playbook: b.yml\n");
    write_file(d / "b.yml", "- import_playbook: a.yml\n");
    CHECK_THROWS_AS(load_playbook(d / "a.yml", builtin_modules()), UserError);
}
