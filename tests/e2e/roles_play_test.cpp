// Roles and play structure, end to end: the real binary runs playbooks with
// roles (search path, defaults/vars precedence, handlers, meta dependencies,
// files/ lookup), import/include_role, dynamic include_tasks, import_playbook
// vars, delegate_to/local_action, environment, vars_prompt and --start-at-task
// against sandbox hosts.
#include <catch2/catch.hpp>

#include <regex>

#include "tests/support/test_support.hpp"

using namespace upkeep::test;

namespace {

struct Estate {
    TempDir dir;
    Estate() {
        write_file(dir / "inventory.ini",
                   "[web]\nh1\nh2\n\n[all:vars]\nansible_connection=sandbox\nupkeep_sandbox_root=roots/{{ inventory_hostname }}\n");
    }
    void file(const std::string& rel, const std::string& text) { write_file(dir / rel, text); }
    Run play(const std::string& flags = "", const std::string& pb = "site.yml") {
        return upkeep::test::upkeep("play " + dir / pb + " -i " + dir / "inventory.ini --verify-convergence " + flags);
    }
    std::string read(const std::string& host, const std::string& path) { return read_file(dir / ("roots/" + host + path)); }
};

int recap(const std::string& out, const std::string& host, const std::string& field) {
    std::regex re(host + R"(\s+: .*)" + field + R"(=(\d+))");
    std::smatch m;
    if (!std::regex_search(out, m, re)) return -1;
    return std::stoi(m[1]);
}

void web_role(Estate& e) {
    e.file("roles/web/defaults/main.yml", "port: 80\nlisten: all\ngreeting: from-defaults\n");
    e.file("roles/web/vars/main.yml", "greeting: from-role-vars\n");
    e.file("roles/web/files/index.html", "<h1>hi</h1>\n");
    e.file("roles/web/meta/main.yml", "dependencies:\n  - role: base\n    base_dir: /srv\n");
    e.file("roles/web/handlers/main.yml", "- name: reload web\n  copy: dest=/srv/reloaded content=yes\n");
    e.file("roles/web/tasks/main.yml",
           "- name: config\n  copy:\n    dest: /srv/web.conf\n    content: \"port={{ port }} listen={{ listen }} g={{ greeting }}\\n\"\n"
           "  notify: reload web\n"
           "- name: page\n  copy: src=index.html dest=/srv/index.html\n");
    e.file("roles/base/tasks/main.yml", "- name: base dir\n  file: path={{ base_dir }} state=directory\n");
}

}  // namespace

TEST_CASE("roles: search path, defaults < inventory < play vars < role vars, handlers, dependencies, files/", "[roles][e2e]") {
    Estate e;
    web_role(e);
    e.file("group_vars/web.yml", "listen: inventory\n");
    e.file("site.yml", R"(
- hosts: web
  gather_facts: false
  vars:
    greeting: from-play
  roles:
    - role: web
      port: 8080
)");
    Run r = e.play();
    INFO(r.out);
    REQUIRE(r.rc == 0);
    // role param > defaults; group_vars > defaults; role vars > play vars
    CHECK(e.read("h1", "/srv/web.conf") == "port=8080 listen=inventory g=from-role-vars\n");
    CHECK(e.read("h2", "/srv/index.html") == "<h1>hi</h1>\n");
    CHECK(e.read("h1", "/srv/reloaded") == "yes");
    CHECK(r.out.find("TASK [base : base dir]") != std::string::npos);  // the dependency ran first
    CHECK(r.out.find("TASK [web : config]") != std::string::npos);
    CHECK(r.out.find("RUNNING HANDLER [web : reload web]") != std::string::npos);
    CHECK(r.out.find("TASK [base : base dir]") < r.out.find("TASK [web : config]"));
    Run again = e.play();
    CHECK(again.rc == 0);
    CHECK(recap(again.out, "h1", "changed") == 0);
}

TEST_CASE("roles: roles_path from ansible.cfg, when and tags on a role, run once per play", "[roles][e2e]") {
    Estate e;
    e.file("ansible.cfg", "[defaults]\nroles_path = ./shared-roles:/nonexistent\n");
    e.file("shared-roles/marker/tasks/main.yml", "- copy: dest=/m-{{ what }} content=x\n");
    e.file("site.yml", R"(
- hosts: web
  gather_facts: false
  roles:
    - { role: marker, what: a, tags: [ta] }
    - { role: marker, what: a }
    - role: marker
      vars: { what: b }
      when: inventory_hostname == 'h1'
)");
    Run r = e.play();
    INFO(r.out);
    REQUIRE(r.rc == 0);
    CHECK(e.read("h1", "/m-a") == "x");
    CHECK(e.read("h1", "/m-b") == "x");
    CHECK_FALSE(exists(e.dir / "roots/h2/m-b"));
    CHECK(recap(r.out, "h1", "changed") == 2);  // the same role with the same params runs once
    Run tagged = e.play("--tags ta --check");
    CHECK(tagged.out.find("marker : copy") != std::string::npos);

    e.file("missing.yml", "- hosts: web\n  roles: [nothere]\n");
    Run m = e.play("", "missing.yml");
    CHECK(m.rc == 1);
    CHECK(m.out.find("missing.yml:2:") != std::string::npos);
    CHECK(m.out.find("role 'nothere' not found") != std::string::npos);
    CHECK(m.out.find("shared-roles") != std::string::npos);
}

TEST_CASE("import_role / include_role with tasks_from, vars_from, defaults_from", "[roles][e2e]") {
    Estate e;
    e.file("roles/app/defaults/main.yml", "v: main-default\n");
    e.file("roles/app/defaults/alt.yml", "v: alt-default\n");
    e.file("roles/app/vars/extra.yml", "w: extra-vars\n");
    e.file("roles/app/tasks/main.yml", "- copy: dest=/main content={{ v }}\n");
    e.file("roles/app/tasks/other.yml", "- copy: dest=/other content={{ v }}-{{ w }}\n");
    e.file("site.yml", R"(
- hosts: web
  gather_facts: false
  tasks:
    - import_role:
        name: app
        tasks_from: other
        vars_from: extra
        defaults_from: alt
    - include_role:
        name: app
      when: inventory_hostname == 'h2'
)");
    Run r = e.play();
    INFO(r.out);
    REQUIRE(r.rc == 0);
    CHECK(e.read("h1", "/other") == "alt-default-extra-vars");
    CHECK(e.read("h2", "/main") == "main-default");  // each role instance sees its own defaults
    CHECK_FALSE(exists(e.dir / "roots/h1/main"));
}

TEST_CASE("include_tasks with a templated name and a loop, import_playbook vars", "[roles][e2e]") {
    Estate e;
    e.file("tasks/setup-h1.yml", "- copy: dest=/setup content=one\n");
    e.file("tasks/setup-h2.yml", "- copy: dest=/setup content=two\n");
    e.file("tasks/item.yml", "- copy: dest=/item-{{ item }} content={{ item }}{{ suffix }}\n");
    e.file("inner.yml", "- hosts: web\n  gather_facts: false\n  vars:\n    suffix: inner\n  tasks:\n"
                        "    - include_tasks: tasks/setup-{{ inventory_hostname }}.yml\n"
                        "    - include_tasks: tasks/item.yml\n      loop: [a, b]\n");
    e.file("site.yml", "- import_playbook: inner.yml\n  vars:\n    suffix: '!'\n");
    Run r = e.play();
    INFO(r.out);
    REQUIRE(r.rc == 0);
    CHECK(e.read("h1", "/setup") == "one");
    CHECK(e.read("h2", "/setup") == "two");
    CHECK(e.read("h1", "/item-a") == "a!");  // import_playbook vars override the play's
    CHECK(e.read("h2", "/item-b") == "b!");
}

// As ansible-playbook counts an include_tasks (the nfs role's full run compares the
// recaps): one "skipping" per host whose condition is false, however many tasks the
// file holds, and one "included" (ok) per host that runs it. Static (literal name)
// and dynamic (templated) includes alike.
TEST_CASE("include_tasks counts once per host: skipped or included, as Ansible does", "[roles][e2e]") {
    Estate e;
    e.file("tasks/three.yml", "- copy: dest=/a content=a\n- copy: dest=/b content=b\n- copy: dest=/c content=c\n");
    e.file("tasks/one-h1.yml", "- copy: dest=/d content=d\n");
    e.file("tasks/one-h2.yml", "- copy: dest=/d content=d\n");
    e.file("site.yml", R"(
- hosts: web
  gather_facts: false
  tasks:
    - include_tasks: tasks/three.yml
      when: inventory_hostname == 'h1'
    - include_tasks: "tasks/one-{{ inventory_hostname }}.yml"
      when: inventory_hostname == 'h2'
)");
    Run r = e.play();
    INFO(r.out);
    REQUIRE(r.rc == 0);
    CHECK(recap(r.out, "h1", "ok") == 4);  // included + 3 changed
    CHECK(recap(r.out, "h1", "changed") == 3);
    CHECK(recap(r.out, "h1", "skipped") == 1);
    CHECK(recap(r.out, "h2", "ok") == 2);  // included + 1 changed
    CHECK(recap(r.out, "h2", "skipped") == 1);
    size_t inc = r.out.find("TASK [include_tasks]");
    REQUIRE(inc != std::string::npos);
    CHECK(r.out.find("skipping: [h2]", inc) < r.out.find("TASK [copy]", inc));
    CHECK_FALSE(exists(e.dir / "roots/h2/a"));
    CHECK(e.read("h1", "/c") == "c");
    // --list-tasks shows a static include's tasks.
    Run list = e.play("--list-tasks");
    CHECK(list.out.find("copy") != std::string::npos);
}

TEST_CASE("delegate_to, local_action, run_once and environment", "[roles][e2e]") {
    Estate e;
    e.file("site.yml", R"(
- hosts: web
  gather_facts: false
  environment:
    GREETING: play
  tasks:
    - name: delegated write lands on h2
      copy: dest=/from-{{ inventory_hostname }} content=x
      delegate_to: h2
      when: inventory_hostname == 'h1'
    - name: env of the play and the task
      shell: echo "$GREETING $OTHER" > "$UPKEEP_ROOT/env.txt"
      environment:
        OTHER: task
    - name: local action
      local_action: shell echo "{{ inventory_hostname }}" > "{{ out_dir }}/local-{{ inventory_hostname }}"
    - name: once
      shell: echo once >> "{{ out_dir }}/once"
      run_once: true
)");
    Run r = e.play("-e out_dir=" + e.dir.path());
    INFO(r.out);
    REQUIRE(r.rc == 0);
    CHECK(e.read("h2", "/from-h1") == "x");
    CHECK_FALSE(exists(e.dir / "roots/h1/from-h1"));
    CHECK(e.read("h1", "/env.txt") == "play task\n");
    CHECK(read_file(e.dir / "local-h1") == "h1\n");
    CHECK(read_file(e.dir / "local-h2") == "h2\n");
    CHECK(read_file(e.dir / "once") == "once\n");
}

TEST_CASE("vars_prompt never prompts, --start-at-task skips earlier tasks", "[roles][e2e]") {
    Estate e;
    e.file("site.yml", R"(
- hosts: web
  gather_facts: false
  vars_prompt:
    - name: release
      prompt: Which release?
      default: r1
      private: false
    - name: token
      prompt: Token?
  tasks:
    - name: first
      copy: dest=/first content={{ release }}
    - name: second
      copy: dest=/second content={{ release }}-{{ token }}
)");
    Run missing = e.play();
    CHECK(missing.rc == 1);
    CHECK(missing.out.find("vars_prompt 'token' has no default") != std::string::npos);
    CHECK(missing.out.find("site.yml:") != std::string::npos);
    Run r = e.play("-e token=t0k3n --start-at-task second");
    INFO(r.out);
    REQUIRE(r.rc == 0);
    CHECK(e.read("h1", "/second") == "r1-t0k3n");
    CHECK_FALSE(exists(e.dir / "roots/h1/first"));
    CHECK(r.out.find("t0k3n") == std::string::npos);  // a prompted (private) value is a secret
}

TEST_CASE("include_vars with with_first_found in a role (the pattern of geerlingguy roles)", "[roles][e2e]") {
    Estate e;
    e.file("roles/ntp/vars/Debian.yml", "__pkg: ntpsec\n");
    e.file("roles/ntp/tasks/main.yml", R"(
- include_vars: "{{ item }}"
  with_first_found:
    - "{{ os }}-12.yml"
    - "{{ os }}.yml"
- set_fact:
    pkg: "{{ __pkg }}"
  when: pkg is not defined
- copy: dest=/pkg content={{ pkg }}
)");
    e.file("site.yml", "- hosts: web\n  gather_facts: false\n  vars: {os: Debian}\n  roles: [ntp]\n");
    Run r = e.play();
    INFO(r.out);
    REQUIRE(r.rc == 0);
    CHECK(e.read("h1", "/pkg") == "ntpsec");
    e.file("site.yml", "- hosts: web\n  gather_facts: false\n  vars: {os: Suse}\n  roles: [ntp]\n");
    Run missing = e.play();
    CHECK(missing.rc == 2);
    CHECK(missing.out.find("with_first_found: none of the files exists") != std::string::npos);
}
