// End-to-end runs of the binary on sandbox hosts for the Jinja semantics that
// protect data: undefined names fail the task (nothing is deleted), conditions
// written with {{ }} compare instead of testing a non-empty string.
#include <catch2/catch.hpp>

#include <filesystem>
#include <regex>

#include "tests/support/test_support.hpp"

using namespace upkeep::test;

namespace {

struct Estate {
    TempDir dir;
    Estate() {
        write_file(dir / "inventory.ini",
                   "[web]\nh1\n\n[all:vars]\nansible_connection=sandbox\nupkeep_sandbox_root=roots/{{ inventory_hostname }}\n");
    }
    void playbook(const std::string& yml) { write_file(dir / "site.yml", yml); }
    Run play(const std::string& flags = "") {
        return upkeep::test::upkeep("play " + dir / "site.yml" + " -i " + dir / "inventory.ini " + flags);
    }
    std::string root() { return dir / "roots/h1"; }
};

}  // namespace

TEST_CASE("an undefined variable fails the task and removes nothing (also in --check)", "[e2e][jinja][undefined]") {
    Estate e;
    write_file(e.root() + "/data/keep.txt", "precious\n");
    e.playbook(R"(- hosts: web
  vars:
    old_release: "4.17"
  tasks:
    - name: remove the old release
      file: path="/data/{{ old_relase }}" state=absent
)");
    for (const char* flags : {"--check", ""}) {
        Run r = e.play(flags);
        INFO(r.out);
        CHECK(r.rc != 0);
        CHECK_THAT(r.out, Catch::Contains("'old_relase' is undefined (did you mean 'old_release'?)"));
        CHECK_THAT(r.out, Catch::Contains("site.yml:6:"));
        CHECK(read_file(e.root() + "/data/keep.txt") == "precious\n");
    }
}

TEST_CASE("undefined names fail in when, loop, vars and missing list items too", "[e2e][jinja][undefined]") {
    Estate e;
    write_file(e.root() + "/data/keep.txt", "precious\n");
    const char* cases[][2] = {
        {"      when: nosuch_flag\n", "'nosuch_flag' is undefined"},
        {"      loop: \"{{ nosuch_list }}\"\n", "'nosuch_list' is undefined"},
        {"      vars:\n        target: \"{{ nums[3] }}\"\n", "index 3 is out of range"},
    };
    for (auto& c : cases) {
        e.playbook(std::string(R"(- hosts: web
  vars:
    nums: [1, 2, 3]
  tasks:
    - name: remove
      file: path=/data state=absent
)") + c[0]);
        Run r = e.play();
        INFO(r.out);
        CHECK(r.rc != 0);
        CHECK_THAT(r.out, Catch::Contains(c[1]));
        CHECK(read_file(e.root() + "/data/keep.txt") == "precious\n");
    }
}

TEST_CASE("when: \"{{ x }} == 'y'\" compares x with 'y'", "[e2e][jinja][when]") {
    Estate e;
    e.playbook(R"(- hosts: web
  vars:
    env_name: prod
  tasks:
    - name: only for staging (must be skipped)
      copy: dest=/staging.txt content=x
      when: "{{ env_name }} == 'staging'"
    - name: quoted form, as Ansible renders it
      copy: dest=/prod.txt content=x
      when: "'{{ env_name }}' == 'prod'"
    - name: changed_when and failed_when written the same way
      command: echo ok
      register: out
      changed_when: "{{ out.stdout }} == 'nope'"
      failed_when: "'{{ out.stdout }}' != 'ok'"
)");
    Run r = e.play();
    INFO(r.out);
    CHECK(r.rc == 0);
    CHECK_FALSE(exists(e.root() + "/staging.txt"));
    CHECK(exists(e.root() + "/prod.txt"));
    CHECK_THAT(r.out, Catch::Contains("skipping"));
}

TEST_CASE("template module: dry run diff, apply, idempotent, backup, include", "[e2e][jinja][template]") {
    Estate e;
    write_file(e.root() + "/etc/app/app.conf", "old\n");
    write_file(e.dir / "templates/app.conf.j2",
               "# {{ ansible_managed }}\n"
               "{% for p in ports %}\n"
               "listen {{ p }}{{ ';' if loop.last else ',' }}\n"
               "{% endfor %}\n"
               "{% include 'footer.j2' %}\n");
    write_file(e.dir / "templates/footer.j2", "# end of {{ app_name }}\n");
    write_file(e.dir / "files/motd.txt", "welcome to {{ not rendered }}\n\n");
    e.playbook(R"(- hosts: web
  vars:
    ports: [80, 443]
    app_name: demo
  tasks:
    - template: src=app.conf.j2 dest=/etc/app/app.conf mode=0640 backup=true
    - copy:
        dest: /etc/motd
        content: "{{ lookup('file', 'motd.txt') }}|{{ lookup('template', 'footer.j2') }}"
)");
    const std::string want = "# Ansible managed\nlisten 80,\nlisten 443;\n# end of demo\n";
    Run dry = e.play("--check --diff");
    INFO(dry.out);
    CHECK(dry.rc == 0);
    CHECK_THAT(dry.out, Catch::Contains("+listen 443;"));
    CHECK_THAT(dry.out, Catch::Contains("-old"));
    CHECK(read_file(e.root() + "/etc/app/app.conf") == "old\n");
    Run r = e.play();
    INFO(r.out);
    CHECK(r.rc == 0);
    CHECK(read_file(e.root() + "/etc/app/app.conf") == want);
    CHECK(read_file(e.root() + "/etc/motd") == "welcome to {{ not rendered }}|# end of demo\n");
    bool backup = false;
    for (const auto& entry : std::filesystem::directory_iterator(e.root() + "/etc/app"))
        backup = backup || (entry.path().filename().string().rfind("app.conf.", 0) == 0 &&
                            read_file(entry.path().string()) == "old\n");
    CHECK(backup);
    Run again = e.play();
    INFO(again.out);
    CHECK(again.rc == 0);
    CHECK_THAT(again.out, Catch::Contains("changed=0"));
}

TEST_CASE("template module: an undefined name names the template", "[e2e][jinja][template][undefined]") {
    Estate e;
    write_file(e.root() + "/etc/app.conf", "keep\n");
    write_file(e.dir / "templates/bad.j2", "line {{ old_relase }}\n");
    e.playbook(R"(- hosts: web
  vars:
    old_release: 1
  tasks:
    - template: src=bad.j2 dest=/etc/app.conf
)");
    Run r = e.play();
    INFO(r.out);
    CHECK(r.rc != 0);
    CHECK_THAT(r.out, Catch::Contains("bad.j2"));
    CHECK_THAT(r.out, Catch::Contains("'old_relase' is undefined (did you mean 'old_release'?)"));
    CHECK(read_file(e.root() + "/etc/app.conf") == "keep\n");
}
