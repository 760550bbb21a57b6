// Read-ahead hints (engine/exec/path_hints): which tasks come next, and which
// of their paths may be rendered early. Rendering early must never run a
// lookup the task itself will run once.
#include <catch2/catch.hpp>

#include "engine/exec/path_hints.hpp"

using namespace upkeep;

namespace {

Task module_task(const std::string& name, Map args) {
    Task t;
    t.name = name;
    t.module_name = "file";
    t.args = Value(std::move(args));
    return t;
}

}  // namespace

TEST_CASE("path hints: the tasks that follow, a block's own included, none past an include", "[path_hints]") {
    std::vector<Task> tasks;
    tasks.push_back(module_task("a", {}));
    Task block;
    block.is_block = true;
    block.block.push_back(module_task("b1", {}));
    block.block.push_back(module_task("b2", {}));
    tasks.push_back(block);
    tasks.push_back(module_task("c", {}));
    Task inc;
    inc.is_include = true;
    tasks.push_back(inc);
    tasks.push_back(module_task("after include", {}));
    std::vector<std::string> names;
    for (const Task* t : upcoming_tasks(tasks, 0)) names.push_back(t->name);
    CHECK(names == std::vector<std::string>{"b1", "b2", "c"});
    CHECK(upcoming_tasks(tasks, 0, 2).size() == 2);
    CHECK(upcoming_tasks(tasks, 4).empty());
}

TEST_CASE("path hints: plain variable templates are rendered, lookups and calls never", "[path_hints]") {
    Map vars;
    vars["d"] = Value("/srv/app");
    vars["host"] = Value(Map{{"dir", Value("/var/lib/x")}});
    std::vector<Task> tasks;
    tasks.push_back(module_task("plain", {{"path", Value("{{ d }}/etc")}, {"state", Value("directory")}}));
    tasks.push_back(module_task("filter and attribute", {{"dest", Value("{{ host.dir | trim }}/conf")}}));
    tasks.push_back(module_task("lookup", {{"dest", Value("{{ lookup('pipe', 'touch /tmp/never') }}")}}));
    tasks.push_back(module_task("call", {{"path", Value("{{ d.replace('a', 'b') }}")}}));
    tasks.push_back(module_task("statement", {{"path", Value("{% if d %}/x{% endif %}")}}));
    tasks.push_back(module_task("undefined", {{"path", Value("{{ registered_later.path }}")}}));
    tasks.push_back(module_task("relative", {{"path", Value("conf/app.conf")}}));
    tasks.push_back(module_task("creates", {{"creates", Value("/etc/done")}, {"removes", Value("/etc/old")}}));
    Task looped = module_task("loop", {{"path", Value("/etc/{{ item }}")}});
    looped.loop = Value(List{Value("a")});
    tasks.push_back(looped);
    std::vector<const Task*> upcoming;
    for (const auto& t : tasks) upcoming.push_back(&t);
    auto paths = hinted_paths(upcoming, Value(vars));
    REQUIRE(paths.size() == tasks.size());
    CHECK(paths[0] == std::vector<std::string>{"/srv/app/etc"});
    CHECK(paths[1] == std::vector<std::string>{"/var/lib/x/conf"});
    CHECK(paths[2].empty());
    CHECK(paths[3].empty());
    CHECK(paths[4].empty());
    CHECK(paths[5].empty());
    CHECK(paths[6].empty());
    CHECK(paths[7] == std::vector<std::string>{"/etc/done", "/etc/old"});
    CHECK(paths[8].empty());
}
