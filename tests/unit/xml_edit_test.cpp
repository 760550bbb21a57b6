#include <catch2/catch.hpp>

#include <sys/stat.h>

#include "engine/connection/local_connection.hpp"
#include "engine/module/module.hpp"
#include "engine/util/error.hpp"
#include "engine/value/yaml.hpp"
#include "modules/formats/xml_edit.hpp"
#include "modules/registry.hpp"
#include "tests/support/test_support.hpp"

using namespace upkeep;
using upkeep::xml::EditRequest;
using upkeep::xml::edit_xml;

namespace {

std::string fixture(const std::string& name) { return test::read_file(std::string(UPKEEP_TEST_FIXTURES) + "/" + name); }

// Runs the edit, checks that a second run is a no-op, and returns the new text.
std::string edit_twice(const std::string& text, const EditRequest& req) {
    auto first = edit_xml(text, "t.xml", req);
    auto second = edit_xml(first.text, "t.xml", req);
    INFO("first:\n" << first.text << "\nsecond:\n" << second.text);
    CHECK(second.text == first.text);
    CHECK_FALSE(second.changed);
    return first.text;
}

EditRequest at(const std::string& xpath) {
    EditRequest r;
    r.xpath = xpath;
    return r;
}

std::string error_of(const std::string& text, const EditRequest& req) {
    try {
        edit_xml(text, "cfg.xml", req);
    } catch (const UserError& e) {
        return e.mark().to_string() + ": " + e.what();
    } catch (const TaskError& e) {  // a module's failure carries its mark too
        return e.mark().to_string() + ": " + e.what();
    }
    return "no error";
}

const char* k_small = "<?xml version='1.0'?>\n<!-- top -->\n<a x='1'  y=\"2\">\n  <b>old</b>\n  <c/>\n</a>\n";

}  // namespace

TEST_CASE("xml: an untouched file keeps every byte", "[xml]") {
    for (const char* name : {"xml/componentContext.xml", "xml/server-crlf.xml"}) {
        std::string text = fixture(name);
        auto r = edit_xml(text, name, at("//*"));
        CHECK(r.text == text);
        CHECK_FALSE(r.changed);
        CHECK(r.count > 3);
    }
    // A BOM, a DOCTYPE and a PI survive an edit elsewhere.
    std::string bom = "\xEF\xBB\xBF<?xml version=\"1.0\"?>\n<!DOCTYPE a>\n<?pi x?>\n<a><b k=\"v\"/></a>\n";
    EditRequest req = at("/a/b");
    req.attribute = "k";
    req.value = "w";
    CHECK(edit_twice(bom, req) == "\xEF\xBB\xBF<?xml version=\"1.0\"?>\n<!DOCTYPE a>\n<?pi x?>\n<a><b k=\"w\"/></a>\n");
}

TEST_CASE("xml: attributes are set, added and removed in place", "[xml]") {
    EditRequest req = at("/a");
    req.attribute = "x";
    req.value = "1 & <2>";
    CHECK(edit_twice(k_small, req) ==
          "<?xml version='1.0'?>\n<!-- top -->\n<a x='1 &amp; &lt;2>'  y=\"2\">\n  <b>old</b>\n  <c/>\n</a>\n");
    req.attribute = "z";
    req.value = "3";
    CHECK(edit_twice(k_small, req) ==
          "<?xml version='1.0'?>\n<!-- top -->\n<a x='1'  y=\"2\" z=\"3\">\n  <b>old</b>\n  <c/>\n</a>\n");
    req.absent = true;
    req.attribute = "x";
    CHECK(edit_twice(k_small, req) == "<?xml version='1.0'?>\n<!-- top -->\n<a  y=\"2\">\n  <b>old</b>\n  <c/>\n</a>\n");
    // An xpath ending in /@name is the same as attribute: name.
    EditRequest viapath = at("/a/c/@k");
    viapath.value = "v";
    CHECK(edit_twice(k_small, viapath) ==
          "<?xml version='1.0'?>\n<!-- top -->\n<a x='1'  y=\"2\">\n  <b>old</b>\n  <c k=\"v\"/>\n</a>\n");
}

TEST_CASE("xml: a new attribute follows a one-per-line layout and CRLF", "[xml]") {
    std::string text = fixture("xml/server-crlf.xml");
    EditRequest req = at("//Connector");
    req.attribute = "maxThreads";
    req.value = "400";
    std::string out = edit_twice(text, req);
    CHECK(out.find("redirectPort=\"8443\"\r\n               maxThreads=\"400\" />\r\n") != std::string::npos);
    std::string expected = text;
    expected.insert(expected.find(" />\r\n    <script>"), "\r\n               maxThreads=\"400\"");
    CHECK(out == expected);
}

TEST_CASE("xml: text is replaced without touching the markup around it", "[xml]") {
    EditRequest req = at("/a/b");
    req.value = "new";
    CHECK(edit_twice(k_small, req) == "<?xml version='1.0'?>\n<!-- top -->\n<a x='1'  y=\"2\">\n  <b>new</b>\n  <c/>\n</a>\n");
    req.xpath = "/a/c";
    CHECK(edit_twice(k_small, req) ==
          "<?xml version='1.0'?>\n<!-- top -->\n<a x='1'  y=\"2\">\n  <b>old</b>\n  <c>new</c>\n</a>\n");
    // CDATA text counts as the element's text.
    std::string text = fixture("xml/server-crlf.xml");
    EditRequest same = at("//script");
    same.value = " if (a < b) x(); ";
    CHECK(edit_xml(text, "s.xml", same).text == text);
}

TEST_CASE("xml: children are added once, indented like their siblings", "[xml]") {
    EditRequest req = at("/a");
    Value child = parse_yaml("d: {k: v, +value: t}", "c.yml");
    req.add_children = {"<e/>", "<c/>"};
    CHECK(edit_twice(k_small, req) ==
          "<?xml version='1.0'?>\n<!-- top -->\n<a x='1'  y=\"2\">\n  <b>old</b>\n  <c/>\n  <e/>\n</a>\n");
    // Into an empty (self-closing) element: one level deeper than the parent.
    req.xpath = "/a/c";
    req.add_children = {"<f n=\"1\"/>"};
    CHECK(edit_twice(k_small, req) ==
          "<?xml version='1.0'?>\n<!-- top -->\n<a x='1'  y=\"2\">\n  <b>old</b>\n  <c>\n    <f n=\"1\"/>\n  </c>\n</a>\n");
    // As siblings.
    req.xpath = "/a/b";
    req.insert_before = true;
    req.add_children = {"<z/>"};
    CHECK(edit_twice(k_small, req) ==
          "<?xml version='1.0'?>\n<!-- top -->\n<a x='1'  y=\"2\">\n  <z/>\n  <b>old</b>\n  <c/>\n</a>\n");
}

TEST_CASE("xml: set_children replaces the children exactly once", "[xml]") {
    EditRequest req = at("/a");
    req.set_children = std::vector<std::string>{"<p/>", "<q>1</q>"};
    CHECK(edit_twice(k_small, req) == "<?xml version='1.0'?>\n<!-- top -->\n<a x='1'  y=\"2\">\n  <p/>\n  <q>1</q>\n</a>\n");
    req.set_children = std::vector<std::string>{"<b>old</b>", "<c/>"};
    CHECK(edit_xml(k_small, "t.xml", req).text == k_small);
}

TEST_CASE("xml: removing elements takes their whole lines", "[xml]") {
    EditRequest req = at("//c | //b");
    req.absent = true;
    CHECK(edit_twice(k_small, req) == "<?xml version='1.0'?>\n<!-- top -->\n<a x='1'  y=\"2\">\n</a>\n");
    EditRequest none = at("//nothing");
    none.absent = true;
    auto r = edit_xml(k_small, "t.xml", none);
    CHECK_FALSE(r.changed);
    CHECK(r.msg == "no node matches '//nothing', nothing to remove");
}

TEST_CASE("xml: an element described by its predicates is created when absent", "[xml]") {
    std::string text = fixture("xml/componentContext.xml");
    EditRequest req = at("/beans/bean[@id='ldap'][@class='org.example.Ldap']/property[@name='host']");
    req.attribute = "value";
    req.value = "ldap.example.org";
    std::string out = edit_twice(text, req);
    std::string added =
        "  <bean id=\"ldap\" class=\"org.example.Ldap\">\n"
        "    <property name=\"host\" value=\"ldap.example.org\"/>\n"
        "  </bean>\n</beans>\n";
    CHECK(out.substr(out.size() - added.size()) == added);
    CHECK(out.substr(0, out.size() - added.size()) + "</beans>\n" == text);
}

TEST_CASE("xml: count, print_match and content only read", "[xml]") {
    std::string text = fixture("xml/componentContext.xml");
    EditRequest req = at("//bean[@id='userAuthenticators']//ref");
    req.count = true;
    auto r = edit_xml(text, "c.xml", req);
    CHECK(r.count == 4);
    CHECK(r.text == text);
    req.count = false;
    req.print_match = true;
    req.content = "attribute";
    r = edit_xml(text, "c.xml", req);
    REQUIRE(r.matches.size() == 4);
    CHECK(r.matches[0] == "/beans[1]/bean[2]/property[1]/list[1]/ref[1]");
    CHECK(r.content.as_list()[3].to_json() == R"({"ref": {"bean": "PlainTextUserAuthenticator"}})");
}

TEST_CASE("xml: the seed's PlainTextUserAuthenticator becomes the first adapter", "[xml][seed]") {
    std::string text = fixture("xml/componentContext.xml");
    EditRequest req = at("//bean[@id='userAuthenticators']/property[@name='Adapters']/list/ref[@bean='PlainTextUserAuthenticator']");
    req.position = "first";
    std::string out = edit_twice(text, req);
    std::string before =
        "          <ref bean=\"SHA256SaltedUserAuthenticator\"/>\n"
        "          <ref bean=\"MD5UserAuthenticator\"/>\n"
        "          <ref bean=\"LDAPUserAuthenticator\"/>\n"
        "          <ref bean=\"PlainTextUserAuthenticator\"/>\n";
    std::string after =
        "          <ref bean=\"PlainTextUserAuthenticator\"/>\n"
        "          <ref bean=\"SHA256SaltedUserAuthenticator\"/>\n"
        "          <ref bean=\"MD5UserAuthenticator\"/>\n"
        "          <ref bean=\"LDAPUserAuthenticator\"/>\n";
    std::string expected = text;
    expected.replace(expected.find(before), before.size(), after);
    CHECK(out == expected);

    // The other moves.
    req.position = "last";
    CHECK(edit_xml(text, "c.xml", req).text == text);
    req.position = "before:ref[@bean='MD5UserAuthenticator']";
    std::string moved = edit_twice(text, req);
    CHECK(moved.find("SHA256SaltedUserAuthenticator\"/>\n          <ref bean=\"PlainTextUserAuthenticator\"/>\n"
                     "          <ref bean=\"MD5UserAuthenticator") != std::string::npos);
    req.position = "after:ref[@bean='SHA256SaltedUserAuthenticator']";
    CHECK(edit_twice(text, req) == moved);
    // Absent altogether: created, then moved, in one task.
    std::string without = text;
    without.erase(without.find("          <ref bean=\"PlainTextUserAuthenticator\"/>\n"), 51);
    req.position = "first";
    CHECK(edit_twice(without, req) == expected);
}

TEST_CASE("xml: namespaces map the playbook's prefixes to the document's", "[xml]") {
    std::string text = "<r xmlns=\"urn:d\" xmlns:q=\"urn:q\"><q:item id=\"1\"/><item id=\"2\"/></r>";
    EditRequest req = at("/d:r/x:item");
    req.namespaces = {{"d", "urn:d"}, {"x", "urn:q"}};
    req.attribute = "id";
    req.value = "9";
    CHECK(edit_twice(text, req) == "<r xmlns=\"urn:d\" xmlns:q=\"urn:q\"><q:item id=\"9\"/><item id=\"2\"/></r>");
    CHECK(xml::resolve_namespaces("//d:item[@id='d:x']", {{"d", "urn:d"}}, pugi::xml_document()) ==
          "//d:item[@id='d:x']");
}

TEST_CASE("xml: bad input is an error naming file, line and column", "[xml]") {
    CHECK(error_of("<a>\n  <b></c>\n</a>\n", at("/a")) == "cfg.xml:2:8: malformed XML: Start-end tags mismatch");
    CHECK(error_of("<a x='1>\n</a>", at("/a")) == "cfg.xml:1:7: malformed XML: Error parsing element attribute");
    EditRequest bad = at("/a/b[");
    bad.xpath_mark = parse_yaml("xpath: /a/b[\n", "site.yml").get("xpath").mark();
    CHECK(error_of("<a/>", bad) == "site.yml:1:8: bad XPath '/a/b[': Unrecognized node test (at character 6)");
    EditRequest uncreatable = at("/a/b[position()=2]");
    CHECK(error_of("<a/>", uncreatable) ==
          ": '/a/b[position()=2]' matches nothing and its step 'b[position()=2]' cannot be created "
          "(only name[@attr='value'][text()='value'] steps can)");
    EditRequest move = at("/a/b");
    move.position = "sideways";
    CHECK(error_of("<a><b/></a>", move) == ": position must be first, last, before:<xpath> or after:<xpath>, got 'sideways'");
}

TEST_CASE("xml module: check, apply and a second check through a sandbox connection", "[xml][module]") {
    test::TempDir root;
    std::string host_path = "/etc/cloudstack/management/componentContext.xml";
    std::string local = root / "etc/cloudstack/management/componentContext.xml";
    std::string original = fixture("xml/componentContext.xml");
    test::write_file(local, original);
    ::chmod(local.c_str(), 0640);
    LocalConnection conn("mgmt1", root.path());
    Value vars;
    ModuleContext ctx{conn, vars, nullptr, ""};
    const Module* m = find_module("community.general.xml");
    REQUIRE(m);
    Value raw = parse_yaml(
        "path: " + host_path +
            "\nxpath: \"//bean[@id='userAuthenticators']/property[@name='Adapters']/list/ref[@bean='PlainTextUserAuthenticator']\""
            "\nposition: first\nbackup: true\n",
        "site.yml");
    Args args = validate_args(m->spec(), raw);
    Plan plan = m->check(ctx, args);
    REQUIRE(plan.changed());
    CHECK(test::read_file(local) == original);  // check is read-only
    REQUIRE(plan.changes[0].before);
    CHECK(*plan.changes[0].before == original);
    Value result = m->apply(ctx, args, plan);
    CHECK(test::read_file(local) == *plan.changes[0].after);
    struct stat st {};
    ::stat(local.c_str(), &st);
    CHECK((st.st_mode & 07777) == 0640);
    REQUIRE(result.has("backup_file"));
    CHECK(test::read_file(root / result.get("backup_file").as_string()) == original);
    Plan again = m->check(ctx, args);
    CHECK_FALSE(again.changed());
    CHECK(again.msg == "element already first");

    // Malformed file: an error naming it, and the file is left alone.
    test::write_file(local, "<beans>\n<bean></beans>\n");
    try {
        m->check(ctx, args);
        FAIL("no error");
    } catch (const UserError& e) {
        CHECK(std::string(e.what()) == "malformed XML: Start-end tags mismatch");
        CHECK(e.mark().to_string() == host_path + ":2:9");
    } catch (const TaskError& e) {  // a module's failure carries its mark too
        CHECK(std::string(e.what()) == "malformed XML: Start-end tags mismatch");
        CHECK(e.mark().to_string() == host_path + ":2:9");
    }
    CHECK(test::read_file(local) == "<beans>\n<bean></beans>\n");
}
