#include <catch2/catch.hpp>

#include "engine/util/error.hpp"
#include "modules/formats/properties_doc.hpp"
#include "modules/config_edits.hpp"
#include "tests/support/test_support.hpp"

using namespace upkeep;
using properties::Document;

namespace {

std::string fixture(const std::string& name) { return test::read_file(std::string(UPKEEP_TEST_FIXTURES) + "/config/" + name); }

const char* k_property_files[] = {"agent.properties", "environment.properties", "db.properties", "crlf.properties",
                                  "nonl.properties", "unicode.properties", "tricky.properties"};

std::string error_of(std::string_view text) {
    try {
        Document::parse(text, "/etc/x.properties");
    } catch (const UserError& e) {
        return e.mark().to_string() + ": " + e.what();
    }
    return "no error";
}

}  // namespace

TEST_CASE("properties: parse and render is byte-identical for every fixture", "[properties]") {
    for (const char* name : k_property_files) {
        INFO(name);
        std::string text = fixture(name);
        CHECK(Document::parse(text, name).render() == text);
    }
}

TEST_CASE("properties: the Java grammar is decoded", "[properties]") {
    auto doc = Document::parse(fixture("tricky.properties"), "tricky.properties");
    CHECK(doc.get("indented.key") == "indented value");
    CHECK(doc.get("key with spaces") == "value");
    CHECK(doc.get("key:colon") == "v1");
    CHECK(doc.get("key=equals") == "v2");
    CHECK(doc.get("whitespace.sep") == "tab separated value");
    CHECK(doc.get("colon.sep") == "colon value");
    CHECK(doc.get("both") == ": value with colon");
    CHECK(doc.get("empty.value") == "");
    CHECK(doc.get("bare.key") == "");
    CHECK(doc.get("bare.with.space") == "");
    CHECK(doc.get("trailing.spaces") == "keep these   ");
    CHECK(doc.get("leading.escaped") == "   leading");
    CHECK(doc.get("escapes") == "tab\there\nnewline\\backslashA\xc3\xa9q");
    CHECK(doc.get("multi") == "first,second,third");
    CHECK(doc.get("even.backslashes") == "ends with two\\");
    CHECK(doc.get("after.even") == "still separate");
    CHECK(doc.get("continued.comment") == "a# not a comment here");
    CHECK(doc.get("cont.blank") == "x");
    CHECK(doc.get("after.blank") == "y");
    CHECK(doc.get("dup") == "second");
    CHECK(doc.get("#hash.key") == "hash");
    CHECK(doc.get("!bang.key") == "bang");
    CHECK(doc.get("unicode.escape.keyA") == "pair \xf0\x9f\x98\x80 end");
    CHECK(doc.get("url") == "jdbc:mysql://localhost:3306/cloud?autoReconnect=true");
    CHECK_FALSE(doc.get("Comments").has_value());
    auto entries = doc.entries();
    REQUIRE(entries.size() == 26);
    CHECK(entries[0].key == "indented.key");
    CHECK(entries[0].line == 3);
    CHECK(entries[13].key == "multi");
    CHECK(entries[13].line == 16);
    CHECK(entries[25].line == 33);
}

TEST_CASE("properties: CRLF files keep CRLF and continuation lines decode", "[properties]") {
    auto doc = Document::parse(fixture("crlf.properties"), "crlf.properties");
    CHECK(doc.newline() == "\r\n");
    CHECK(doc.get("spaced.key") == "spaced value  ");
    CHECK(doc.get("long") == "a,b,c");
    CHECK(doc.set("foo", "baz"));
    CHECK(doc.set("new.key", "x"));
    CHECK(doc.render() ==
          "# written on Windows\r\nfoo=baz\r\n  spaced.key  :  spaced value  \r\n\r\nlong=a,\\\r\n     b,\\\r\n     "
          "c\r\n! bang comment\r\nlast=1\r\nnew.key=x\r\n");
}

TEST_CASE("properties: set keeps separator and spacing, edits only the value", "[properties]") {
    auto doc = Document::parse("# c\n  spaced.key  :  old value\nk v\nbare\nlast = 1\n", "t");
    CHECK(doc.set("spaced.key", "new"));
    CHECK(doc.set("k", "w"));
    CHECK(doc.set("bare", "now"));
    CHECK_FALSE(doc.set("last", "1"));
    CHECK(doc.render() == "# c\n  spaced.key  :  new\nk w\nbare=now\nlast = 1\n");
}

TEST_CASE("properties: set collapses the edited entry's continuation lines only", "[properties]") {
    auto doc = Document::parse("a=1\nmulti=x,\\\n   y\nb=2\n", "t");
    CHECK(doc.get("multi") == "x,y");
    CHECK(doc.set("multi", "x,y,z"));
    CHECK(doc.render() == "a=1\nmulti=x,y,z\nb=2\n");
}

TEST_CASE("properties: set edits the last of duplicate keys", "[properties]") {
    auto doc = Document::parse("dup=1\nother=x\ndup=2\n", "t");
    CHECK(doc.set("dup", "3"));
    CHECK(doc.render() == "dup=1\nother=x\ndup=3\n");
    CHECK(doc.remove("dup"));
    CHECK(doc.render() == "other=x\n");
    CHECK_FALSE(doc.remove("dup"));
}

TEST_CASE("properties: append adds a newline when the file lacks one", "[properties]") {
    auto doc = Document::parse(fixture("nonl.properties"), "nonl.properties");
    CHECK(doc.get("c") == "3");
    CHECK(doc.set("d", "4"));
    CHECK(doc.render() == "a=1\nb = 2\n# no newline at the end\nc:3\nd=4\n");
    auto empty = Document::parse("", "t");
    CHECK(empty.set("k", "v"));
    CHECK(empty.render() == "k=v\n");
}

TEST_CASE("properties: values are encoded so that Java reads them back", "[properties]") {
    auto doc = Document::parse("a=1\n", "t");
    std::string tricky = "  lead\tand\\back\nnew \xc3\xa9 = : # !";
    CHECK(doc.set("weird key=:", tricky));
    CHECK(doc.render() == "a=1\nweird\\ key\\=\\:=\\  lead\\tand\\\\back\\nnew \xc3\xa9 = : # !\n");
    auto again = Document::parse(doc.render(), "t");
    CHECK(again.get("weird key=:") == tricky);
    CHECK_FALSE(again.set("weird key=:", tricky));
}

TEST_CASE("properties: a leading '=' or ':' survives a whitespace separator (found by the fuzzer)", "[properties]") {
    auto doc = Document::parse("key value\nlatin=caf\xe9\n", "t");
    CHECK(doc.set("key", "=x"));
    CHECK(doc.render() == "key \\=x\nlatin=caf\xe9\n");
    CHECK(Document::parse(doc.render(), "t").get("key") == "=x");
    // A Latin-1 file keeps its raw bytes.
    CHECK(doc.set("other", "\xff:"));
    CHECK(Document::parse(doc.render(), "t").get("other") == "\xff:");
}

TEST_CASE("properties: non-ASCII is written as backslash-u escapes when the file already uses them", "[properties]") {
    auto doc = Document::parse("name=caf\\u00e9\n", "t");
    CHECK(doc.ascii_escapes());
    CHECK(doc.set("city", "Z\xc3\xbcrich \xf0\x9f\x98\x80"));
    CHECK(doc.render() == "name=caf\\u00e9\ncity=Z\\u00FCrich \\uD83D\\uDE00\n");
    CHECK(Document::parse(doc.render(), "t").get("city") == "Z\xc3\xbcrich \xf0\x9f\x98\x80");
    auto utf8 = Document::parse(fixture("unicode.properties"), "u");
    CHECK(utf8.get("greeting") == "Gr\xc3\xbc\xc3\x9f Gott");
    CHECK(utf8.get("name\xc3\xa9") == "caf\xc3\xa9");
}

TEST_CASE("properties: errors name file, line and column", "[properties]") {
    CHECK(error_of("a=1\nb=2\\") == "/etc/x.properties:2:4: line continuation (a trailing backslash) at the end of the file");
    CHECK(error_of("a=1\nb=2\\\n") == "/etc/x.properties:2:4: line continuation (a trailing backslash) at the end of the file");
    CHECK(error_of("a=1\n  b=x\\u12G4\n") == "/etc/x.properties:2:6: malformed \\uXXXX escape (need four hex digits)");
    CHECK(error_of("k=\\u12") == "/etc/x.properties:1:3: malformed \\uXXXX escape (need four hex digits)");
    // Even backslashes are no continuation; a comment's backslash neither.
    CHECK(error_of("a=1\\\\\n# c \\") == "no error");
}

TEST_CASE("properties: every edit is idempotent on every fixture", "[properties]") {
    for (const char* name : k_property_files) {
        INFO(name);
        std::string text = fixture(name);
        auto doc = Document::parse(text, name);
        for (const auto& e : doc.entries()) {
            for (const std::string& v : {std::string("changed value"), std::string(" x\\y\t"), e.value}) {
                auto d1 = Document::parse(text, name);
                d1.set(e.key, v);
                auto d2 = Document::parse(d1.render(), name);
                CHECK(d2.get(e.key) == v);
                CHECK_FALSE(d2.set(e.key, v));
                CHECK(d2.render() == d1.render());
                // Every other key keeps its value.
                for (const auto& other : doc.entries())
                    if (other.key != e.key) CHECK(d2.get(other.key) == doc.get(other.key));
            }
            auto d3 = Document::parse(text, name);
            CHECK(d3.remove(e.key));
            auto d4 = Document::parse(d3.render(), name);
            CHECK_FALSE(d4.get(e.key).has_value());
            CHECK_FALSE(d4.remove(e.key));
        }
    }
}

TEST_CASE("properties: module core (seed steps)", "[properties]") {
    std::string agent = fixture("agent.properties");
    PropertiesEdit rename;
    rename.regexp = "^com\\.cloud\\.agent\\.resource\\.computing\\.LibvirtComputingResource$";
    rename.replace = "com.cloud.hypervisor.kvm.resource.LibvirtComputingResource";
    auto out = edit_properties(agent, rename, "/etc/cloudstack/agent/agent.properties");
    CHECK(out.msg == "1 value rewritten by regexp");
    std::string want = agent;
    want.replace(want.find("com.cloud.agent.resource.computing"), 34, "com.cloud.hypervisor.kvm.resource");
    CHECK(out.content == want);
    auto again = edit_properties(out.content, rename, "p");
    CHECK(again.content == out.content);
    CHECK(again.msg == "no values matched the regexp with a different result");

    std::string env = fixture("environment.properties");
    PropertiesEdit ensure;
    ensure.key = "paths.script";
    ensure.value = "/usr/share/cloudstack-common";
    ensure.only_if_absent = true;
    auto kept = edit_properties(env, ensure, "env");
    CHECK(kept.content == env);
    CHECK(kept.msg == "key 'paths.script' already present (only_if_absent)");
    ensure.only_if_absent = false;
    auto set = edit_properties(env, ensure, "env");
    CHECK(set.content == "# management server environment\npaths.script=/usr/share/cloudstack-common\npaths.pid=/var/run\n");
    CHECK(set.msg == "key 'paths.script' changed");
    ensure.only_if_absent = true;
    auto added = edit_properties(std::string("paths.pid=/var/run\n"), ensure, "env");
    CHECK(added.content == "paths.pid=/var/run\npaths.script=/usr/share/cloudstack-common\n");
    CHECK(edit_properties(added.content, ensure, "env").content == added.content);

    PropertiesEdit group;
    group.key = "url";
    group.regexp = "jdbc:mysql://([^:/]+):(\\d+)";
    group.replace = "jdbc:mysql://db.example.org:\\2";
    auto g = edit_properties(std::string("url=jdbc:mysql://localhost:3306/cloud\nother=jdbc:mysql://localhost:1\n"), group, "p");
    CHECK(g.content == "url=jdbc:mysql://db.example.org:3306/cloud\nother=jdbc:mysql://localhost:1\n");
}

TEST_CASE("properties: ENC() values are masked", "[properties]") {
    CHECK(mask_enc_values("a=ENC(abc)\nb=ENC(x==) tail\nc=ENC(open\n") == "a=ENC(********)\nb=ENC(********) tail\nc=ENC(open\n");
}
