// Cross-checks .repo files written by yum_repository against Python's
// configparser configured the way dnf-era tooling reads them
// (interpolation=None, strict=False): every section and value must match.
#include <catch2/catch.hpp>

#include "engine/value/yaml.hpp"
#include "modules/config_edits.hpp"
#include "modules/formats/ini_doc.hpp"
#include "tests/support/test_support.hpp"

using namespace upkeep;

namespace {

const char* k_py = R"(import configparser, json, sys
out = {}
for f in sys.argv[1:]:
    c = configparser.ConfigParser(interpolation=None, strict=False)
    c.read(f, encoding='utf-8')
    out[f] = {s: dict(c.items(s)) for s in c.sections()}
print(json.dumps(out))
)";

std::string fixture(const std::string& name) { return test::read_file(std::string(UPKEEP_TEST_FIXTURES) + "/config/" + name); }

}  // namespace

TEST_CASE("yum_repository: results read the same with Python's configparser", "[python]") {
    test::TempDir tmp;
    std::vector<std::pair<std::string, std::string>> corpus;
    corpus.push_back({"cloudstack", fixture("cloudstack.repo")});
    corpus.push_back({"ovirt", fixture("ovirt.repo")});
    YumRepoEdit seed;
    seed.name = "apache-cloudstack";
    seed.keys = {{"baseurl", "http://cloudstack.apt-get.eu/rhel/4.2/"}};
    corpus.push_back({"seed", edit_yum_repo(fixture("cloudstack.repo"), seed, "c").content});
    YumRepoEdit lists;
    lists.name = "ovirt-beta";
    lists.keys = {{"baseurl", "http://a.example/ovirt/\nhttp://b.example/ovirt/"},
                  {"gpgkey", "file:///etc/pki/k1\nfile:///etc/pki/k2"},
                  {"enabled", "1"},
                  {"exclude", "kernel* ovirt-engine-3.2*"},
                  {"priority", "10"}};
    corpus.push_back({"lists", edit_yum_repo(fixture("ovirt.repo"), lists, "o").content});
    YumRepoEdit collapse;
    collapse.name = "ovirt-nightly";
    collapse.keys = {{"baseurl", "http://single/"}, {"name", "Nightly, 100% untested"}};
    corpus.push_back({"collapse", edit_yum_repo(fixture("ovirt.repo"), collapse, "o").content});
    YumRepoEdit fresh;
    fresh.name = "new-repo";
    fresh.keys = {{"name", "New"}, {"baseurl", "http://x/\nhttp://y/"}, {"gpgcheck", "0"}};
    corpus.push_back({"fresh", edit_yum_repo(std::nullopt, fresh, "n").content});
    corpus.push_back({"fresh-crlf", edit_yum_repo(std::string("[a]\r\nname=A\r\nbaseurl=http://a/"), fresh, "n").content});
    YumRepoEdit removed;
    removed.name = "ovirt-3.3-stable";
    removed.absent = true;
    corpus.push_back({"removed", edit_yum_repo(fixture("ovirt.repo"), removed, "o").content});

    std::string script = tmp / "dump.py";
    test::write_file(script, k_py);
    std::string cmd = "python3 " + script;
    for (const auto& [name, text] : corpus) {
        test::write_file(tmp / (name + ".repo"), text);
        cmd += " " + tmp / (name + ".repo");
    }
    auto r = test::sh(cmd);
    INFO(r.out);
    REQUIRE(r.rc == 0);
    Value py = parse_yaml(r.out, "configparser.json");
    for (const auto& [name, text] : corpus) {
        INFO(name << ":\n" << text);
        const Value& sections = py.get(tmp / (name + ".repo"));
        REQUIRE(sections.is_map());
        auto doc = ini::Document::parse(text, name);
        CHECK(doc.section_names().size() == sections.as_map().size());
        for (const auto& section : doc.section_names()) {
            const Value& options = sections.get(section);
            REQUIRE(options.is_map());
            CHECK(doc.option_names(section).size() >= options.as_map().size());
            for (const auto& [key, value] : options.as_map()) CHECK(doc.get(section, key) == value.as_string());
        }
    }
    // The seed step landed where expected.
    CHECK(py.get(tmp / "seed.repo").get("apache-cloudstack").get("baseurl").as_string() ==
          "http://cloudstack.apt-get.eu/rhel/4.2/");
    CHECK(py.get(tmp / "lists.repo").get("ovirt-beta").get("baseurl").as_string() ==
          "http://a.example/ovirt/\nhttp://b.example/ovirt/");
}
