// become / become_user / become_method at play, block, include and task level:
// inherited play -> block -> task (innermost wins), ansible_become* variables
// (inventory, play vars, -e) win over every keyword, as in Ansible.
#include <catch2/catch.hpp>

#include "engine/exec/become_keywords.hpp"
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
