// Hostile inputs end to end through the real binary: YAML that is not YAML, alias
// bombs, empty playbooks, huge host ranges, and reports that must never vanish or
// turn invalid. Each case failed on the code before it (ran, crashed, hung or
// exited 0).
#include <catch2/catch.hpp>

#include <filesystem>
#include <regex>

#include "tests/support/test_support.hpp"

using namespace upkeep::test;

namespace {

struct Site {
    TempDir dir;
    Site() {
        write_file(dir / "inventory.ini",
                   "[web]\nh1\n\n[all:vars]\nansible_connection=sandbox\nupkeep_sandbox_root=roots/{{ inventory_hostname }}\n");
    }
    Run play(const std::string& yml, const std::string& flags = "") {
        write_file(dir / "site.yml", yml);
        return upkeep::test::upkeep("play " + dir / "site.yml" + " -i " + dir / "inventory.ini " + flags);
    }
    std::string root(const std::string& rel) { return dir / ("roots/h1/" + rel); }
};

// Python's json module, strict UTF-8: the report must be what any consumer accepts.
bool valid_json_file(const std::string& path) {
    return sh("python3 -c 'import json,sys; json.loads(open(sys.argv[1], \"rb\").read().decode(\"utf-8\"))' " + path).rc == 0;
}

}  // namespace

TEST_CASE("hostile: a playbook with an unclosed quote is refused, no task runs", "[e2e][hostile]") {
    Site s;
    Run r = s.play(
        "- hosts: web\n  tasks:\n    - copy: dest=/first content=1\n    - debug:\n        msg: \"unclosed\n"
        "          - copy: dest=/second content=2\n");
    INFO(r.out);
    CHECK(r.rc == 1);
    CHECK(r.out.find("site.yml:") != std::string::npos);
    CHECK(r.out.find("without closing quote") != std::string::npos);
    CHECK_FALSE(exists(s.root("first")));
}

TEST_CASE("hostile: alias bombs and self-references in -e @file and vars are refused", "[e2e][hostile]") {
    Site s;
    std::string bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
    std::string prev = "a";
    for (char c = 'b'; c <= 'i'; ++c) {
        std::string cur(1, c);
        bomb += cur + ": &" + cur + " [*" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" +
                prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + "]\n";
        prev = cur;
    }
    write_file(s.dir / "bomb.yml", bomb);
    const std::string pb = "- hosts: web\n  tasks:\n    - debug: var=i\n";
    Run r = s.play(pb, "-e @" + s.dir / "bomb.yml");
    INFO(r.out);
    CHECK(r.rc == 1);
    CHECK(r.out.find("bomb.yml:") != std::string::npos);
    CHECK(r.out.find("expand to more than 1000000 values") != std::string::npos);

    Run self = s.play("- hosts: web\n  vars: &v {a: *v}\n  tasks:\n    - debug: var=a\n");
    INFO(self.out);
    CHECK(self.rc == 1);  // yaml-cpp: SIGSEGV (139)
    CHECK(self.out.find("site.yml:2:") != std::string::npos);
    CHECK(self.out.find("recursive structure") != std::string::npos);
}

TEST_CASE("hostile: an empty playbook is an error, as in Ansible", "[e2e][hostile]") {
    Site s;
    for (const char* text : {"", "# nothing yet\n", "---\n", "[]\n"}) {
        Run r = s.play(text);
        INFO(text << r.out);
        CHECK(r.rc == 1);
        CHECK(r.out.find("Empty playbook, nothing to do: " + s.dir / "site.yml") != std::string::npos);
    }
}

TEST_CASE("hostile: 200,000 hosts from one range list quickly", "[e2e][hostile]") {
    TempDir dir;
    write_file(dir / "inventory.ini", "[big]\nnode[1:200000].example.org\n[small]\nnode[7:9].example.org\n");
    write_file(dir / "site.yml", "- hosts: big:!small\n  tasks: []\n");
    // CPU seconds (user + sys) of the run, which a loaded machine inflates far less than wall time.
    Run r = sh("bash -c 'TIMEFORMAT=\"cpu=%3U+%3S\"; time " + std::string(UPKEEP_BINARY) + " play " + dir / "site.yml" +
               " -i " + dir / "inventory.ini --list-hosts --limit \"node1*\"' 2>&1");
    REQUIRE(r.rc == 0);
    CHECK(r.out.find("hosts (111111):") != std::string::npos);
    CHECK(r.out.find("node199999.example.org") != std::string::npos);
    CHECK(r.out.find("node200000.example.org") == std::string::npos);  // starts with node2: not in the limit
    std::smatch m;
    REQUIRE(std::regex_search(r.out, m, std::regex(R"(cpu=([0-9.]+)\+([0-9.]+))")));
    double cpu = std::stod(m[1]) + std::stod(m[2]);
    INFO("cpu seconds: " << cpu);
    // Quadratic insertion took minutes of CPU; this is well under a second on an idle machine.
    CHECK(cpu < 6.0);
    write_file(dir / "nested.ini", "n[1:2000][1:2000]\n");
    Run nested = upkeep::test::upkeep("play " + dir / "site.yml" + " -i " + dir / "nested.ini --list-hosts");
    CHECK(nested.rc == 1);
    CHECK(nested.out.find("more than 1000000 hosts") != std::string::npos);
}

TEST_CASE("hostile: the JSON report is valid UTF-8 JSON whatever bytes a file holds", "[e2e][hostile][report]") {
    Site s;
    write_file(s.root("bin.conf"), std::string("key=\xff\xfe old \xc3\x28 \xed\xa0\x80 caf\xc3\xa9\n"));
    Run r = s.play("- hosts: web\n  tasks:\n    - copy: dest=/bin.conf content=\"key=new\\n\"\n",
                   "--diff --report-json " + s.dir / "report.json");
    INFO(r.out);
    CHECK(r.rc == 0);
    REQUIRE(exists(s.dir / "report.json"));
    CHECK(valid_json_file(s.dir / "report.json"));
    std::string rep = read_file(s.dir / "report.json");
    CHECK(rep.find("key=\\\\xff\\\\xfe old \\\\xc3( \\\\xed\\\\xa0\\\\x80 caf\xc3\xa9") != std::string::npos);
}

TEST_CASE("hostile: a report that cannot be written fails the run before it starts", "[e2e][hostile][report]") {
    Site s;
    const std::string pb = "- hosts: web\n  tasks:\n    - copy: dest=/made content=x\n";
    Run r = s.play(pb, "--report-json " + s.dir / "no/such/dir/report.json");
    INFO(r.out);
    CHECK(r.rc == 1);
    CHECK(r.out.find("cannot write the JSON report " + s.dir / "no/such/dir/report.json") != std::string::npos);
    CHECK(r.out.find("No such file or directory") != std::string::npos);
    CHECK_FALSE(exists(s.root("made")));

    std::filesystem::create_directories(s.dir / "adir");
    Run d = s.play(pb, "--report-json " + s.dir / "adir");
    CHECK(d.rc == 1);
    CHECK(d.out.find("it is a directory") != std::string::npos);
}

TEST_CASE("hostile: the report replaces a symlink at its path instead of following it", "[e2e][hostile][report]") {
    Site s;
    write_file(s.dir / "victim", "precious\n");
    std::filesystem::create_symlink(s.dir / "victim", s.dir / "report.json");
    Run r = s.play("- hosts: web\n  tasks:\n    - copy: dest=/made content=x\n", "--report-json " + s.dir / "report.json");
    INFO(r.out);
    CHECK(r.rc == 0);
    CHECK(read_file(s.dir / "victim") == "precious\n");
    CHECK_FALSE(std::filesystem::is_symlink(s.dir / "report.json"));
    CHECK(valid_json_file(s.dir / "report.json"));
    // Written through a temp file and a rename: nothing else is left in the directory.
    int entries = 0;
    for (const auto& e : std::filesystem::directory_iterator(s.dir.path()))
        if (e.path().filename().string().find(".upkeep.") != std::string::npos) ++entries;
    CHECK(entries == 0);
}
