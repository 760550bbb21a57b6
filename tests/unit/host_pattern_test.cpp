#include <catch2/catch.hpp>

#include "engine/playbook/inventory.hpp"
#include "engine/util/error.hpp"
#include "tests/support/test_support.hpp"

using namespace upkeep;
using Strings = std::vector<std::string>;

namespace {

Inventory fixture() { return Inventory::load({std::string(UPKEEP_TEST_FIXTURES) + "/inventory/ini/hosts.ini"}); }

std::string error_of(const Inventory& inv, const std::string& pattern) {
    try {
        inv.match(pattern);
    } catch (const UserError& e) {
        return e.what();
    }
    return "no error";
}

}  // namespace

// Expected results were checked against `ansible -i hosts.ini PATTERN --list-hosts`.
TEST_CASE("group and host names", "[pattern]") {
    Inventory inv = fixture();
    CHECK(inv.match("web") == Strings{"web01", "web02", "web03", "web04", "web05"});
    CHECK(inv.match("prod") == Strings{"web01", "web02", "web03", "web04", "web05", "db-a", "db-b", "db-c", "db-x"});
    CHECK(inv.match("db-x") == Strings{"db-x"});
    CHECK(inv.match("ungrouped") == Strings{"localhost", "top1"});
    CHECK(inv.match("nosuch").empty());
    CHECK(inv.match("*") == inv.match("all"));
    CHECK(inv.match("localhost") == Strings{"localhost"});  // listed in this inventory
    CHECK(inv.match("all").size() == inv.hosts().size());
}

TEST_CASE("localhost is implicit when the inventory does not list it", "[pattern]") {
    Inventory inv = Inventory::load({"web1,"});
    CHECK(inv.match("localhost") == Strings{"localhost"});
    CHECK(inv.match("127.0.0.1:web1") == Strings{"127.0.0.1", "web1"});
    CHECK(inv.match("all") == Strings{"web1"});
    CHECK(inv.match("local*").empty());
    CHECK_FALSE(inv.has_host("localhost"));
    Value v = inv.host_vars("localhost");
    CHECK(v.get("ansible_connection").as_string() == "local");
    CHECK(v.get("group_names").as_list().empty());
}

TEST_CASE("unions keep the order of their terms", "[pattern]") {
    Inventory inv = fixture();
    CHECK(inv.match("db:odd") == Strings{"db-a", "db-b", "db-c", "db-x", "node1", "node4", "node7", "node10"});
    CHECK(inv.match("odd,db-a") == Strings{"node1", "node4", "node7", "node10", "db-a"});
    CHECK(inv.match("top1:top1:nosuch") == Strings{"top1"});
    CHECK(inv.match("top1 localhost") == Strings{"top1", "localhost"});
}

TEST_CASE("intersection and exclusion", "[pattern]") {
    Inventory inv = fixture();
    CHECK(inv.match("app:!db") == Strings{"web01", "web02", "web03", "web04", "web05"});
    CHECK(inv.match("prod:&db") == Strings{"db-a", "db-b", "db-c", "db-x"});
    CHECK(inv.match("&db:prod") == Strings{"db-a", "db-b", "db-c", "db-x"});  // & and ! apply last
    CHECK(inv.match("!prod") == Strings{"localhost", "top1", "node1", "node4", "node7", "node10"});
    CHECK(inv.match("web:db:&app:!web0[!5]") == Strings{"web05", "db-a", "db-b", "db-c", "db-x"});
    // [1-4] is Ansible's old subscript syntax, not a glob: "web0" matches nothing.
    CHECK(inv.match("web:!web0[1-4]") == inv.match("web"));
}

TEST_CASE("globs and regexes", "[pattern]") {
    Inventory inv = fixture();
    CHECK(inv.match("db-*") == Strings{"db-a", "db-b", "db-c", "db-x"});
    CHECK(inv.match("node?") == Strings{"node1", "node4", "node7"});
    CHECK(inv.match("db-[!ab]") == Strings{"db-c", "db-x"});
    CHECK(inv.match("~web0[12]") == Strings{"web01", "web02"});
    CHECK(inv.match("~(web|db)-?[ax1]") == Strings{"db-a", "db-x"});
    CHECK(inv.match("~od") == Strings{"node1", "node4", "node7", "node10"});  // group 'odd'
    CHECK(inv.match("w*") == Strings{"web01", "web02", "web03", "web04", "web05"});
}

TEST_CASE("subscripts", "[pattern]") {
    Inventory inv = fixture();
    CHECK(inv.match("web[0]") == Strings{"web01"});
    CHECK(inv.match("web[-1]") == Strings{"web05"});
    CHECK(inv.match("web[1:2]") == Strings{"web02", "web03"});
    CHECK(inv.match("web[3:]") == Strings{"web04", "web05"});
    CHECK(inv.match("odd[-1]:web[0]") == Strings{"node10", "web01"});
    CHECK(inv.match("web[2:100]") == Strings{"web03", "web04", "web05"});
    CHECK(inv.match("nosuch[0]").empty());
}

TEST_CASE("bad patterns are user errors", "[pattern]") {
    Inventory inv = fixture();
    CHECK(error_of(inv, "web[9]") == "no hosts matched the subscripted pattern 'web[9]': 'web' has 5 hosts");
    CHECK(error_of(inv, "~web[0-9") == "unbalanced brackets in host pattern '~web[0-9'");
    CHECK(error_of(inv, "~web(") .rfind("invalid host pattern '~web(': ", 0) == 0);
    CHECK(error_of(inv, "web[0") == "unbalanced brackets in host pattern 'web[0'");
    CHECK(error_of(inv, "") == "empty host pattern ''");
    CHECK(error_of(inv, "web:!") == "host pattern 'web:!' has an empty term after '!'");
}

// Every pattern through Ansible's own InventoryManager, when ansible-core is
// installed: the same hosts in the same order, and an error where Ansible errs.
TEST_CASE("patterns match Ansible's InventoryManager", "[pattern][ansible]") {
    const std::string fixtures = std::string(UPKEEP_TEST_FIXTURES) + "/inventory";
    const std::string script = "/usr/bin/python3 " + fixtures + "/ansible_match.py";
    if (test::sh("/usr/bin/python3 -c 'import ansible.inventory.manager' 2>/dev/null").rc != 0) {
        WARN("ansible-core is not installed; skipping the comparison");
        return;
    }
    const std::vector<std::string> patterns = {
        "all", "*", "web", "prod", "app:!db", "prod:&db", "&db:prod", "!prod", "db:odd", "odd,db-a",
        "web:db:&app:!web0[!5]", "db-*", "node?", "db-[!ab]", "~web0[12]", "~(web|db)-?[ax1]", "~od", "w*",
        "web[0]", "web[-1]", "web[1:2]", "web[3:]", "odd[-1]:web[0]", "web[2:100]", "web[9]", "top1 localhost",
        "ungrouped", "all:!ungrouped", "*.example.com", "web0?:&~.*[24]", "app[1:0]"};
    for (const std::string& src : {fixtures + "/ini/hosts.ini", fixtures + "/yaml/inventory.yml"}) {
        std::string cmd = script + " '" + src + "'";
        for (const auto& p : patterns) cmd += " '" + p + "'";
        test::Run r = test::sh(cmd + " 2>/dev/null");
        REQUIRE(r.rc == 0);
        Inventory inv = Inventory::load({src});
        size_t start = 0;
        for (const auto& p : patterns) {
            size_t nl = r.out.find('\n', start);
            REQUIRE(nl != std::string::npos);
            std::string line = r.out.substr(start, nl - start);
            start = nl + 1;
            INFO(src << " pattern " << p);
            std::string ours;
            try {
                ours = "[";
                for (const auto& h : inv.match(p)) ours += (ours.size() > 1 ? ", \"" : "\"") + h + "\"";
                ours += "]";
            } catch (const UserError&) {
                ours = "\"error\"";
            }
            CHECK(ours == line);
        }
    }
}
