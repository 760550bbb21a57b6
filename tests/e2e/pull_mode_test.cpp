// `upkeep pull` against a local bare Git repository: a new commit is applied to
// this host (a local connection writing under a temp dir), an unchanged ref with
// --only-if-changed does nothing, a failed fetch keeps the last good checkout and
// fails loudly; reports and exit codes are those of `upkeep play`.
#include <catch2/catch.hpp>

#include "tests/e2e/audit_estate.hpp"

using namespace upkeep::test;

namespace {

struct Remote {
    TempDir dir;
    Remote() {
        must("git init -q --bare " + dir / "remote.git" + " && git -C " + dir / "remote.git" +
             " symbolic-ref HEAD refs/heads/main && git init -q " + dir / "work" + " && git -C " + dir / "work" +
             " checkout -q -b main && git -C " + dir / "work" + " remote add origin " + dir / "remote.git");
    }
    // Commits a playbook that writes `text` to {{ target }}/motd and pushes it.
    std::string commit(const std::string& text) {
        write_file(dir / "work/site.yml", "- hosts: all\n  gather_facts: false\n  tasks:\n    - name: motd\n"
                                          "      copy: dest={{ target }}/motd content=\"" + text + "\\n\"\n");
        must("git -C " + dir / "work" + " add -A && git -C " + dir / "work" +
             " -c user.name=t -c user.email=t@example.invalid commit -qm '" + text + "' && git -C " + dir / "work" +
             " push -q origin main 2>&1");
        return trim_nl(sh("git -C " + dir / "work" + " rev-parse HEAD").out);
    }
    static std::string trim_nl(std::string s) {
        while (!s.empty() && s.back() == '\n') s.pop_back();
        return s;
    }
    Run pull(const std::string& flags = "") {
        must("mkdir -p " + dir / "out");
        return upkeep::test::upkeep("pull --url " + dir / "remote.git" + " --directory " + dir / "checkout" +
                                    " --checkout main -e target=" + dir / "out " + flags + " site.yml");
    }
};

}  // namespace

TEST_CASE("pull: new commits are applied, unchanged ones skipped with --only-if-changed, a failed fetch keeps the checkout",
          "[audit][pull]") {
    Remote r;
    std::string first = r.commit("version 1");
    Run one = r.pull("--only-if-changed --detailed-exitcode --report-json " + r.dir / "run.json");
    INFO(one.out);
    CHECK(one.rc == 8);  // changes made
    CHECK(one.out.find("running site.yml at " + first.substr(0, 12)) != std::string::npos);
    CHECK(read_file(r.dir / "out/motd") == "version 1\n");
    CHECK(read_file(r.dir / "run.json").find("\"changed\": 1") != std::string::npos);

    std::string second = r.commit("version 2");
    Run two = r.pull("--only-if-changed");
    INFO(two.out);
    CHECK(two.rc == 0);
    CHECK(read_file(r.dir / "out/motd") == "version 2\n");

    must("rm " + r.dir / "out/motd");
    Run same = r.pull("--only-if-changed");
    INFO(same.out);
    CHECK(same.rc == 0);
    CHECK(same.out.find("applied already: nothing to do") != std::string::npos);
    CHECK_FALSE(exists(r.dir / "out/motd"));  // nothing ran
    Run forced = r.pull();  // without --only-if-changed it converges again
    CHECK(forced.rc == 0);
    CHECK(read_file(r.dir / "out/motd") == "version 2\n");

    must("mv " + r.dir / "remote.git " + r.dir / "gone.git");
    Run failed = r.pull("--only-if-changed");
    INFO(failed.out);
    CHECK(failed.rc == 1);
    CHECK(failed.out.find("fetching " + r.dir / "remote.git" + " failed; the last good checkout (" + second.substr(0, 12)) !=
          std::string::npos);
    CHECK(Remote::trim_nl(sh("git -C " + r.dir / "checkout rev-parse HEAD").out) == second);
    CHECK(read_file(r.dir / "checkout/site.yml").find("version 2") != std::string::npos);

    Run nothing = upkeep::test::upkeep("pull --url " + r.dir / "nowhere.git --directory " + r.dir / "c2 site.yml");
    CHECK(nothing.rc == 1);
    CHECK(nothing.out.find("cannot clone") != std::string::npos);
    CHECK_FALSE(exists(r.dir / "c2"));
}
