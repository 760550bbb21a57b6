#include <catch2/catch.hpp>

#include <functional>

#include "engine/playbook/host_range.hpp"
#include "engine/playbook/inventory.hpp"
#include "engine/playbook/python_literal.hpp"
#include "engine/util/error.hpp"
#include "engine/value/yaml.hpp"
#include "tests/support/test_support.hpp"

using namespace upkeep;
using Strings = std::vector<std::string>;

namespace {

const std::string k_fixtures = std::string(UPKEEP_TEST_FIXTURES) + "/inventory";

Inventory ini_fixture() { return Inventory::load({k_fixtures + "/ini/hosts.ini"}); }
Inventory yaml_fixture() { return Inventory::load({k_fixtures + "/yaml/inventory.yml"}); }

// "file:line:col: message" of the UserError that fn throws, with `dir/` cut from the
// front so the expected text does not depend on where the test runs.
std::string error_of(const std::function<void()>& fn, const std::string& dir = "") {
    try {
        fn();
    } catch (const UserError& e) {
        std::string where = e.mark().to_string();
        std::string out = where.empty() ? e.what() : where + ": " + e.what();
        if (!dir.empty() && out.rfind(dir + "/", 0) == 0) out = out.substr(dir.size() + 1);
        return out;
    }
    return "no error";
}

// Writes `text` to <tmp>/<name>, loads it and returns the error.
std::string load_error(const std::string& name, const std::string& text) {
    test::TempDir tmp;
    test::write_file(tmp / name, text);
    return error_of([&] { Inventory::load({tmp / name}); }, tmp.path());
}

Strings list_of(const Value& v) {
    Strings out;
    for (const auto& x : v.as_list()) out.push_back(x.as_string());
    return out;
}

}  // namespace

TEST_CASE("INI: groups, children, ranges and ungrouped hosts", "[inventory]") {
    Inventory inv = ini_fixture();
    CHECK(inv.hosts() == Strings{"localhost", "top1", "web01", "web02", "web03", "web04", "web05", "db-a", "db-b",
                                 "db-c", "db-x", "node1", "node4", "node7", "node10"});
    CHECK(inv.groups().at("ungrouped").hosts == Strings{"localhost", "top1"});
    CHECK(inv.groups().at("app").children == Strings{"web", "db"});
    CHECK(inv.groups().at("all").children == Strings{"ungrouped", "odd", "prod"});
    CHECK(inv.host("web04").groups == Strings{"web"});
    CHECK(inv.groups_of("web01") == Strings{"all", "prod", "app", "web"});
    CHECK(inv.has_host("db-x"));
    CHECK_FALSE(inv.has_host("web"));
    // 'all' runs in Ansible's order: ungrouped first, then top-level groups breadth-first.
    CHECK(inv.match("all") == Strings{"localhost", "top1", "node1", "node4", "node7", "node10", "web01", "web02",
                                      "web03", "web04", "web05", "db-a", "db-b", "db-c", "db-x"});
}

TEST_CASE("INI: inline host vars are typed as Python literals, like Ansible", "[inventory]") {
    Inventory inv = ini_fixture();
    const Value& v = inv.host("web04").vars;
    CHECK(v.get("ansible_host").as_string() == "127.0.0.2");
    CHECK(v.get("ansible_port").is_int());
    CHECK(v.get("ansible_port").as_int() == 2222);
    CHECK(v.get("key").as_string() == "quoted value");
    CHECK(v.get("flag").is_bool());
    CHECK(v.get("flag").as_bool());
    CHECK(v.get("lower").is_string());  // only Python's True is a bool
    CHECK(v.get("num").as_int() == 5);
    CHECK(v.get("str").is_string());
    CHECK(v.get("str").as_string() == "5");
    CHECK(v.get("list").to_json() == "[1, 2]");
    CHECK(v.get("ports").to_json() == "[80, 443]");  // a bare tuple
    CHECK(v.get("key").mark().to_string() == k_fixtures + "/ini/hosts.ini:7:48");

    const Value& w5 = inv.host("web05").vars;
    CHECK(w5.get("ansible_ssh_common_args").as_string() == "-o StrictHostKeyChecking=no");
    CHECK(w5.get("note").as_string() == "a = b");
    CHECK(inv.host("db-x").vars.get("ansible_port").as_int() == 2200);
    CHECK(inv.host("web01").vars.get("http_port").as_int() == 8080);
}

TEST_CASE("INI: [group:vars] values", "[inventory]") {
    Inventory inv = ini_fixture();
    const Value& g = inv.groups().at("web").vars;
    // Ansible 2.14 runs :vars values through literal_eval too (its docs say strings).
    CHECK(g.get("count").as_int() == 3);
    CHECK(g.get("role").as_string() == "frontend");
    CHECK(g.get("comment").as_string() == "hello world # kept, as Ansible keeps it");
    CHECK(inv.groups().at("all").vars.get("ntp").as_string() == "pool.ntp.org");
}

TEST_CASE("host ranges", "[inventory]") {
    CHECK(expand_host_range("kvm[01:03]") == Strings{"kvm01", "kvm02", "kvm03"});
    CHECK(expand_host_range("kvm[8:11]") == Strings{"kvm8", "kvm9", "kvm10", "kvm11"});
    CHECK(expand_host_range("kvm[08:11]") == Strings{"kvm08", "kvm09", "kvm10", "kvm11"});
    CHECK(expand_host_range("db-[a:c]") == Strings{"db-a", "db-b", "db-c"});
    CHECK(expand_host_range("h[1:10:4]") == Strings{"h1", "h5", "h9"});
    CHECK(expand_host_range("r[1:2]-n[a:b].x") == Strings{"r1-na.x", "r1-nb.x", "r2-na.x", "r2-nb.x"});
    CHECK(expand_host_range("h[:2]") == Strings{"h0", "h1", "h2"});
    CHECK(expand_host_range("plain.example.com") == Strings{"plain.example.com"});
    CHECK_THROWS_AS(expand_host_range("h[1:]"), std::invalid_argument);
    CHECK_THROWS_AS(expand_host_range("h[01:100]"), std::invalid_argument);
    CHECK_THROWS_AS(expand_host_range("h[3:1]"), std::invalid_argument);
    CHECK_THROWS_AS(expand_host_range("h[1:3:0]"), std::invalid_argument);
    CHECK_THROWS_AS(expand_host_range("h[x]"), std::invalid_argument);
    CHECK(split_host_port("web:22").port == 22);
    CHECK(split_host_port("web[1:3]:22").pattern == "web[1:3]");
    CHECK(split_host_port("[fe80::1]:2222").pattern == "fe80::1");
    CHECK_FALSE(split_host_port("fe80::1").port);
    CHECK_FALSE(split_host_port("web[1:3]").port);
}

TEST_CASE("python literal typing", "[inventory]") {
    CHECK(ini_value("5").as_int() == 5);
    CHECK(ini_value("-5").as_int() == -5);
    CHECK(ini_value("1_000").as_int() == 1000);
    CHECK(ini_value("0x1F").as_int() == 31);
    CHECK(ini_value("1.5").as_double() == 1.5);
    CHECK(ini_value("0777").as_string() == "0777");  // not valid Python 3
    CHECK(ini_value("None").is_null());
    CHECK(ini_value("False").is_bool());
    CHECK(ini_value("yes").as_string() == "yes");
    CHECK(ini_value("'a' \"b\"").as_string() == "ab");
    CHECK(ini_value("'tab\\there'").as_string() == "tab\there");
    CHECK(ini_value("{'a': [1, (2,)], 'b': None}").to_json() == R"({"a": [1, [2]], "b": null})");
    CHECK(ini_value("5 # comment").as_int() == 5);
    CHECK(ini_value("{{ var }}").as_string() == "{{ var }}");
    CHECK(ini_value("1.2.3.4").as_string() == "1.2.3.4");
    CHECK(ini_value("").as_string().empty());
}

TEST_CASE("variable precedence follows Ansible", "[inventory]") {
    Inventory inv = ini_fixture();
    Value v = inv.host_vars("web01");
    CHECK(v.get("level").as_string() == "app");         // app (depth 2) over prod (depth 1)
    CHECK(v.get("env").as_string() == "production");    // prod over all
    CHECK(v.get("http_port").as_int() == 8080);         // host inline over group
    CHECK(v.get("role").as_string() == "from_group_vars");  // group_vars/web.yml over [web:vars]
    CHECK(v.get("base").as_string() == "two");          // group_vars/all/ files in name order
    // As in Ansible, every group_vars file ranks above every inline group var:
    // group_vars/all beats [app:vars].
    CHECK(v.get("tier").as_string() == "from_all_file");
    CHECK(inv.host_vars("web02").get("http_port").as_int() == 9090);  // host_vars/ over inline
    CHECK(inv.host_vars("db-a").get("role").as_string() == "app");
    CHECK(inv.host_vars("top1").get("env").as_string() == "default");
}

TEST_CASE("groups at the same depth merge alphabetically unless prioritised", "[inventory]") {
    test::TempDir tmp;
    test::write_file(tmp / "inv.ini", "[beta]\nh1\n[alpha]\nh1\n[beta:vars]\ncolor=blue\n[alpha:vars]\ncolor=red\n");
    CHECK(Inventory::load({tmp / "inv.ini"}).host_vars("h1").get("color").as_string() == "blue");
    test::write_file(tmp / "inv.ini",
                     "[beta]\nh1\n[alpha]\nh1\n[beta:vars]\ncolor=blue\n[alpha:vars]\ncolor=red\n"
                     "ansible_group_priority=10\n");
    Inventory inv = Inventory::load({tmp / "inv.ini"});
    CHECK(inv.host_vars("h1").get("color").as_string() == "red");
    CHECK_FALSE(inv.groups().at("alpha").vars.has("ansible_group_priority"));
}

TEST_CASE("playbook group_vars rank above the inventory's", "[inventory]") {
    Inventory inv = ini_fixture();
    test::TempDir play;
    test::write_file(play / "group_vars/web/main.yml", "role: from_playbook\n");
    test::write_file(play / "group_vars/all.yaml", "ntp: play.ntp\n");
    test::write_file(play / "host_vars/web01", "who: me\n");
    inv.add_vars_dir(play.path());
    Value v = inv.host_vars("web01");
    CHECK(v.get("role").as_string() == "from_playbook");
    CHECK(v.get("ntp").as_string() == "play.ntp");
    CHECK(v.get("who").as_string() == "me");
    CHECK(v.get("http_port").as_int() == 8080);
}

TEST_CASE("magic variables", "[inventory]") {
    Inventory inv = Inventory::load({k_fixtures + "/yaml/inventory.yml"});
    Value v = inv.host_vars("mgmtdb1");
    CHECK(v.get("inventory_hostname").as_string() == "mgmtdb1");
    CHECK(list_of(v.get("group_names")) == Strings{"mgmt", "mgmt_db"});
    CHECK(list_of(v.get("groups").get("mgmt")) == Strings{"mgmt1", "mgmt2", "mgmtdb1"});
    CHECK(list_of(v.get("groups").get("ungrouped")) == Strings{"solo"});
    CHECK(v.get("groups").has("all"));
    test::TempDir tmp;
    test::write_file(tmp / "inv", "db1.example.com\n");
    Value d = Inventory::load({tmp / "inv"}).host_vars("db1.example.com");
    CHECK(d.get("inventory_hostname_short").as_string() == "db1");
    CHECK(list_of(d.get("group_names")) == Strings{"ungrouped"});
}

TEST_CASE("YAML inventory", "[inventory]") {
    Inventory inv = yaml_fixture();
    CHECK(inv.hosts() == Strings{"solo", "kvm08", "kvm09", "kvm10", "kvm11", "mgmt1", "mgmt2", "mgmtdb1"});
    CHECK(inv.groups().at("all").children == Strings{"ungrouped", "kvm", "mgmt", "storage", "orphanparent"});
    CHECK(inv.groups().at("storage").hosts.empty());
    CHECK(inv.groups().at("undefined_child").hosts.empty());
    CHECK(inv.groups().at("orphanparent").children == Strings{"undefined_child"});
    CHECK(inv.host("mgmt2").vars.get("ansible_port").as_int() == 2201);
    CHECK(inv.host("kvm09").vars.get("hypervisor").as_bool());
    Value v = inv.host_vars("mgmtdb1");
    CHECK(v.get("role").as_string() == "database");
    CHECK(v.get("env").as_string() == "default");
    CHECK(inv.host_vars("kvm10").get("port").is_string());
    CHECK(inv.match("all") == Strings{"solo", "kvm08", "kvm09", "kvm10", "kvm11", "mgmt1", "mgmt2", "mgmtdb1"});
    CHECK(inv.groups().at("kvm").vars.get("role").mark().to_string() == k_fixtures + "/yaml/inventory.yml:12:15");
}

TEST_CASE("a directory source reads every file Ansible would", "[inventory]") {
    test::TempDir tmp;
    test::write_file(tmp / "inv/10-hosts", "[web]\nw1\n");
    test::write_file(tmp / "inv/20-more.yml", "db:\n  hosts:\n    d1:\n");
    test::write_file(tmp / "inv/sub/extra", "x1\n");
    test::write_file(tmp / "inv/skipped.ini", "[skip]\ns1\n");  // Ansible ignores *.ini in directories
    test::write_file(tmp / "inv/README.md", "# not an inventory\n");
    test::write_file(tmp / "inv/group_vars/web.yml", "from_dir: yes\n");
    Inventory inv = Inventory::load({tmp / "inv"});
    CHECK(inv.hosts() == Strings{"w1", "d1", "x1"});
    CHECK_FALSE(inv.has_group("skip"));
    CHECK(inv.host_vars("w1").get("from_dir").as_bool());
}

TEST_CASE("a comma list is an inventory", "[inventory]") {
    Inventory inv = Inventory::load({"web1,web2:2222,"});
    CHECK(inv.hosts() == Strings{"web1", "web2"});
    CHECK(inv.groups().at("ungrouped").hosts == Strings{"web1", "web2"});
    CHECK(inv.host_vars("web2").get("ansible_port").as_int() == 2222);
    CHECK(Inventory::load({"localhost,"}).hosts() == Strings{"localhost"});
    CHECK(error_of([] { Inventory::load({"/nonexistent/inv"}); }) ==
          "/nonexistent/inv: no such inventory file or directory (a single host needs a trailing comma: "
          "'/nonexistent/inv,')");
}

TEST_CASE("INI errors point at the line and say what is wrong", "[inventory]") {
    CHECK(load_error("inventory.ini", "[kvm]\nkvm[01:]\n") == "inventory.ini:2:1: bad host range 'kvm[01:]': the range has no end");
    CHECK(load_error("inventory.ini", "[kvm]\n  kvm[1:3:x] a=1\n") ==
          "inventory.ini:2:3: bad host range 'kvm[1:3:x]': the step must be a positive integer");
    CHECK(load_error("inventory.ini", "[kvm]\nkvm[01:100]\n") ==
          "inventory.ini:2:1: bad host range 'kvm[01:100]': zero-padded bounds must have the same width ('01' and "
          "'100')");
    CHECK(load_error("inventory.ini", "[web]\nw1 novalue\n") ==
          "inventory.ini:2:4: expected key=value after the host name, got 'novalue'");
    CHECK(load_error("inventory.ini", "[web]\nw1 a=\"open\n") == "inventory.ini:2:6: no closing quotation (\")");
    CHECK(load_error("inventory.ini", "[web:child]\n") ==
          "inventory.ini:1:1: section [web:child] has unknown type 'child' (expected hosts, children or vars)");
    CHECK(load_error("inventory.ini", "[web servers]\n") ==
          "inventory.ini:1:1: invalid section header '[web servers]': group names cannot contain spaces, ':' or ']'");
    CHECK(load_error("inventory.ini", "[web]\nw1\n[web:vars]\njustaword\n") ==
          "inventory.ini:4:1: expected key=value in [web:vars], got 'justaword'");
    CHECK(load_error("inventory.ini", "[app:children]\nweb\nmissing\n[web]\nw1\n") ==
          "inventory.ini:3:1: [app:children] lists group 'missing', which is not defined (add a [missing] section)");
    CHECK(load_error("inventory.ini", "[db:vars]\nx=1\n") ==
          "inventory.ini:1:1: [db:vars] is for group 'db', which this file never defines (Ansible rejects this too)");
    CHECK(load_error("inventory.ini", "[a]\nh\n[b]\n[a:children]\nb\n[b:children]\na\n") ==
          "inventory.ini:7:1: making 'a' a child of 'b' creates a cycle: 'b' is already a descendant of 'a'");
    CHECK(load_error("inventory.ini", "[a:children]\na\n") ==
          "inventory.ini:2:1: group 'a' cannot be a child of itself");
    CHECK(load_error("inventory.ini", "[web]\nw1:\n") ==
          "inventory.ini:2:1: bad host 'w1:': a host name must not end in ':', that character introduces a port");
}

TEST_CASE("INI groups may be declared after their use in :children", "[inventory]") {
    test::TempDir tmp;
    test::write_file(tmp / "inv", "[app:children]\nlate\n[late]\nh1\n[late:vars]\nx=1\n");
    Inventory inv = Inventory::load({tmp / "inv"});
    CHECK(inv.groups_of("h1") == Strings{"all", "app", "late"});
    CHECK(inv.host_vars("h1").get("x").as_int() == 1);
}

TEST_CASE("YAML errors point at the node", "[inventory]") {
    CHECK(load_error("inv.yml", "all:\n  hosts:\n    kvm[1:]:\n") == "inv.yml:3:5: bad host range 'kvm[1:]': the range has no end");
    CHECK(load_error("inv.yml", "all:\n  host:\n    h1:\n") ==
          "inv.yml:2:3: unexpected key 'host' in group 'all': only hosts, children and vars are allowed");
    CHECK(load_error("inv.yml", "all:\n  hosts:\n    - h1\n") == "inv.yml:3:5: 'hosts' of group 'all' must be a mapping, got a list");
    CHECK(load_error("inv.yml", "a:\n  children:\n    b:\n      children:\n        a:\n") ==
          "inv.yml:3:5: making 'b' a child of 'a' creates a cycle: 'a' is already a descendant of 'b'");
    CHECK(load_error("inv.yml", "- a\n") == "inv.yml:1:1: a YAML inventory must be a mapping of group names, got a list");
    CHECK(load_error("inv.yml", "all:\n  hosts: [a\n").rfind("inv.yml:", 0) == 0);
    CHECK(load_error("inv.yml", "plugin: aws_ec2\n") ==
          "inv.yml:1:9: inventory plugin configurations are not supported; list the hosts in an INI or YAML inventory");
    CHECK(load_error("inv.yml", "all:\n  vars:\n    ansible_group_priority: high\n") ==
          "inv.yml:3:5: ansible_group_priority must be an integer, got 'high'");
}

TEST_CASE("group_vars files must be mappings", "[inventory]") {
    test::TempDir tmp;
    test::write_file(tmp / "inv", "[web]\nw1\n");
    test::write_file(tmp / "group_vars/web.yml", "- a\n- b\n");
    CHECK(error_of([&] { Inventory::load({tmp / "inv"}); }, tmp.path()) ==
          "group_vars/web.yml:1:1: a vars file must hold a mapping of variable names to values, not a list");
}

// The same inventories through the real ansible-inventory, when it is installed:
// every host's variables must come out identical.
TEST_CASE("host vars match ansible-inventory", "[inventory][ansible]") {
    if (test::sh("command -v ansible-inventory").rc != 0) {
        WARN("ansible-inventory not installed; skipping the comparison");
        return;
    }
    for (const std::string& src : {k_fixtures + "/ini/hosts.ini", k_fixtures + "/yaml/inventory.yml"}) {
        test::Run r = test::sh("ANSIBLE_INVENTORY_UNPARSED_WARNING=0 ansible-inventory -i '" + src + "' --list 2>/dev/null");
        REQUIRE(r.rc == 0);
        Value ansible = parse_yaml(r.out, "ansible.json");
        Inventory inv = Inventory::load({src});
        for (const auto& host : inv.hosts()) {
            INFO(src << " host " << host);
            Value ours = inv.host_vars(host);
            Map& m = ours.as_map_mut();
            for (const char* magic : {"inventory_hostname", "inventory_hostname_short", "group_names", "groups"})
                m.erase(magic);
            Value theirs = ansible.get("_meta").get("hostvars").get(host);
            if (theirs.is_null()) theirs = Value(Map{});
            CHECK(ours.to_json() == theirs.to_json());
        }
        Strings groups;
        for (const auto& [name, v] : ansible.as_map())
            if (name != "_meta") CHECK(inv.has_group(name));
    }
}
