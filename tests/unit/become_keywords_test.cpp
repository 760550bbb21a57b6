// become / become_user / become_method at play, block, include and task level:
// inherited play -> block -> task (innermost wins), ansible_become* variables
// (inventory, play vars, -e) win over every keyword, as in Ansible.
#include <catch2/catch.hpp>

#include "engine/exec/become_keywords.hpp"
#include "engine/util/error.hpp"
#include "modules/registry.hpp"
#include "tests/support/test_support.hpp"

using namespace upkeep;

TEST_CASE("become keywords: play -> block -> include -> task inheritance", "[become]") {
    test::TempDir dir;
    test::write_file(dir / "inc.yml", "- name: included\n  command: id -un\n"
                                      "- name: included, own user\n  command: id -un\n  become_user: postgres\n");
    test::write_file(dir / "site.yml", R"(
- hosts: all
  become_user: admin
  tasks:
    - name: plain
      command: id -un
    - block:
        - name: in block
          command: id -un
        - name: own user
          command: id -un
          become_user: nobody
        - name: turned off
          command: id -un
          become: false
        - block:
            - name: nested, su
              command: id -un
              become_method: su
      become: true
    - import_tasks: inc.yml
      become: true
      become_method: su
    - name: after
      command: id -un
)");
    Playbook pb = load_playbook(dir / "site.yml", builtin_modules());
    const Play& play = pb.plays.at(0);
    auto find = [&](const std::string& name) -> const Task& {
        std::function<const Task*(const std::vector<Task>&)> walk = [&](const std::vector<Task>& ts) -> const Task* {
            for (const auto& t : ts) {
                if (t.name == name) return &t;
                if (const Task* x = walk(t.block)) return x;
            }
            return nullptr;
        };
        const Task* t = walk(play.tasks);
        REQUIRE(t != nullptr);
        return *t;
    };
    auto kw = [&](const std::string& name) {
        BecomeKeywords k = become_keywords(play, &find(name));
        return std::string(k.become ? (*k.become ? "yes" : "no") : "-") + " " + k.user + " " + k.method;
    };
    CHECK(kw("plain") == "- admin ");
    CHECK(kw("in block") == "yes admin ");
    CHECK(kw("own user") == "yes nobody ");
    CHECK(kw("turned off") == "no admin ");
    CHECK(kw("nested, su") == "yes admin su");
    CHECK(kw("included") == "yes admin su");
    CHECK(kw("included, own user") == "yes postgres su");
    CHECK(kw("after") == "- admin ");
}

TEST_CASE("become keywords: ansible_become* variables win over keywords", "[become]") {
    Value vars(Map{});
    vars["ansible_host"] = Value("10.0.0.1");
    Value v = with_become_keywords(vars, BecomeKeywords{true, "nobody", "su"});
    CHECK(v.get("ansible_become").as_bool());
    CHECK(v.get("ansible_become_user").as_string() == "nobody");
    CHECK(v.get("ansible_become_method").as_string() == "su");
    vars["ansible_become_user"] = Value("postgres");  // e.g. -e ansible_become_user=postgres
    vars["ansible_become"] = Value(false);
    v = with_become_keywords(vars, BecomeKeywords{true, "nobody", ""});
    CHECK_FALSE(v.get("ansible_become").as_bool());
    CHECK(v.get("ansible_become_user").as_string() == "postgres");
    CHECK(v.get("ansible_become_method").is_null());
    CHECK(with_become_keywords(vars, BecomeKeywords{}).get("ansible_become").as_bool() == false);
}

// `roles: [{role: x, become: true}]`, as Ansible applies it (checked against
// ansible-playbook 2.14): the role's tasks, its meta dependencies and its handlers
// inherit the entry's keywords over the play's; a task in the role still wins; the
// same keywords on import_role/include_role do the same; other keywords on an
// import_role are refused instead of dropped.
TEST_CASE("become keywords: roles entry, dependencies, handlers and import_role", "[become][roles]") {
    test::TempDir dir;
    test::write_file(dir / "roles/app/tasks/main.yml", "- name: app task\n  command: id -un\n  notify: app handler\n"
                                                       "- name: app off\n  command: id -un\n  become: false\n"
                                                       "- name: app own user\n  command: id -un\n  become_user: daemon\n");
    test::write_file(dir / "roles/app/handlers/main.yml", "- name: app handler\n  command: id -un\n");
    test::write_file(dir / "roles/app/meta/main.yml", "dependencies:\n  - base\n  - {role: su_dep, become_method: su}\n");
    test::write_file(dir / "roles/base/tasks/main.yml", "- name: base task\n  command: id -un\n");
    test::write_file(dir / "roles/su_dep/tasks/main.yml", "- name: su_dep task\n  command: id -un\n");
    test::write_file(dir / "roles/other/tasks/main.yml", "- name: other task\n  command: id -un\n");
    test::write_file(dir / "roles/imp/tasks/main.yml", "- name: imp task\n  command: id -un\n");
    test::write_file(dir / "site.yml", R"(
- hosts: all
  become_user: admin
  roles:
    - {role: app, become: true, become_user: nobody}
    - other
  tasks:
    - import_role: {name: imp}
      become: yes
      become_user: postgres
)");
    Playbook pb = load_playbook(dir / "site.yml", builtin_modules());
    const Play& play = pb.plays.at(0);
    auto kw = [&](const std::vector<Task>& ts, const std::string& name) {
        for (const auto& t : ts) {
            if (t.name != name) continue;
            BecomeKeywords k = become_keywords(play, &t);
            return std::string(k.become ? (*k.become ? "yes" : "no") : "-") + " " + k.user + " " + k.method;
        }
        FAIL("no task " << name);
        return std::string();
    };
    CHECK(kw(play.tasks, "base task") == "yes nobody ");
    CHECK(kw(play.tasks, "su_dep task") == "yes nobody su");
    CHECK(kw(play.tasks, "app task") == "yes nobody ");
    CHECK(kw(play.tasks, "app off") == "no nobody ");
    CHECK(kw(play.tasks, "app own user") == "yes daemon ");
    CHECK(kw(play.tasks, "other task") == "- admin ");
    CHECK(kw(play.tasks, "imp task") == "yes postgres ");
    CHECK(kw(play.handlers, "app handler") == "yes nobody ");

    test::write_file(dir / "bad.yml", "- hosts: all\n  tasks:\n    - import_role: {name: imp}\n      no_log: true\n");
    try {
        load_playbook(dir / "bad.yml", builtin_modules());
        FAIL("no_log on import_role was accepted");
    } catch (const UserError& e) {
        CHECK(std::string(e.what()).find("no_log on import_role is not supported") != std::string::npos);
        CHECK(e.describe().find("bad.yml:4:") != std::string::npos);
    }
}

// Ansible runs a role once per play from roles: (same parameters), but an
// import_role of it runs it again (ansible-playbook 2.14: the tasks ran twice).
TEST_CASE("roles: import_role runs a role again that roles: already ran", "[roles]") {
    test::TempDir dir;
    test::write_file(dir / "roles/r/tasks/main.yml", "- name: r task\n  command: id -un\n");
    test::write_file(dir / "site.yml", "- hosts: all\n  roles: [r, r]\n  tasks:\n    - import_role: {name: r}\n"
                                       "    - include_role: {name: r}\n");
    Playbook pb = load_playbook(dir / "site.yml", builtin_modules());
    size_t n = 0;
    for (const auto& t : pb.plays.at(0).tasks) n += t.name == "r task";
    CHECK(n == 3);
}
