// End-to-end runs of the lossless config-file modules through a fake host
// (MemoryConnection): dry-run diff, apply, idempotence, backup, attributes,
// errors leaving the file untouched, secrets masked.
#include <catch2/catch.hpp>

#include "engine/util/error.hpp"
#include "engine/value/yaml.hpp"
#include "tests/support/memory_connection.hpp"
#include "tests/support/test_support.hpp"

using namespace upkeep;
using test::MemoryConnection;
using test::run_module;

namespace {

std::string fixture(const std::string& name) { return test::read_file(std::string(UPKEEP_TEST_FIXTURES) + "/config/" + name); }

Value args(const std::string& yaml) { return parse_yaml(yaml, "play.yml"); }

// Check, apply, then check again: the second run must be a no-op. Returns the first plan.
Plan converge(MemoryConnection& conn, const std::string& module, const Value& a) {
    auto first = run_module(conn, module, a);
    auto second = run_module(conn, module, a);
    INFO(module << " second run: " << second.plan.msg);
    CHECK_FALSE(second.plan.changed());
    return first.plan;
}

std::string user_error(MemoryConnection& conn, const std::string& module, const Value& a) {
    try {
        run_module(conn, module, a);
    } catch (const UserError& e) {
        return e.mark().to_string() + ": " + e.what();
    } catch (const TaskError& e) {  // a module's failure carries its mark too
        return e.mark().to_string() + ": " + e.what();
    }
    return "no error";
}

}  // namespace

TEST_CASE("properties module: seed steps through check and apply", "[properties][modules]") {
    MemoryConnection conn;
    conn.files["/etc/cloudstack/agent/agent.properties"] = {fixture("agent.properties"), 0640, "cloud", "cloud"};
    conn.files["/etc/cloudstack/agent/environment.properties"] = {"paths.pid=/var/run\n"};
    Value rename = args(
        "path: /etc/cloudstack/agent/agent.properties\n"
        "regexp: '^com\\.cloud\\.agent\\.resource\\.computing\\.LibvirtComputingResource$'\n"
        "replace: com.cloud.hypervisor.kvm.resource.LibvirtComputingResource\nbackup: true\n");
    auto dry = run_module(conn, "properties", rename, true);
    REQUIRE(dry.plan.changes.size() == 1);
    CHECK(dry.plan.changes[0].before == fixture("agent.properties"));
    CHECK(dry.plan.changes[0].after->find("resource=com.cloud.hypervisor.kvm.resource.LibvirtComputingResource\n") !=
          std::string::npos);
    CHECK(conn.writes == 0);
    Plan p = converge(conn, "properties", rename);
    CHECK(p.msg == "1 value rewritten by regexp");
    const auto& f = conn.files["/etc/cloudstack/agent/agent.properties"];
    CHECK(f.mode == 0640);
    CHECK(f.owner == "cloud");
    CHECK(conn.files.count("/etc/cloudstack/agent/agent.properties.1234.2024-01-01@00:00:00~") == 1);

    Value ensure = args(
        "path: /etc/cloudstack/agent/environment.properties\nkey: paths.script\n"
        "value: /usr/share/cloudstack-common\nonly_if_absent: true\nmode: '0600'\n");
    Plan e = converge(conn, "properties", ensure);
    CHECK(e.msg == "key 'paths.script' added");
    CHECK(conn.files["/etc/cloudstack/agent/environment.properties"].content ==
          "paths.pid=/var/run\npaths.script=/usr/share/cloudstack-common\n");
    CHECK(conn.files["/etc/cloudstack/agent/environment.properties"].mode == 0600);
}

TEST_CASE("properties module: every option is idempotent", "[properties][modules]") {
    MemoryConnection conn;
    conn.files["/p"] = {fixture("tricky.properties")};
    for (const char* a : {"key: multi\nvalue: one line now", "key: 'new key'\nvalue: ' spaced'", "key: dup\nstate: absent",
                          "key: bare.key\nvalue: x", "regexp: 'value'\nreplace: 'VALUE'", "key: url\nregexp: '3306'\nreplace: '3307'",
                          "key: gone\nvalue: x\nonly_if_absent: true",
                          "key: escapes\nvalue: \"\\t\\u00e9\"", "key: x\nvalue: y\nowner: app\ngroup: app"}) {
        INFO(a);
        std::string before = conn.files["/p"].content;
        Plan p = converge(conn, "properties", args(std::string("path: /p\n") + a));
        CHECK(p.changed());
        if (p.changed() && p.changes[0].before) CHECK(*p.changes[0].before == before);
    }
    CHECK(conn.files["/p"].owner == "app");
    // only_if_absent never changes an existing value.
    CHECK_FALSE(run_module(conn, "properties", args("path: /p\nkey: colon.sep\nvalue: other\nonly_if_absent: true")).plan.changed());
}

TEST_CASE("properties module: ENC() values never show in diffs or messages", "[properties][modules]") {
    MemoryConnection conn;
    conn.files["/etc/cloudstack/management/db.properties"] = {fixture("db.properties")};
    Value a = args("path: /etc/cloudstack/management/db.properties\nkey: db.cloud.password\nvalue: ENC(newSecret==)\n");
    auto r = run_module(conn, "properties", a);
    REQUIRE(r.plan.changes.size() == 1);
    const Change& c = r.plan.changes[0];
    CHECK(c.before->find("vlu4Ls6e0XzZbiN2VpQcag") == std::string::npos);
    CHECK(c.after->find("newSecret") == std::string::npos);
    CHECK(c.after->find("db.cloud.password=ENC(********)") != std::string::npos);
    CHECK(c.secret);  // the change hides entirely inside the masked value
    CHECK(r.plan.msg.find("newSecret") == std::string::npos);
    CHECK(conn.files["/etc/cloudstack/management/db.properties"].content.find("db.cloud.password=ENC(newSecret==)\n") !=
          std::string::npos);
    auto plain = run_module(conn, "properties", args("path: /etc/cloudstack/management/db.properties\nkey: db.cloud.port\nvalue: '3307'\n"));
    CHECK_FALSE(plain.plan.changes[0].secret);
    CHECK(plain.plan.changes[0].after->find("db.cloud.port=3307") != std::string::npos);
}

TEST_CASE("properties module: bad files and arguments fail clearly, file untouched", "[properties][modules]") {
    MemoryConnection conn;
    conn.files["/bad.properties"] = {"a=1\nb=2\\"};
    CHECK(user_error(conn, "properties", args("path: /bad.properties\nkey: a\nvalue: '2'\n")) ==
          "/bad.properties:2:4: line continuation (a trailing backslash) at the end of the file");
    CHECK(conn.files["/bad.properties"].content == "a=1\nb=2\\");
    CHECK(conn.writes == 0);
    CHECK(user_error(conn, "properties", args("path: /x\nstate: absent\nregexp: a\n")) ==
          "play.yml:1:1: properties: state=absent needs key");
    CHECK_THROWS_AS(run_module(conn, "properties", args("path: /missing\nkey: a\nvalue: b\n")), TaskError);
    auto created = run_module(conn, "properties", args("path: /missing\nkey: a\nvalue: b\ncreate: true\n"));
    CHECK(conn.files["/missing"].content == "a=b\n");
    CHECK_FALSE(run_module(conn, "properties", args("path: /nope\nkey: a\nstate: absent\n")).plan.changed());
}

TEST_CASE("ini_file module: check, apply, idempotence and errors", "[ini][modules]") {
    MemoryConnection conn;
    conn.files["/etc/yum.repos.d/cloudstack.repo"] = {fixture("cloudstack.repo")};
    Value a = args(
        "path: /etc/yum.repos.d/cloudstack.repo\nsection: apache-cloudstack\noption: baseurl\n"
        "value: http://cloudstack.apt-get.eu/rhel/4.2/\nno_extra_spaces: true\n");
    Plan p = converge(conn, "ini_file", a);
    CHECK(p.msg == "option 'baseurl' changed in section [apache-cloudstack]");
    std::string want = fixture("cloudstack.repo");
    want.replace(want.find("4.0"), 3, "4.2");
    CHECK(conn.files["/etc/yum.repos.d/cloudstack.repo"].content == want);
    for (const char* extra : {"section: apache-cloudstack\noption: gpgkey\nvalues: [k1, k2]",
                              "section: apache-cloudstack\noption: gpgkey\nvalues: [k2]\nexclusive: false",
                              "section: apache-cloudstack\noption: gpgkey\nstate: absent",
                              "section: other\noption: x\nvalue: '1'", "section: other\nstate: absent",
                              "option: top\nvalue: '1'", "section: apache-cloudstack\noption: enabled\nvalue: '1'\nmode: '0600'",
                              "section: flags\noption: bare\nallow_no_value: true"}) {
        INFO(extra);
        converge(conn, "ini_file", args(std::string("path: /etc/yum.repos.d/cloudstack.repo\n") + extra));
    }
    CHECK(conn.files["/etc/yum.repos.d/cloudstack.repo"].mode == 0600);
    CHECK(conn.files["/etc/yum.repos.d/cloudstack.repo"].content ==
          "top = 1\n[apache-cloudstack]\nname=Apache CloudStack\nbaseurl=http://cloudstack.apt-get.eu/rhel/4.2/\n"
          "enabled=1\ngpgcheck=0\n\n[flags]\nbare\n");
    // A bare key needs allow_no_value to be read at all.
    CHECK(user_error(conn, "ini_file", args("path: /etc/yum.repos.d/cloudstack.repo\nsection: flags\noption: x\nvalue: y\n")) ==
          "/etc/yum.repos.d/cloudstack.repo:9:1: expected 'key = value', a [section] header or a comment");
    conn.files["/bad.ini"] = {"[a]\nx=1\nnot an option\n"};
    CHECK(user_error(conn, "ini_file", args("path: /bad.ini\nsection: a\noption: x\nvalue: '2'\n")) ==
          "/bad.ini:3:1: expected 'key = value', a [section] header or a comment");
    CHECK(conn.files["/bad.ini"].content == "[a]\nx=1\nnot an option\n");
    auto created = run_module(conn, "ini_file", args("path: /new.ini\nsection: s\noption: k\nvalue: v\n"));
    CHECK(conn.files["/new.ini"].content == "[s]\nk = v\n");
}

TEST_CASE("yum_repository module: seed step and lossless edits", "[yum][modules]") {
    MemoryConnection conn;
    conn.files["/etc/yum.repos.d/cloudstack.repo"] = {"# CloudStack packages\n" + fixture("cloudstack.repo") +
                                                      "# keep me\nproxy=_none_\n"};
    std::string original = conn.files["/etc/yum.repos.d/cloudstack.repo"].content;
    Value seed = args("name: apache-cloudstack\nfile: cloudstack\nbaseurl: http://cloudstack.apt-get.eu/rhel/4.2/\n"
                      "enabled: yes\ngpgcheck: no\n");
    auto dry = run_module(conn, "yum_repository", seed, true);
    REQUIRE(dry.plan.changes.size() == 1);
    CHECK(dry.plan.changes[0].target == "/etc/yum.repos.d/cloudstack.repo");
    std::string want = original;
    want.replace(want.find("4.0"), 3, "4.2");
    CHECK(dry.plan.changes[0].after == want);
    Plan p = converge(conn, "yum_repository", seed);
    CHECK(p.msg == "repository [apache-cloudstack]: baseurl changed");
    CHECK(conn.files["/etc/yum.repos.d/cloudstack.repo"].content == want);
    // enabled=yes already means enabled for dnf: not rewritten.
    conn.files["/etc/yum.repos.d/cloudstack.repo"].content = "[apache-cloudstack]\nenabled = yes\nbaseurl=a, b\n";
    Value same = args("name: apache-cloudstack\nfile: cloudstack\nenabled: true\nbaseurl: [a, b]\n");
    CHECK_FALSE(run_module(conn, "yum_repository", same).plan.changed());
    // New repository in a new file under reposdir, with list values.
    Value fresh = args("name: ovirt-3.4\nreposdir: /repos\ndescription: oVirt 3.4\n"
                       "baseurl: [http://resources.ovirt.org/pub/ovirt-3.4/rpm/el6/, http://mirror/ovirt-3.4/]\n"
                       "gpgkey: https://resources.ovirt.org/pub/keys/RPM-GPG-ovirt\ngpgcheck: true\npriority: 10\n");
    Plan f = converge(conn, "yum_repository", fresh);
    CHECK(f.msg == "repository [ovirt-3.4] added");
    CHECK(conn.files["/repos/ovirt-3.4.repo"].content ==
          "[ovirt-3.4]\nname=oVirt 3.4\nbaseurl=http://resources.ovirt.org/pub/ovirt-3.4/rpm/el6/\n"
          "        http://mirror/ovirt-3.4/\ngpgcheck=1\ngpgkey=https://resources.ovirt.org/pub/keys/RPM-GPG-ovirt\n"
          "priority=10\n");
    for (const char* extra : {"exclude: [kernel*, ovirt-engine-3.3*]", "sslverify: false", "cost: 500",
                              "skip_if_unavailable: true", "module_hotfixes: true", "proxy: http://proxy:3128",
                              "includepkgs: [ovirt*]", "mirrorlist: http://mirrors/list", "enabled: false",
                              "metalink: http://meta/link", "description: Renamed"}) {
        INFO(extra);
        converge(conn, "yum_repository", args(std::string("name: ovirt-3.4\nreposdir: /repos\n") + extra));
    }
    // A second repository in the same file, then removing both.
    converge(conn, "yum_repository", args("name: second\nfile: ovirt-3.4\nreposdir: /repos\nbaseurl: http://s/\n"));
    converge(conn, "yum_repository", args("name: ovirt-3.4\nreposdir: /repos\nstate: absent\n"));
    CHECK(conn.files["/repos/ovirt-3.4.repo"].content == "[second]\nname=second\nbaseurl=http://s/\n");
    Plan gone = converge(conn, "yum_repository", args("name: second\nfile: ovirt-3.4\nreposdir: /repos\nstate: absent\n"));
    CHECK(gone.changes[0].summary == "repository [second] removed, file removed (no section left)");
    CHECK(conn.files.count("/repos/ovirt-3.4.repo") == 0);
}

TEST_CASE("yum_repository module: errors", "[yum][modules]") {
    MemoryConnection conn;
    conn.files["/etc/yum.repos.d/bad.repo"] = {"# c\nbaseurl=http://x/\n[a]\n"};
    CHECK(user_error(conn, "yum_repository", args("name: a\nfile: bad\nenabled: true\n")) ==
          "/etc/yum.repos.d/bad.repo:2:1: key 'baseurl' outside any section (before the first [section] header)");
    CHECK(conn.writes == 0);
    CHECK(user_error(conn, "yum_repository", args("name: newrepo\nenabled: true\n")) ==
          "play.yml:1:1: yum_repository: new repository 'newrepo' needs baseurl, mirrorlist or metalink");
}
