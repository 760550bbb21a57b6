#include <catch2/catch.hpp>

#include "engine/util/error.hpp"
#include "modules/config_edits.hpp"
#include "modules/formats/ini_doc.hpp"
#include "tests/support/test_support.hpp"

using namespace upkeep;
using ini::Document;

namespace {

std::string fixture(const std::string& name) { return test::read_file(std::string(UPKEEP_TEST_FIXTURES) + "/config/" + name); }

std::string error_of(std::string_view text, ini::ParseOptions po = {}) {
    try {
        Document::parse(text, "/etc/x.ini", po);
    } catch (const UserError& e) {
        return e.mark().to_string() + ": " + e.what();
    }
    return "no error";
}

IniEdit set_edit(std::optional<std::string> section, std::string option, std::vector<std::string> values) {
    IniEdit e;
    e.section = std::move(section);
    e.option = std::move(option);
    e.values = std::move(values);
    e.values_given = true;
    return e;
}

const char* k_crlf = "; global comment\r\ntop = 1\r\n\r\n[main]\r\nkey=value\r\nother = x\r\n\r\n# trailing comment\r\n[last]\r\nz=26";

}  // namespace

TEST_CASE("ini: parse and render is byte-identical", "[ini]") {
    for (const char* name : {"cloudstack.repo", "ovirt.repo"}) {
        std::string text = fixture(name);
        CHECK(Document::parse(text, name).render() == text);
    }
    CHECK(Document::parse(k_crlf, "c").render() == k_crlf);
    CHECK(Document::parse("", "e").render() == "");
}

TEST_CASE("ini: values, sections and continuation lines", "[ini]") {
    auto doc = Document::parse(fixture("ovirt.repo"), "ovirt.repo");
    CHECK(doc.section_names() == std::vector<std::string>{"ovirt-stable", "ovirt-3.3-stable", "ovirt-3.3-prerelease",
                                                          "ovirt-beta", "ovirt-nightly", "glusterfs-epel"});
    CHECK(doc.get(std::string("ovirt-beta"), "enabled") == "0");
    CHECK(doc.get(std::string("ovirt-beta"), "gpgkey") == std::nullopt);
    CHECK(doc.get(std::string("ovirt-nightly"), "baseurl") ==
          "http://resources.ovirt.org/releases/nightly/rpm/EL/$releasever/\n"
          "http://mirror.example.org/ovirt/nightly/rpm/EL/$releasever/");
    CHECK(doc.option_names(std::string("ovirt-stable")) ==
          std::vector<std::string>{"name", "baseurl", "enabled", "skip_if_unavailable", "gpgcheck"});
    auto crlf = Document::parse(k_crlf, "c");
    CHECK(crlf.get(std::nullopt, "top") == "1");
    CHECK(crlf.get(std::string("last"), "z") == "26");
}

TEST_CASE("ini: set edits only the value and keeps the spacing", "[ini]") {
    auto doc = Document::parse(k_crlf, "c");
    ini::Format fmt;
    CHECK(doc.set(std::string("main"), "other", "y", fmt));
    CHECK(doc.set(std::nullopt, "top", "2", fmt));
    CHECK_FALSE(doc.set(std::string("main"), "key", "value", fmt));
    CHECK(doc.render() ==
          "; global comment\r\ntop = 2\r\n\r\n[main]\r\nkey=value\r\nother = y\r\n\r\n# trailing comment\r\n[last]\r\nz=26");
}

TEST_CASE("ini: new options go after the section's last option, new sections at the end", "[ini]") {
    auto doc = Document::parse(k_crlf, "c");
    ini::Format fmt;
    CHECK(doc.set(std::string("main"), "added", "1", fmt));
    CHECK(doc.set(std::string("last"), "y", "25", fmt));
    CHECK(doc.set(std::string("new"), "n", "v", fmt));
    CHECK(doc.render() ==
          "; global comment\r\ntop = 1\r\n\r\n[main]\r\nkey=value\r\nother = x\r\nadded = 1\r\n\r\n# trailing comment\r\n"
          "[last]\r\nz=26\r\ny = 25\r\n\r\n[new]\r\nn = v\r\n");
    auto empty_section = Document::parse("[a]\n\n[b]\nx=1\n", "t");
    CHECK(empty_section.set(std::string("a"), "k", "v", fmt));
    CHECK(empty_section.render() == "[a]\nk = v\n\n[b]\nx=1\n");
}

TEST_CASE("ini: multi-line values are written as continuation lines", "[ini]") {
    auto doc = Document::parse(fixture("ovirt.repo"), "ovirt.repo");
    ini::Format fmt;
    fmt.assignment = "=";
    CHECK(doc.set(std::string("ovirt-stable"), "baseurl", "http://a/\nhttp://b/", fmt));
    CHECK(doc.set(std::string("ovirt-nightly"), "baseurl", "http://only/", fmt));
    std::string text = doc.render();
    CHECK(text.find("baseurl=http://a/\n        http://b/\nenabled=1\n") != std::string::npos);
    CHECK(text.find("baseurl=http://only/\nenabled=0\n") != std::string::npos);
    auto again = Document::parse(text, "ovirt.repo");
    CHECK(again.get(std::string("ovirt-stable"), "baseurl") == "http://a/\nhttp://b/");
    CHECK(again.get(std::string("ovirt-nightly"), "baseurl") == "http://only/");
    CHECK_FALSE(again.set(std::string("ovirt-stable"), "baseurl", "http://a/\nhttp://b/", fmt));
}

TEST_CASE("ini: remove a section keeps the next section's comment", "[ini]") {
    auto doc = Document::parse(fixture("ovirt.repo"), "ovirt.repo");
    CHECK(doc.remove_section("ovirt-nightly"));
    std::string text = doc.render();
    CHECK(text.find("[ovirt-nightly]") == std::string::npos);
    CHECK(text.find("# gpgkey=file:///etc/pki/rpm-gpg/RPM-GPG-KEY-ovirt\n\n; glusterfs for oVirt\n[glusterfs-epel]") !=
          std::string::npos);
    CHECK_FALSE(doc.remove_section("ovirt-nightly"));
}

TEST_CASE("ini: errors name file, line and column", "[ini]") {
    CHECK(error_of("[a]\nx=1\n\n  [broken\n") == "/etc/x.ini:4:3: section header without a closing ']'");
    CHECK(error_of("[a]\njust words\n") == "/etc/x.ini:2:1: expected 'key = value', a [section] header or a comment");
    CHECK(error_of("[a]\njust words\n", {true, true}) == "no error");
    CHECK(error_of("# c\nkey=1\n[a]\n", {false, false}) ==
          "/etc/x.ini:2:1: key 'key' outside any section (before the first [section] header)");
    CHECK(error_of("[]\n") == "/etc/x.ini:1:1: empty section name");
    CHECK(error_of("[a]\n = v\n") == "/etc/x.ini:2:2: option without a name");
}

TEST_CASE("ini_file core: Ansible's values algorithm", "[ini]") {
    std::string text = "[s]\nk = a\nother = 1\nk = b\nk = c\n";
    auto keep = edit_ini(text, set_edit(std::string("s"), "k", {"c", "a", "d"}), "f");
    CHECK(keep.content == "[s]\nk = a\nother = 1\nk = d\nk = c\n");
    CHECK(edit_ini(keep.content, set_edit(std::string("s"), "k", {"c", "a", "d"}), "f").content == keep.content);
    auto one = edit_ini(text, set_edit(std::string("s"), "k", {"b"}), "f");
    CHECK(one.content == "[s]\nother = 1\nk = b\n");
    IniEdit non_exclusive = set_edit(std::string("s"), "k", {"z"});
    non_exclusive.exclusive = false;
    CHECK(edit_ini(text, non_exclusive, "f").content == "[s]\nk = z\nother = 1\nk = b\nk = c\n");
    IniEdit rm = set_edit(std::string("s"), "k", {"b"});
    rm.absent = true;
    CHECK(edit_ini(text, rm, "f").content == "[s]\nk = a\nother = 1\nk = c\n");
    rm.values_given = false;
    CHECK(edit_ini(text, rm, "f").content == "[s]\nother = 1\n");
    IniEdit section;
    section.section = "s";
    section.absent = true;
    CHECK(edit_ini(text, section, "f").content == "");
    IniEdit bare;
    bare.section = "mysqld";
    bare.option = "skip-name-resolve";
    bare.allow_no_value = true;
    auto b = edit_ini(std::string("[mysqld]\nport = 3306\n"), bare, "my.cnf");
    CHECK(b.content == "[mysqld]\nport = 3306\nskip-name-resolve\n");
    CHECK(edit_ini(b.content, bare, "my.cnf").content == b.content);
    IniEdit spaces = set_edit(std::nullopt, "global", {"1"});
    spaces.no_extra_spaces = true;
    CHECK(edit_ini(std::string("# head\n[a]\nx=1"), spaces, "f").content == "global=1\n# head\n[a]\nx=1");
    CHECK(edit_ini(std::string("[a]\nx=1"), set_edit(std::string("a"), "y", {"2"}), "f").content == "[a]\nx=1\ny = 2\n");
    CHECK(edit_ini(std::nullopt, set_edit(std::string("a"), "y", {"2"}), "f").content == "[a]\ny = 2\n");
    CHECK(edit_ini(std::string("[a]\nx ="), set_edit(std::string("a"), "x", {"2"}), "f").content == "[a]\nx = 2");
}

TEST_CASE("ini_file core: idempotent for every option of every fixture", "[ini]") {
    for (const char* name : {"cloudstack.repo", "ovirt.repo"}) {
        std::string text = fixture(name);
        auto doc = Document::parse(text, name);
        for (const auto& section : doc.section_names()) {
            for (const auto& option : doc.option_names(section)) {
                for (bool spaces : {false, true}) {
                    for (const std::vector<std::string>& values :
                         {std::vector<std::string>{"new value"}, std::vector<std::string>{"x", "y"},
                          std::vector<std::string>{*doc.get(section, option)}}) {
                        INFO(name << " [" << section << "] " << option);
                        IniEdit e = set_edit(section, option, values);
                        e.no_extra_spaces = spaces;
                        auto first = edit_ini(text, e, name);
                        auto second = edit_ini(first.content, e, name);
                        CHECK(second.content == first.content);
                        auto d = Document::parse(first.content, name);
                        std::vector<std::optional<std::string>> want(values.begin(), values.end());
                        auto got = d.get_all(section, option);
                        std::sort(got.begin(), got.end());
                        std::sort(want.begin(), want.end());
                        CHECK(got == want);
                        // Other sections are untouched.
                        for (const auto& other : doc.section_names())
                            if (other != section)
                                for (const auto& o : doc.option_names(other)) CHECK(d.get(other, o) == doc.get(other, o));
                    }
                }
                IniEdit rm = set_edit(section, option, {});
                rm.values_given = false;
                rm.absent = true;
                auto gone = edit_ini(text, rm, name);
                CHECK(edit_ini(gone.content, rm, name).content == gone.content);
                CHECK(Document::parse(gone.content, name).get_all(section, option).empty());
            }
        }
    }
}
