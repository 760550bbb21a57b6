#include <catch2/catch.hpp>

#include "engine/util/error.hpp"
#include "engine/value/yaml.hpp"
#include "modules/config_edits.hpp"
#include "modules/formats/apt_sources.hpp"
#include "tests/support/memory_connection.hpp"
#include "tests/support/test_support.hpp"

using namespace upkeep;

namespace {

std::string fixture(const std::string& name) { return test::read_file(std::string(UPKEEP_TEST_FIXTURES) + "/config/" + name); }

std::string list_error(std::string_view text) {
    try {
        apt::ListFile::parse(text, "/etc/apt/sources.list");
    } catch (const UserError& e) {
        return e.mark().to_string() + ": " + e.what();
    } catch (const TaskError& e) {  // a module's failure carries its mark too
        return e.mark().to_string() + ": " + e.what();
    }
    return "no error";
}

std::string deb822_error(std::string_view text) {
    try {
        apt::Deb822File::parse(text, "/etc/apt/sources.list.d/x.sources");
    } catch (const UserError& e) {
        return e.mark().to_string() + ": " + e.what();
    } catch (const TaskError& e) {  // a module's failure carries its mark too
        return e.mark().to_string() + ": " + e.what();
    }
    return "no error";
}

AptRepoEdit present(std::string repo, std::vector<std::string> supersedes = {}, bool deb822 = false) {
    AptRepoEdit e;
    e.repo = std::move(repo);
    e.supersedes = std::move(supersedes);
    e.deb822 = deb822;
    return e;
}

const char* k_seed_old = "deb http://cloudstack.apt-get.eu/ubuntu precise 4.0";
const char* k_seed_new = "deb http://cloudstack.apt-get.eu/ubuntu precise 4.2";

}  // namespace

TEST_CASE("apt: parse and render is byte-identical", "[apt]") {
    for (const char* name : {"sources.list", "cloudstack.list"}) {
        std::string text = fixture(name);
        CHECK(apt::ListFile::parse(text, name).render() == text);
    }
    std::string d = fixture("debian.sources");
    CHECK(apt::Deb822File::parse(d, "debian.sources").render() == d);
    std::string crlf = "deb http://a/ x main\r\n# deb http://b/ y main\r\ndeb [arch=amd64] http://c/ z/";
    CHECK(apt::ListFile::parse(crlf, "c").render() == crlf);
}

TEST_CASE("apt: entries are parsed, disabled lines recognised", "[apt]") {
    auto f = apt::ListFile::parse(fixture("sources.list"), "sources.list");
    using Kind = apt::ListFile::Kind;
    const auto& l = f.lines();
    REQUIRE(l.size() == 17);
    CHECK(l[0].kind == Kind::Disabled);  // a cdrom URI in brackets may hold spaces
    CHECK(l[0].entry.uri == "cdrom:[Ubuntu-Server 12.04.4 LTS _Precise Pangolin_ - Release amd64 (20140204)]/");
    CHECK(l[0].entry.suite == "precise");
    CHECK(l[2].kind == Kind::Comment);
    CHECK(l[4].kind == Kind::Entry);
    CHECK(l[4].entry.render() == "deb http://archive.ubuntu.com/ubuntu/ precise main restricted");
    CHECK(l[12].kind == Kind::Disabled);
    CHECK(l[12].entry.uri == "http://archive.canonical.com/ubuntu");
    CHECK(l[15].entry.options == std::vector<std::pair<std::string, std::string>>{{"arch", "amd64"}, {"trusted", "yes"}});
    CHECK(l[16].entry.components == std::vector<std::string>{"4.0"});
    auto d = apt::Deb822File::parse(fixture("debian.sources"), "debian.sources");
    auto st = d.stanzas();
    REQUIRE(st.size() == 3);
    CHECK(st[0].line == 2);
    CHECK(d.entries(st[0]).size() == 4);
    CHECK(d.entries(st[2])[0].render() == "deb http://cloudstack.apt-get.eu/ubuntu precise 4.0");
}

TEST_CASE("apt: bad lines fail with file, line and column", "[apt]") {
    CHECK(list_error("deb http://a/ x main\ndeb http://cloudstack.apt-get.eu/ubuntu\n") ==
          "/etc/apt/sources.list:2:40: missing suite (distribution) after the URI");
    CHECK(list_error("rpm http://a/ x main\n") == "/etc/apt/sources.list:1:1: unknown source type 'rpm' (expected deb or deb-src)");
    CHECK(list_error("  deb [arch=amd64 http://a/ x main\n") == "/etc/apt/sources.list:1:7: options without a closing ']'");
    CHECK(list_error("deb [trusted] http://a/ x main\n") == "/etc/apt/sources.list:1:6: option 'trusted' is not key=value");
    CHECK(list_error("deb precise main\n") == "/etc/apt/sources.list:1:5: 'precise' is not a URI (like http://host/path)");
    CHECK(list_error("deb http://a/ precise\n") ==
          "/etc/apt/sources.list:1:22: missing component after suite 'precise' (or end an exact path suite with '/')");
    CHECK(list_error("deb http://a/ ./ main\n") ==
          "/etc/apt/sources.list:1:15: an exact path suite ('./', ending in '/') takes no components");
    CHECK(deb822_error("Types: deb\nURIs: http://a/\n") == "/etc/apt/sources.list.d/x.sources:1:1: stanza without a 'Suites' field");
    CHECK(deb822_error("Types: deb\nnot a field\n") ==
          "/etc/apt/sources.list.d/x.sources:2:1: expected 'Field: value' (deb822), a comment or a blank line");
    CHECK(deb822_error("\n  indented\n") == "/etc/apt/sources.list.d/x.sources:2:3: continuation line outside a field");
}

TEST_CASE("apt core: the seed's release move with supersedes, in place", "[apt]") {
    auto out = edit_apt_sources(fixture("cloudstack.list"), present(k_seed_new, {k_seed_old}), "cloudstack.list");
    CHECK(out.content == std::string(k_seed_new) + "\n");
    CHECK(out.msg == "line 1 replaced");
    CHECK(edit_apt_sources(out.content, present(k_seed_new, {k_seed_old}), "c").msg == "source already present");
    // In a bigger file the trailing comment and every other line stay.
    std::string big = fixture("sources.list");
    auto moved = edit_apt_sources(big, present(k_seed_new, {"cloudstack\\.apt-get\\.eu/ubuntu precise 4\\.[01]$|4\\.0 #"}), "s");
    std::string want = big;
    want.replace(want.find("precise 4.0 # CloudStack"), 11, "precise 4.2");
    CHECK(moved.content == want);
    // Without supersedes the line is added (Ansible's behaviour); a second superseded line is commented out.
    auto both = edit_apt_sources(std::string(k_seed_old) + "\n" + k_seed_new + "\n", present(k_seed_new, {k_seed_old}), "c");
    CHECK(both.content == std::string("# ") + k_seed_old + "\n" + k_seed_new + "\n");
    CHECK(edit_apt_sources(fixture("cloudstack.list"), present(k_seed_new), "c").content ==
          std::string(k_seed_old) + "\n" + k_seed_new + "\n");
}

TEST_CASE("apt core: present, re-enable, absent and equivalence", "[apt]") {
    std::string src = fixture("sources.list");
    CHECK(edit_apt_sources(src, present("deb http://archive.ubuntu.com/ubuntu precise restricted main"), "s").content == src);
    CHECK(edit_apt_sources(src, present("deb [trusted=yes arch=amd64] http://security.ubuntu.com/ubuntu/ precise-security main restricted"), "s").content == src);
    auto enabled = edit_apt_sources(src, present("deb http://archive.canonical.com/ubuntu precise partner"), "s");
    CHECK(enabled.msg == "line 13 enabled again");
    CHECK(enabled.content.find("\ndeb http://archive.canonical.com/ubuntu precise partner\n") != std::string::npos);
    AptRepoEdit gone = present("deb-src http://archive.ubuntu.com/ubuntu/ precise main restricted");
    gone.absent = true;
    auto removed = edit_apt_sources(src, gone, "s");
    CHECK(removed.content.find("deb-src http://archive.ubuntu.com/ubuntu/ precise main restricted\n") == std::string::npos);
    CHECK(removed.content.size() == src.size() - std::string("deb-src http://archive.ubuntu.com/ubuntu/ precise main restricted\n").size());
    CHECK(edit_apt_sources(removed.content, gone, "s").content == removed.content);
    auto added = edit_apt_sources(std::string("deb http://a/ x main"), present("deb http://b/ y main"), "s");
    CHECK(added.content == "deb http://a/ x main\ndeb http://b/ y main\n");
    CHECK(edit_apt_sources(std::nullopt, present("deb http://b/ y main"), "s").content == "deb http://b/ y main\n");
    CHECK(apt_default_filename(k_seed_old) == "cloudstack_apt_get_eu_ubuntu");
    CHECK(apt_default_filename("deb [arch=amd64] https://user:pw@download.docker.com/linux/ubuntu focal stable") ==
          "download_docker_com_linux_ubuntu");
}

TEST_CASE("apt core: deb822 .sources files", "[apt]") {
    std::string d = fixture("debian.sources");
    auto moved = edit_apt_sources(d, present(k_seed_new, {k_seed_old}, true), "d.sources");
    std::string want = d;
    want.replace(want.find("Components: 4.0"), 15, "Components: 4.2");
    CHECK(moved.content == want);
    CHECK(moved.msg == "stanza at line 15 rewritten");
    CHECK(edit_apt_sources(moved.content, present(k_seed_new, {k_seed_old}, true), "d").msg == "source already present");
    CHECK(edit_apt_sources(d, present("deb-src http://deb.debian.org/debian bookworm-updates main contrib non-free-firmware", {}, true), "d").content == d);
    auto added = edit_apt_sources(d, present("deb [signed-by=/k.gpg arch=amd64,arm64] http://x.example/ stable main", {}, true), "d");
    CHECK(added.content == d + "\nTypes: deb\nURIs: http://x.example/\nSuites: stable\nComponents: main\nSigned-By: /k.gpg\nArchitectures: amd64 arm64\n");
    CHECK(edit_apt_sources(added.content, present("deb [signed-by=/k.gpg arch=amd64,arm64] http://x.example/ stable main", {}, true), "d").content == added.content);
    AptRepoEdit gone = present(k_seed_old, {}, true);
    gone.absent = true;
    auto removed = edit_apt_sources(d, gone, "d");
    CHECK(removed.content == d.substr(0, d.find("\n# CloudStack")) );
    AptRepoEdit multi = present("deb http://deb.debian.org/debian bookworm main contrib non-free-firmware", {}, true);
    multi.absent = true;
    CHECK_THROWS_AS(edit_apt_sources(d, multi, "d"), TaskError);
    auto disabled = edit_apt_sources(std::string("Types: deb\nURIs: http://a/\nSuites: x\nComponents: main\nEnabled: no\n"),
                                     present("deb http://a/ x main", {}, true), "d");
    CHECK(disabled.content == "Types: deb\nURIs: http://a/\nSuites: x\nComponents: main\nEnabled: yes\n");
}

TEST_CASE("apt_repository module: dry run, apply, update_cache only on change", "[apt][modules]") {
    test::MemoryConnection conn;
    conn.files["/etc/apt/sources.list.d/cloudstack.list"] = {fixture("cloudstack.list")};
    Value a = parse_yaml(std::string("repo: ") + k_seed_new + "\nsupersedes: " + k_seed_old + "\nfilename: cloudstack\n", "play.yml");
    auto dry = test::run_module(conn, "apt_repository", a, true);
    REQUIRE(dry.plan.changes.size() == 2);
    CHECK(dry.plan.changes[0].before == fixture("cloudstack.list"));
    CHECK(dry.plan.changes[0].after == std::string(k_seed_new) + "\n");
    CHECK(dry.plan.changes[1].summary == "would run apt-get update");
    CHECK(conn.commands.empty());
    auto run = test::run_module(conn, "apt_repository", a);
    CHECK(conn.commands == std::vector<std::string>{"apt-get update"});
    CHECK(conn.files["/etc/apt/sources.list.d/cloudstack.list"].content == std::string(k_seed_new) + "\n");
    auto again = test::run_module(conn, "apt_repository", a);
    CHECK_FALSE(again.plan.changed());
    CHECK(conn.commands.size() == 1);
    // Default file name, deb822 target, absent, mode.
    auto def = test::run_module(conn, "apt_repository", parse_yaml("repo: deb http://ppa.example.org/x/ubuntu precise main\nupdate_cache: no\nmode: '0600'\n", "p"));
    CHECK(conn.files["/etc/apt/sources.list.d/ppa_example_org_x_ubuntu.list"].content == "deb http://ppa.example.org/x/ubuntu precise main\n");
    CHECK(conn.files["/etc/apt/sources.list.d/ppa_example_org_x_ubuntu.list"].mode == 0600);
    CHECK_FALSE(test::run_module(conn, "apt_repository", parse_yaml("repo: deb http://ppa.example.org/x/ubuntu precise main\nupdate_cache: no\nmode: '0600'\n", "p")).plan.changed());
    test::run_module(conn, "apt_repository", parse_yaml("repo: deb http://ppa.example.org/x/ubuntu precise main\nstate: absent\nupdate_cache: no\n", "p"));
    CHECK(conn.files["/etc/apt/sources.list.d/ppa_example_org_x_ubuntu.list"].content == "");
    test::run_module(conn, "apt_repository", parse_yaml("repo: deb http://x/ y main\nfilename: x.sources\nupdate_cache: no\n", "p"));
    CHECK(conn.files["/etc/apt/sources.list.d/x.sources"].content == "Types: deb\nURIs: http://x/\nSuites: y\nComponents: main\n");
    // A bad repo argument points at the playbook; a bad file at the file; nothing is written.
    int writes = conn.writes;
    try {
        test::run_module(conn, "apt_repository", parse_yaml("repo: deb http://x/\n", "play.yml"));
        FAIL("no error");
    } catch (const UserError& e) {
        CHECK(e.mark().to_string() == "play.yml:1:20");
        CHECK(std::string(e.what()) == "apt_repository: repo: missing suite (distribution) after the URI");
    } catch (const TaskError& e) {  // a module's failure carries its mark too
        CHECK(e.mark().to_string() == "play.yml:1:20");
        CHECK(std::string(e.what()) == "apt_repository: repo: missing suite (distribution) after the URI");
    }
    conn.files["/etc/apt/sources.list.d/bad.list"] = {"deb http://ok/ x main\ndeb http://cloudstack.apt-get.eu/ubuntu\n"};
    try {
        test::run_module(conn, "apt_repository", parse_yaml("repo: deb http://x/ y main\nfilename: bad\n", "p"));
        FAIL("no error");
    } catch (const UserError& e) {
        CHECK(e.mark().to_string() == "/etc/apt/sources.list.d/bad.list:2:40");
    } catch (const TaskError& e) {  // a module's failure carries its mark too
        CHECK(e.mark().to_string() == "/etc/apt/sources.list.d/bad.list:2:40");
    }
    CHECK(conn.writes == writes);
}

TEST_CASE("deb822: a stanza appended after a line ending in a lone CR is a stanza of its own (found by the fuzzer)",
          "[apt]") {
    using apt::Deb822File;
    using apt::SourceEntry;
    std::string text = "Types: deb\nURIs: http://deb.debian.org/debian\nSuites: bookworm\r";
    Deb822File d = Deb822File::parse(text, "x.sources");
    SourceEntry e{"deb", {}, "http://mirror.example/", "stable", {"main"}};
    d.append(e);
    Deb822File again = Deb822File::parse(d.render(), "x.sources");
    auto st = again.stanzas();
    REQUIRE(st.size() == 2);
    REQUIRE(again.entries(st.back()).size() == 1);
    CHECK(again.entries(st.back())[0].same_as(e));
    // The operator's lines are untouched.
    CHECK(d.render().substr(0, text.size()) == text);
}
