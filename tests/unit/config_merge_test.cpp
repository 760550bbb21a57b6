#include <catch2/catch.hpp>

#include <algorithm>

#include <sys/stat.h>

#include "engine/connection/local_connection.hpp"
#include "engine/module/module.hpp"
#include "engine/util/error.hpp"
#include "engine/util/strings.hpp"
#include "engine/value/yaml.hpp"
#include "modules/formats/merge_common.hpp"
#include "modules/registry.hpp"
#include "tests/support/test_support.hpp"

using namespace upkeep;
using namespace upkeep::merge;

namespace {

std::string fixture(const std::string& name) {
    return test::read_file(std::string(UPKEEP_TEST_FIXTURES) + "/merge/" + name);
}

MergeInput trio(const std::string& dir, const std::string& ext, bool with_base, Prefer prefer = Prefer::None) {
    MergeInput in;
    if (with_base) in.base = fixture(dir + "/base" + ext);
    in.ours = fixture(dir + "/ours" + ext);
    in.theirs = fixture(dir + "/new" + ext);
    in.filename = "/etc/cloud/management/" + dir + ext;
    in.prefer = prefer;
    return in;
}

// Merging the merged file again with the same new version changes nothing.
void check_idempotent(MergeResult (*fn)(const MergeInput&), MergeInput in, const std::string& merged) {
    in.ours = merged;
    MergeResult again = fn(in);
    CHECK(again.text == merged);
}

std::vector<std::string> described(const MergeResult& r) {
    std::vector<std::string> out;
    for (const auto& c : r.conflicts) out.push_back(describe(c));
    return out;
}

}  // namespace

TEST_CASE("merge: db.properties three-way keeps the new layout and the operator's values", "[merge][seed]") {
    MergeInput in = trio("db", ".properties", true);
    MergeResult r = merge_properties(in);
    CHECK(r.conflicts.empty());
    CHECK(r.text == fixture("db/expected.properties"));
    CHECK(r.carried.size() == 10);  // 9 keys and the comment above db.cloud.slaves
    check_idempotent(merge_properties, in, r.text);
    // Nothing customised: the new file comes out byte for byte.
    in.ours = *in.base;
    CHECK(merge_properties(in).text == in.theirs);
}

TEST_CASE("merge: db.properties two-way carries new keys, differing values conflict", "[merge]") {
    MergeInput in = trio("db", ".properties", false);
    MergeResult r = merge_properties(in);
    std::vector<std::string> want = {
        "key 'cluster.node.IP': ours '10.1.1.20', theirs '127.0.0.1'",
        "key 'db.cloud.password': ours ********, theirs ********",
        "key 'db.cloud.host': ours 'db1.example.org', theirs 'localhost'",
        "key 'db.cloud.maxActive': ours '500', theirs '250'",
        "key 'db.cloud.url.params': ours 'prepStmtCacheSize=517&cachePrepStmts=true', theirs "
        "'prepStmtCacheSize=517&cachePrepStmts=true&sessionVariables=sql_mode='STRICT_TRANS_TABLES''",
        "key 'db.usage.host': ours 'db1.example.org', theirs 'localhost'",
        "key 'db.usage.password': ours ********, theirs ********",
        "key 'db.cloud.encryption.type': ours 'file', theirs 'none'",
        "key 'db.cloud.encrypt.secret': ours ********, theirs ********",
    };
    CHECK(described(r) == want);
    for (const auto& line : described(r)) CHECK(line.find("ENC(") == std::string::npos);
    // prefer: ours takes the operator's side of each conflict, theirs the package's.
    in.prefer = Prefer::Ours;
    MergeResult ours = merge_properties(in);
    CHECK(ours.text.find("db.cloud.url.params=prepStmtCacheSize=517&cachePrepStmts=true\n") != std::string::npos);
    CHECK(ours.text.find("db.cloud.host=db1.example.org\n# the port the database listens on\n") != std::string::npos);
    CHECK(ours.text.find("db.cloud.slaves=db2.example.org\n") != std::string::npos);
    check_idempotent(merge_properties, in, ours.text);
    in.prefer = Prefer::Theirs;
    MergeResult theirs = merge_properties(in);
    CHECK(theirs.text == in.theirs + "# added by ops for the reporting replica\ndb.cloud.slaves=db2.example.org\n");
}

TEST_CASE("merge: the 3.0 components.xml keeps the operator's adapter next to a renamed one", "[merge][seed]") {
    MergeInput in = trio("components", ".xml", true);
    MergeResult r = merge_xml(in);
    CHECK(described(r).empty());
    CHECK(r.text == fixture("components/expected.xml"));
    check_idempotent(merge_xml, in, r.text);
    // Two-way gives the same here: the operator's adapter is new, and the param
    // differs, which two-way cannot attribute.
    MergeInput two = trio("components", ".xml", false);
    MergeResult t = merge_xml(two);
    std::vector<std::string> want = {
        "/components.xml/management-server/adapters[@key='com.cloud.server.auth.UserAuthenticator']/"
        "adapter[@name='MD5']/@class: ours 'com.cloud.server.auth.MD5UserAuthenticator', theirs "
        "'org.apache.cloudstack.auth.MD5UserAuthenticator'",
        "/components.xml/management-server/adapters[@key='com.cloud.server.auth.UserAuthenticator']/"
        "adapter[@name='LDAP']/@class: ours 'com.cloud.server.auth.LDAPUserAuthenticator', theirs "
        "'org.apache.cloudstack.auth.LDAPUserAuthenticator'",
        "/components.xml/management-server/@class: ours 'com.cloud.server.ManagementServerImpl', theirs "
        "'com.cloud.server.ManagementServerExtImpl'",
        "/components.xml/configuration-server/dao[@name='Configuration configuration server']/"
        "param[@name='premium']/text(): ours 'true', theirs 'false'",
    };
    std::vector<std::string> got = described(t);
    std::sort(got.begin(), got.end());
    std::sort(want.begin(), want.end());
    CHECK(got == want);
    two.prefer = Prefer::Theirs;
    MergeResult pt = merge_xml(two);
    std::string expected = fixture("components/expected.xml");
    std::string premium = "<param name=\"premium\">true";
    expected.replace(expected.find(premium), premium.size(), "<param name=\"premium\">false");
    CHECK(pt.text == expected);
    check_idempotent(merge_xml, two, pt.text);
}

TEST_CASE("merge: XML elements the operator removed go, unless the package changed them", "[merge]") {
    MergeInput in;
    in.filename = "c.xml";
    in.base = "<r>\n  <a id=\"1\"/>\n  <a id=\"2\" v=\"x\"/>\n  <a id=\"3\"/>\n</r>\n";
    in.ours = "<r>\n  <a id=\"3\"/>\n</r>\n";
    in.theirs = "<r>\n\t<a id=\"1\"/>\n\t<a id=\"2\" v=\"y\"/>\n\t<a id=\"3\"/>\n\t<a id=\"4\"/>\n</r>\n";
    MergeResult r = merge_xml(in);
    REQUIRE(described(r) == std::vector<std::string>{
                                "/r/a[@id='2']: ours (absent), theirs '(changed in the new version)', base '(present)'"});
    in.prefer = Prefer::Ours;
    CHECK(merge_xml(in).text == "<r>\n\t<a id=\"3\"/>\n\t<a id=\"4\"/>\n</r>\n");
    in.prefer = Prefer::Theirs;
    CHECK(merge_xml(in).text == "<r>\n\t<a id=\"2\" v=\"y\"/>\n\t<a id=\"3\"/>\n\t<a id=\"4\"/>\n</r>\n");
}

TEST_CASE("merge: line files get a diff3, clashing hunks are conflicts", "[merge]") {
    MergeInput in = trio("default", "", true);
    MergeResult r = merge_lines(in);
    std::vector<std::string> want = {
        "line 9 of the new file: ours 'JAVA_OPTS=\"-Djava.awt.headless=true -Xmx8g -XX:+UseParallelGC\"', theirs "
        "'JAVA_OPTS=\"-Djava.awt.headless=true -Xmx2g -XX:+UseG1GC\"', base "
        "'JAVA_OPTS=\"-Djava.awt.headless=true -Xmx2g -XX:+UseParallelGC\"'",
        "lines 11-12 of the new file: ours '# the user the server runs as (site policy)', theirs '# the user the "
        "server runs as\n# (must own /var/lib/cloudstack)', base '# the user the server runs as'",
    };
    CHECK(described(r) == want);
    in.prefer = Prefer::Theirs;
    MergeResult t = merge_lines(in);
    std::string expected = in.theirs;
    expected.replace(expected.find("CLASSPATH=/etc/cloudstack/management"), 36,
                     "CLASSPATH=/etc/cloudstack/management:/opt/site/lib");
    CHECK(t.text == expected);
    check_idempotent(merge_lines, in, t.text);
    // Two-way: lines only ours has are carried, replaced lines conflict.
    MergeInput two;
    two.ours = "a\nb\nmine\nc\n";
    two.theirs = "a\nnew\nb\nc\nd\n";
    two.filename = "f";
    CHECK(merge_lines(two).text == "a\nnew\nb\nmine\nc\nd\n");
    two.ours = "a\nB\nc\n";
    two.theirs = "a\nb\nc\n";
    CHECK(described(merge_lines(two)) == std::vector<std::string>{"line 2 of the new file: ours 'B', theirs 'b'"});
    // CRLF in the new file stays CRLF.
    two.prefer = Prefer::Ours;
    two.theirs = "a\r\nb\r\nc\r\n";
    CHECK(merge_lines(two).text == "a\r\nB\r\nc\r\n");
}

TEST_CASE("merge: malformed input names the file, line and column", "[merge]") {
    MergeInput in;
    in.filename = "/etc/cloud/management/components.xml";
    in.ours = "<a>\n  <b>\n</a>\n";
    in.theirs = "<a/>";
    try {
        merge_xml(in);
        FAIL("no error");
    } catch (const UserError& e) {
        CHECK(e.mark().to_string() + ": " + e.what() ==
              "/etc/cloud/management/components.xml:3:3: malformed XML: Start-end tags mismatch");
    } catch (const TaskError& e) {  // a module's failure carries its mark too
        CHECK(e.mark().to_string() + ": " + e.what() ==
              "/etc/cloud/management/components.xml:3:3: malformed XML: Start-end tags mismatch");
    }
}

namespace {

struct Host {
    test::TempDir root;
    LocalConnection conn{"mgmt1", root.path()};
    Value vars;
    ModuleContext ctx{conn, vars, nullptr, ""};
    std::string local(const std::string& p) { return root.path() + p; }
};

Value run_module(Host& h, const std::string& yaml, Plan* out_plan = nullptr) {
    const Module* m = find_module("config_merge");
    REQUIRE(m);
    Args args = validate_args(m->spec(), parse_yaml(yaml, "site.yml"));
    Plan plan = m->check(h.ctx, args);
    if (out_plan) *out_plan = plan;
    if (!plan.changed()) return Value();
    Value result = m->apply(h.ctx, args, plan);
    Plan again = m->check(h.ctx, args);
    CHECK_FALSE(again.changed());
    return result;
}

}  // namespace

TEST_CASE("config_merge module: the seed's db.properties.rpmnew step end to end", "[merge][module][seed]") {
    Host h;
    std::string path = "/etc/cloud/management/db.properties";
    test::write_file(h.local(path), fixture("db/ours.properties"));
    test::write_file(h.local(path + ".rpmnew"), fixture("db/new.properties"));
    test::write_file(h.local("/usr/share/cloudstack/db.properties.orig"), fixture("db/base.properties"));
    ::chmod(h.local(path).c_str(), 0640);
    Plan plan;
    Value result = run_module(h,
                              "path: " + path +
                                  "\nbase: /usr/share/cloudstack/db.properties.orig\nbackup: true\nremove_new: true\n",
                              &plan);
    REQUIRE(plan.changes.size() == 2);
    CHECK(plan.changes[0].secret);  // the diff shows the ENC(...) passwords
    CHECK(plan.changes[1].target == path + ".rpmnew");
    CHECK(plan.msg == "10 customisations carried over");
    CHECK(test::read_file(h.local(path)) == fixture("db/expected.properties"));
    CHECK_FALSE(test::exists(h.local(path + ".rpmnew")));
    struct stat st {};
    ::stat(h.local(path).c_str(), &st);
    CHECK((st.st_mode & 07777) == 0640);
    REQUIRE(result.has("backup_file"));
    CHECK(test::read_file(h.local(result.get("backup_file").as_string())) == fixture("db/ours.properties"));
    // With the .rpmnew gone there is nothing left to do.
    Plan after;
    run_module(h, "path: " + path + "\n", &after);
    CHECK(after.msg == "nothing to merge: no " + path + ".rpmnew, .dpkg-dist, .dpkg-new or .rpmsave");
}

TEST_CASE("config_merge module: conflicts fail the task and leave the files alone", "[merge][module]") {
    Host h;
    std::string path = "/etc/cloud/management/components.xml";
    test::write_file(h.local(path), fixture("components/ours.xml"));
    test::write_file(h.local(path + ".rpmnew"), fixture("components/new.xml"));
    const Module* m = find_module("config_merge");
    Args args = validate_args(m->spec(), parse_yaml("path: " + path + "\n", "site.yml"));
    try {
        m->check(h.ctx, args);
        FAIL("no error");
    } catch (const TaskError& e) {
        std::string msg = e.what();
        CHECK(msg.rfind("4 conflicts merging " + path + ".rpmnew into " + path +
                            " (set prefer: ours|theirs to resolve): ",
                        0) == 0);
    }
    CHECK(test::read_file(h.local(path)) == fixture("components/ours.xml"));
    // Keeping the operator's choices resolves them; the merge is then idempotent.
    Plan plan;
    run_module(h, "path: " + path + "\nprefer: ours\n", &plan);
    CHECK(plan.result.get("conflicts").as_list().size() == 4);
    std::string merged = test::read_file(h.local(path));
    CHECK(merged.find("<adapter name=\"SiteSSO\"") != std::string::npos);
    CHECK(merged.find("DatabaseUpgradeChecker\" class=\"com.cloud.upgrade.PremiumDatabaseUpgradeChecker") !=
          std::string::npos);
}

TEST_CASE("config_merge module: .rpmsave and .dpkg-dist are found too", "[merge][module]") {
    Host h;
    std::string path = "/etc/default/cloudstack-management";
    // rpm moved the operator's file aside and installed the new one in its place.
    test::write_file(h.local(path + ".rpmsave"), "A=1\nMINE=yes\nB=2\n");
    test::write_file(h.local(path), "A=1\nB=2\nC=3\n");
    run_module(h, "path: " + path + "\nremove_new: true\n");
    CHECK(test::read_file(h.local(path)) == "A=1\nMINE=yes\nB=2\nC=3\n");
    CHECK_FALSE(test::exists(h.local(path + ".rpmsave")));
    test::write_file(h.local(path + ".dpkg-dist"), "A=1\nB=2\nC=4\n");
    Plan plan;
    run_module(h, "path: " + path + "\nprefer: theirs\n", &plan);
    // MINE=yes is a line only ours has; C=3 and C=4 clash, theirs preferred.
    CHECK(test::read_file(h.local(path)) == "A=1\nMINE=yes\nB=2\nC=4\n");
    CHECK(plan.result.get("format").as_string() == "lines");
}

TEST_CASE("merge: an uncommented element takes its comment's place, renamed neighbours keep the order", "[merge][xml]") {
    // Issue 8.4. The operator uncommented FirstFit (<!--adapter .../--> -> <adapter .../>):
    // the merge put the package's comments back above it, so they appeared twice, and
    // left the commented-out line too. And SiteSSO, added right after MD5, landed
    // after PlainText when the package renamed MD5 to SHA256Salted.
    MergeInput in = trio("adapters", ".xml", true);
    MergeResult r = merge_xml(in);
    INFO(r.text);
    CHECK(r.conflicts.empty());
    CHECK(r.text == fixture("adapters/expected.xml"));
    CHECK(std::count(r.carried.begin(), r.carried.end(),
                     "/components/adapters[@key='com.cloud.deploy.DeploymentPlanner']/adapter[@name='FirstFit'] uncommented") == 1);
    check_idempotent(merge_xml, in, r.text);
    // Two-way (no base) too: the uncommented element and its order survive.
    in.base.reset();
    MergeResult two = merge_xml(in);
    INFO(two.text);
    CHECK(two.text.find("<!--adapter name=\"FirstFit\"") == std::string::npos);
    size_t comment = two.text.find("<!-- Uncomment to use it: -->");
    CHECK(comment != std::string::npos);
    CHECK(two.text.find("<!-- Uncomment to use it: -->", comment + 1) == std::string::npos);
    // The " <!-- <element/> --> " style is recognised as well.
    MergeInput spaced = trio("adapters", ".xml", true);
    for (std::string* t : {&*spaced.base, &spaced.theirs}) {
        size_t at = t->find("<!--adapter name=\"FirstFit\" class=\"com.cloud.deploy.FirstFitPlanner\"/-->");
        REQUIRE(at != std::string::npos);
        t->replace(at, 72, "<!-- <adapter name=\"FirstFit\" class=\"com.cloud.deploy.FirstFitPlanner\"/> -->");
    }
    CHECK(merge_xml(spaced).text == fixture("adapters/expected.xml"));
}

TEST_CASE("merge: properties carry the operator's comments with their keys", "[merge]") {
    MergeInput in;
    in.base = "# pool size\nmax=10\n";
    in.ours = "# pool size\n# raised for the 2019 outage -- ops\nmax=50\n\n# our replica\nslave=db2\n";
    in.theirs = "# pool size (connections)\nmax=10\nnew.key=1\n";
    in.filename = "/etc/app/db.properties";
    MergeResult r = merge_properties(in);
    CHECK(r.conflicts.empty());
    CHECK(r.text ==
          "# pool size (connections)\n# raised for the 2019 outage -- ops\nmax=50\nnew.key=1\n# our replica\nslave=db2\n");
    check_idempotent(merge_properties, in, r.text);
    // The package's own comments (old or new) are never carried twice.
    CHECK(merge_properties(in).text.find("# pool size\n") == std::string::npos);
}

TEST_CASE("config_merge module: ours + new + remove_new keeps ours aside and removes new", "[merge][module]") {
    Host h;
    // The operator's file under the old package's name, the new package's live file
    // and its new default shipped beside it.
    test::write_file(h.local("/etc/cloud/agent.conf"), "A=1\nMINE=yes\nB=2\n");
    test::write_file(h.local("/etc/cloudstack/agent.conf"), "A=1\nB=2\n");
    test::write_file(h.local("/etc/cloudstack/agent.conf.new"), "A=1\nB=2\nC=3\n");
    std::string task = "path: /etc/cloudstack/agent.conf\nours: /etc/cloud/agent.conf\n"
                       "new: /etc/cloudstack/agent.conf.new\nremove_new: true\n";
    Plan plan;
    run_module(h, task, &plan);
    std::vector<std::string> targets;
    for (const auto& c : plan.changes) targets.push_back(c.target + ": " + c.summary);
    INFO(join(targets, "\n"));
    CHECK(test::read_file(h.local("/etc/cloudstack/agent.conf")) == "A=1\nMINE=yes\nB=2\nC=3\n");
    CHECK(test::read_file(h.local("/etc/cloud/agent.conf-backup")) == "A=1\nMINE=yes\nB=2\n");
    CHECK_FALSE(test::exists(h.local("/etc/cloud/agent.conf")));
    CHECK_FALSE(test::exists(h.local("/etc/cloudstack/agent.conf.new")));
    REQUIRE(plan.changes.size() == 3);
    CHECK(plan.changes[2].target == "/etc/cloudstack/agent.conf.new");
    // Merged once: nothing left to do.
    Plan again;
    run_module(h, task, &again);
    CHECK_FALSE(again.changed());
}
