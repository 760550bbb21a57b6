#include <catch2/catch.hpp>

#include "engine/util/error.hpp"
#include "modules/lineinfile.hpp"
#include "tests/unit/module_sandbox.hpp"

using namespace upkeep;

namespace {

std::string edit(const std::string& text, const LineinfileOptions& o, std::string* msg = nullptr) {
    std::string m;
    std::string out = lineinfile_edit(text, o, msg ? msg : &m);
    // Idempotence: editing the result again changes nothing.
    std::string m2;
    CHECK(lineinfile_edit(out, o, &m2) == out);
    return out;
}

LineinfileOptions re_line(const std::string& re, const std::string& line) {
    LineinfileOptions o;
    o.regexp = re;
    o.line = line;
    return o;
}

}  // namespace

TEST_CASE("lineinfile: the last regexp match is replaced, firstmatch takes the first", "[lineinfile]") {
    std::string text = "a=1\nb=2\na=3\n";
    std::string msg;
    CHECK(edit(text, re_line("^a=", "a=9"), &msg) == "a=1\nb=2\na=9\n");
    CHECK(msg == "line replaced");
    LineinfileOptions first = re_line("^a=", "a=9");
    first.firstmatch = true;
    CHECK(edit(text, first) == "a=9\nb=2\na=3\n");
}

TEST_CASE("lineinfile: an untouched file is byte-identical", "[lineinfile]") {
    std::string msg;
    for (std::string text : {"a=1\nb=2\n", "a=1\r\nb=2\r\n", "no newline at end", "", "\n\n\n"}) {
        LineinfileOptions o = re_line("^x=", "x=1");
        o.backrefs = true;  // backrefs without a match: no change at all
        CHECK(lineinfile_edit(text, o, &msg) == text);
    }
    CHECK(lineinfile_edit("a=1\nb=2\n", re_line("^b=", "b=2"), &msg) == "a=1\nb=2\n");
    CHECK(msg == "line already present");
}

TEST_CASE("lineinfile: no match appends at EOF, with a newline before when missing", "[lineinfile]") {
    CHECK(edit("a=1\n", re_line("^b=", "b=2")) == "a=1\nb=2\n");
    CHECK(edit("a=1", re_line("^b=", "b=2")) == "a=1\nb=2\n");
    CHECK(edit("", re_line("^b=", "b=2")) == "b=2\n");
    // The exact line elsewhere counts as present when the regexp does not match.
    CHECK(edit("b=2\nc=3\n", re_line("^x=", "b=2")) == "b=2\nc=3\n");
}

TEST_CASE("lineinfile: insertafter and insertbefore", "[lineinfile]") {
    std::string text = "[main]\nx=1\n[other]\ny=2\n[main]\n";
    LineinfileOptions after;
    after.line = "new=1";
    after.insertafter = "^\\[main\\]";
    CHECK(edit(text, after) == "[main]\nx=1\n[other]\ny=2\n[main]\nnew=1\n");  // last match
    after.firstmatch = true;
    CHECK(edit(text, after) == "[main]\nnew=1\nx=1\n[other]\ny=2\n[main]\n");
    LineinfileOptions before;
    before.line = "new=1";
    before.insertbefore = "^\\[other\\]";
    CHECK(edit(text, before) == "[main]\nx=1\nnew=1\n[other]\ny=2\n[main]\n");
    before.insertbefore = "BOF";
    CHECK(edit(text, before) == "new=1\n" + text);
    before.insertbefore = "^nomatch";
    CHECK(edit(text, before) == text + "new=1\n");
    // A regexp match wins over insertafter.
    LineinfileOptions both = re_line("^y=", "y=3");
    both.insertafter = "^\\[main\\]";
    CHECK(edit(text, both) == "[main]\nx=1\n[other]\ny=3\n[main]\n");
}

TEST_CASE("lineinfile: backrefs", "[lineinfile]") {
    LineinfileOptions o = re_line("^(Listen) (\\d+)$", "\\1 80\\2");
    o.backrefs = true;
    CHECK(lineinfile_edit("Listen 80\n", o, nullptr) == "Listen 8080\n");
    LineinfileOptions named = re_line("^(?P<k>port)=(\\d+)", "\\g<k>=\\g<2>0");
    named.backrefs = true;
    CHECK(lineinfile_edit("port=80\n", named, nullptr) == "port=800\n");
    std::string msg;
    CHECK(lineinfile_edit("other\n", o, &msg) == "other\n");
    CHECK(msg.find("nothing to do") != std::string::npos);
}

TEST_CASE("lineinfile: absent removes every match", "[lineinfile]") {
    LineinfileOptions o;
    o.present = false;
    o.regexp = "^#";
    std::string msg;
    CHECK(edit("#a\nb\n#c\n", o, &msg) == "b\n");
    CHECK(msg == "2 line(s) removed");
    LineinfileOptions exact;
    exact.present = false;
    exact.line = "b";
    CHECK(edit("a\nb\r\nb\nc", exact) == "a\nc");
    LineinfileOptions ss;
    ss.present = false;
    ss.search_string = "x.y";
    CHECK(edit("x.y=1\nxzy=2\n", ss) == "xzy=2\n");
}

TEST_CASE("lineinfile: CRLF files keep their line endings", "[lineinfile]") {
    CHECK(edit("a=1\r\nb=2\r\n", re_line("^a=", "a=9")) == "a=9\r\nb=2\r\n");
    CHECK(edit("a=1\r\n", re_line("^c=", "c=3")) == "a=1\r\nc=3\r\n");
}

TEST_CASE("lineinfile: search_string is literal", "[lineinfile]") {
    LineinfileOptions o;
    o.search_string = "a.b";
    o.line = "a.b=2";
    CHECK(edit("axb=1\na.b=1\n", o) == "axb=1\na.b=2\n");
}

TEST_CASE("lineinfile: bad input is a clear error", "[lineinfile]") {
    LineinfileOptions no_line;
    no_line.regexp = "x";
    CHECK_THROWS_WITH(lineinfile_edit("", no_line, nullptr), Catch::Contains("line is required"));
    LineinfileOptions bad_re = re_line("(unclosed", "x");
    CHECK_THROWS_WITH(lineinfile_edit("a\n", bad_re, nullptr), Catch::Contains("bad regexp '(unclosed'"));
    LineinfileOptions backrefs;
    backrefs.line = "x";
    backrefs.backrefs = true;
    CHECK_THROWS_AS(lineinfile_edit("", backrefs, nullptr), TaskError);
    LineinfileOptions absent;
    absent.present = false;
    CHECK_THROWS_AS(lineinfile_edit("", absent, nullptr), TaskError);
}

TEST_CASE("lineinfile module converges a sandbox file", "[lineinfile][module]") {
    test::Sandbox box;
    test::write_file(box.local("/etc/cloudstack/agent/agent.properties"), "guid=1\nresource=old\n");
    const std::string task =
        "path: /etc/cloudstack/agent/agent.properties\nregexp: '^resource='\n"
        "line: resource=com.cloud.hypervisor.kvm.resource.LibvirtComputingResource\nmode: '0640'\n";
    Plan p = box.check("lineinfile", task);
    REQUIRE(p.changes.size() == 2);
    CHECK(p.changes[0].summary == "line replaced");
    CHECK(*p.changes[0].before == "guid=1\nresource=old\n");
    CHECK(*p.changes[0].after == "guid=1\nresource=com.cloud.hypervisor.kvm.resource.LibvirtComputingResource\n");
    CHECK(p.changes[1].summary == "mode 0644 -> 0640");
    box.converge("lineinfile", task);
    CHECK(test::read_file(box.local("/etc/cloudstack/agent/agent.properties")) == *p.changes[0].after);
    CHECK(box.conn().stat("/etc/cloudstack/agent/agent.properties").mode == 0640);

    // create: true makes the file and its directory; a missing file otherwise fails.
    CHECK_THROWS_AS(box.check("lineinfile", "path: /etc/new/x.conf\nline: a=1\n"), TaskError);
    Plan c = box.converge("lineinfile", "path: /etc/new/x.conf\nline: a=1\ncreate: true\n");
    CHECK_FALSE(c.changes[0].before.has_value());
    CHECK(test::read_file(box.local("/etc/new/x.conf")) == "a=1\n");
    // absent on a missing file is fine.
    CHECK_FALSE(box.check("lineinfile", "path: /etc/none\nline: a\nstate: absent\n").changed());
}

TEST_CASE("lineinfile module: backup and validate", "[lineinfile][module]") {
    test::Sandbox box;
    test::write_file(box.local("/etc/a.conf"), "a=1\n");
    Value r;
    box.converge("lineinfile", "path: /etc/a.conf\nline: b=2\nbackup: true\n", &r);
    REQUIRE(r.has("backup_file"));
    CHECK(test::read_file(box.local(r.get("backup_file").as_string())) == "a=1\n");
    // A failing validate leaves the file untouched.
    std::string bad = "path: /etc/a.conf\nline: c=3\nvalidate: 'grep -q nothing-like-this %s'\n";
    Plan p = box.check("lineinfile", bad);
    CHECK_THROWS_WITH(box.apply("lineinfile", bad, p), Catch::Contains("validation failed"));
    CHECK(test::read_file(box.local("/etc/a.conf")) == "a=1\nb=2\n");
    std::string good = "path: /etc/a.conf\nline: c=3\nvalidate: 'grep -q c=3 %s'\n";
    box.converge("lineinfile", good);
    CHECK(test::read_file(box.local("/etc/a.conf")) == "a=1\nb=2\nc=3\n");
}

TEST_CASE("lineinfile: deliberate differences from Ansible", "[lineinfile]") {
    // Inserting after a last line without a newline: Ansible would write "lastnew=1\n".
    LineinfileOptions o;
    o.line = "new=1";
    o.insertafter = "^last";
    CHECK(edit("first\nlast", o) == "first\nlast\nnew=1\n");
    // A replaced line keeps its CRLF (Ansible writes "\n").
    CHECK(edit("a=1\r\n", re_line("^a=", "a=2")) == "a=2\r\n");
    // An exact line with CRLF counts as present (Ansible rewrites it with "\n").
    CHECK(edit("a=1\r\nb=2\r\n", re_line("^zz", "b=2")) == "a=1\r\nb=2\r\n");
}

// Regression (issue 14.4): std::regex recursed per character; a ~30 KB line in
// the host's file crashed the whole run with SIGSEGV, dry runs included.
TEST_CASE("lineinfile: a 30 KB line in the file does not crash", "[lineinfile]") {
    std::string text = "# header\nblob=" + std::string(30000, 'x') + "\nport=1\n";
    CHECK(edit(text, re_line("^(blob|port)=(x|y)*$", "blob=short")) == "# header\nblob=short\nport=1\n");
    CHECK(edit(text, re_line("^port=", "port=2")) == "# header\nblob=" + std::string(30000, 'x') + "\nport=2\n");
}
