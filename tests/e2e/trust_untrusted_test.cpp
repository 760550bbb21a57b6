// End-to-end: what a managed host sends (facts, command output, file contents,
// module results) is data, never code. Two sandbox hosts: h1 is hostile, h2 holds
// a password that h1 must never get, whatever path its text takes on the controller.
#include <catch2/catch.hpp>

#include "tests/support/test_support.hpp"

using namespace upkeep::test;

namespace {

constexpr const char* k_password = "s3cr3t-of-h2";
// What the hostile host plants: a template, and a bare expression, that read h2's password.
constexpr const char* k_template = "{{ hostvars.h2.ansible_become_password }}";
constexpr const char* k_expr = "hostvars.h2.ansible_become_password";

struct TwoHosts {
    TempDir dir;
    TwoHosts() {
        write_file(dir / "inventory.ini",
                   std::string("[web]\nh1\nh2 ansible_become_password=") + k_password +
                       "\n\n[all:vars]\nansible_connection=sandbox\nupkeep_sandbox_root=roots/{{ inventory_hostname }}\n");
        // h1's os-release and files carry the attack; h2 is an ordinary host.
        write_file(root("h1") + "/etc/os-release", std::string("ID=debian\nNAME=\"") + k_template + "\"\n");
        write_file(root("h1") + "/etc/payload", std::string(k_template) + "\n");
        write_file(root("h1") + "/etc/payload_expr", std::string(k_expr) + "\n");
        write_file(root("h2") + "/etc/os-release", "ID=debian\nNAME=\"Debian GNU/Linux\"\n");
        write_file(root("h2") + "/etc/payload", "plain\n");
        write_file(root("h2") + "/etc/payload_expr", "1 == 1\n");
    }
    std::string root(const std::string& host) const { return dir / ("roots/" + host); }
    Run play(const std::string& yml, const std::string& flags = "") {
        write_file(dir / "site.yml", yml);
        return upkeep::test::upkeep("play " + dir / "site.yml" + " -i " + dir / "inventory.ini " + flags);
    }
};

bool has(const std::string& hay, const std::string& needle) { return hay.find(needle) != std::string::npos; }

}  // namespace

TEST_CASE("trust: a fact is never rendered as a template (copy content, --check and real run)", "[e2e][trust]") {
    TwoHosts t;
    const std::string yml = R"(
- hosts: web
  tasks:
    - copy:
        dest: /etc/motd
        content: "OS: {{ ansible_distribution }}\n"
)";
    Run dry = t.play(yml, "--check --diff");
    INFO(dry.out);
    CHECK(dry.rc == 0);
    CHECK_FALSE(has(dry.out, k_password));
    CHECK(has(dry.out, std::string("+OS: ") + k_template));

    Run real = t.play(yml);
    INFO(real.out);
    CHECK(real.rc == 0);
    CHECK(read_file(t.root("h1") + "/etc/motd") == std::string("OS: ") + k_template + "\n");
    CHECK(read_file(t.root("h2") + "/etc/motd") == "OS: Debian GNU/Linux\n");
}

TEST_CASE("trust: facts stay data through ansible_facts, hostvars, play vars, task vars, set_fact and loops",
          "[e2e][trust]") {
    TwoHosts t;
    Run r = t.play(R"(
- hosts: web
  vars:
    os_line: "OS {{ ansible_facts.distribution }}"
    nested: "[{{ os_line }}]"
  tasks:
    - set_fact:
        copied: "{{ ansible_distribution }}"
    - copy:
        dest: /etc/out
        content: |
          {{ nested }}
          {{ hostvars[inventory_hostname].ansible_facts.distribution }}
          {{ copied }}
          {{ again }}
      vars:
        again: "{{ ansible_distribution }}"
    - lineinfile:
        path: /etc/loop
        create: true
        line: "{{ item }}"
      loop: "{{ [ansible_distribution, copied] }}"
)");
    INFO(r.out);
    CHECK(r.rc == 0);
    CHECK_FALSE(has(r.out, k_password));
    std::string out = read_file(t.root("h1") + "/etc/out");
    CHECK_FALSE(has(out, k_password));
    CHECK(out == std::string("[OS ") + k_template + "]\n" + k_template + "\n" + k_template + "\n" + k_template + "\n");
    CHECK(read_file(t.root("h1") + "/etc/loop") == std::string(k_template) + "\n");
}

TEST_CASE("trust: command output is never evaluated by debug var= or assert that=", "[e2e][trust]") {
    TwoHosts t;
    Run r = t.play(R"(
- hosts: web
  gather_facts: false
  tasks:
    - shell: cat "$UPKEEP_ROOT/etc/payload_expr"
      register: r
    - debug:
        var: "{{ r.stdout }}"
    - set_fact:
        via_fact: "{{ r.stdout }}"
    - debug:
        var: "{{ via_fact }}"
    - assert:
        that: "{{ r.stdout }}"
      ignore_errors: true
      register: a
    - copy:
        dest: /etc/assert_result
        content: "{{ a.failed }}"
)");
    INFO(r.out);
    CHECK_FALSE(has(r.out, k_password));
    // h1's output is shown as the text it is; the assertion on it is refused, not evaluated.
    CHECK(has(r.out, k_expr));
    CHECK(has(r.out, "data from a managed host"));
    CHECK(read_file(t.root("h1") + "/etc/assert_result") == "True");
}

TEST_CASE("trust: file contents and module results are data (slurp-like reads, loops over output)", "[e2e][trust]") {
    TwoHosts t;
    Run r = t.play(R"(
- hosts: web
  gather_facts: false
  tasks:
    - shell: cat "$UPKEEP_ROOT/etc/payload"
      register: r
    - assert:
        that: "{{ item }}"
      loop: "{{ r.stdout_lines }}"
      ignore_errors: true
    - copy:
        dest: /etc/copy_of_payload
        content: "{{ r.stdout }}|{{ r.stdout_lines | join(',') }}"
    - lineinfile:
        path: /etc/copy_of_payload
        line: "{{ r['stdout'] }}"
        insertafter: EOF
      register: li
    - copy:
        dest: /etc/li_msg
        content: "{{ li.msg }}"
)");
    INFO(r.out);
    CHECK_FALSE(has(r.out, k_password));
    CHECK(read_file(t.root("h1") + "/etc/copy_of_payload").rfind(std::string(k_template) + "|" + k_template, 0) == 0);
    CHECK_FALSE(has(read_file(t.root("h1") + "/etc/copy_of_payload"), k_password));
}

TEST_CASE("trust: one host's expression cannot change another host's results", "[e2e][trust][sandbox]") {
    TwoHosts t;
    // One worker (-f 1): both hosts evaluate in the same Lua state, h1 first.
    Run r = t.play(R"YML(
- hosts: web
  gather_facts: false
  vars:
    word: hello
  tasks:
    - debug:
        var: "lua: (function() string.upper = function() return 'PWNED' end end)()"
      when: inventory_hostname == 'h1'
      ignore_errors: true
    - debug:
        var: "lua: (function() __j.filters.upper = function() return 'PWNED' end end)()"
      when: inventory_hostname == 'h1'
      ignore_errors: true
    - debug:
        var: "lua: rawset(_G, 'string', { upper = function() return 'PWNED' end })"
      when: inventory_hostname == 'h1'
      ignore_errors: true
    - copy:
        dest: /etc/word
        content: "{{ word | upper }} {{ word.upper() }}"
)YML", "-f 1");
    INFO(r.out);
    CHECK(has(r.out, "read-only"));
    CHECK(read_file(t.root("h1") + "/etc/word") == "HELLO HELLO");
    CHECK(read_file(t.root("h2") + "/etc/word") == "HELLO HELLO");
}
