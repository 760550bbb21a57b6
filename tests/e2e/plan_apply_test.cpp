// Reviewed plans on sandbox hosts: `play --check --save-plan` records per host and
// task the planned changes and the before-state of what they touch; `upkeep apply`
// carries out exactly that plan, refuses a host whose before-state changed (naming
// file and host) while the other hosts go on, and refuses any change the plan
// does not hold. The same over SSH: tests/integration/plan_apply_ssh_test.cpp.
#include <catch2/catch.hpp>

#include "tests/e2e/audit_estate.hpp"

using namespace upkeep::test;

namespace {

const char* k_playbook = R"(
- hosts: fleet
  vars_files: [vars.yml]
  tasks:
    - name: set b
      lineinfile: path=/etc/x.conf line=b=1
    - name: conf dir
      file: path=/etc/app state=directory mode=0750
    - name: app conf
      copy: dest=/etc/app/app.conf content="v={{ v | default(1) }} token={{ token }}\n"
)";

struct PlanEstate : AuditEstate {
    PlanEstate() : AuditEstate({"kvm01", "kvm02", "kvm03"}) {
        for (const auto& h : {"kvm01", "kvm02", "kvm03"}) write_file(root(h) + "/etc/x.conf", "a=1\n");
        write_file(dir / "vars.yml", "token: !secret Plan-Tok-77\n");
        playbook(k_playbook);
    }
    std::string plan() { return dir / "plan.json"; }
    Run save(const std::string& flags = "") { return play("--check --save-plan " + plan() + " " + flags); }
    Run apply(const std::string& flags = "") { return upkeep::test::upkeep("apply " + plan() + " " + flags); }
};

}  // namespace

TEST_CASE("apply: a host changed after the review is refused by file and host, the others get exactly the plan",
          "[audit][plan]") {
    PlanEstate e;
    Run dry = e.save();
    INFO(dry.out);
    REQUIRE(dry.rc == 0);
    std::string plan = read_file(e.plan());
    CHECK(plan.find("\"upkeep_plan\": 1") != std::string::npos);
    CHECK(plan.find("\"task\": \"set b\"") != std::string::npos);
    CHECK(plan.find("\"/etc/app/app.conf\": {\"kind\": \"absent\"}") != std::string::npos);
    CHECK(plan.find("Plan-Tok-77") == std::string::npos);  // hashes and masked diffs only
    CHECK_FALSE(exists(e.root("kvm01") + "/etc/app"));

    write_file(e.root("kvm02") + "/etc/x.conf", "a=1\nedited after the review\n");
    Run r = e.apply();
    INFO(r.out);
    CHECK(r.rc == 2);
    CHECK(r.out.find("fatal: [kvm02]: FAILED! => refused: /etc/x.conf on kvm02 is no longer as reviewed in " + e.plan() +
                     " (its content changed)") != std::string::npos);
    for (const auto& h : {"kvm01", "kvm03"}) {
        CHECK(read_file(e.root(h) + "/etc/x.conf") == "a=1\nb=1\n");
        CHECK(read_file(e.root(h) + "/etc/app/app.conf") == "v=1 token=Plan-Tok-77\n");
    }
    CHECK(read_file(e.root("kvm02") + "/etc/x.conf") == "a=1\nedited after the review\n");  // untouched
    CHECK_FALSE(exists(e.root("kvm02") + "/etc/app"));
    CHECK(r.out.find("reviewed change not carried out") == std::string::npos);

    // The plan is used up: what it reviewed is no longer the hosts' state.
    Run again = e.apply();
    CHECK(again.rc == 2);
    CHECK(again.out.find("refused: /etc/app on kvm01 is no longer as reviewed") != std::string::npos);
}

TEST_CASE("apply: a change the reviewed plan does not hold is refused, a mode change names it", "[audit][plan]") {
    PlanEstate e;
    REQUIRE(e.save().rc == 0);
    must("chmod 0600 " + e.root("kvm03") + "/etc/x.conf");
    Run r = e.apply("-e v=2");  // the copy would now write other bytes than reviewed
    INFO(r.out);
    CHECK(r.rc == 2);
    CHECK(r.out.find("refused: /etc/x.conf on kvm03 is no longer as reviewed in " + e.plan() + " (mode 0644 -> 0600)") !=
          std::string::npos);
    CHECK(r.out.find("fatal: [kvm01]: FAILED! => refused: /etc/app/app.conf on kvm01 would change differently from the "
                     "reviewed plan " + e.plan()) != std::string::npos);
    CHECK_FALSE(exists(e.root("kvm01") + "/etc/app/app.conf"));
}

TEST_CASE("apply: refuses hosts outside the plan and hosts whose dry run failed, a changed playbook stops it",
          "[audit][plan]") {
    PlanEstate e;
    must("rm " + e.root("kvm03") + "/etc/x.conf");  // the dry run fails on kvm03
    Run dry = e.save();
    CHECK(dry.rc == 2);
    write_file(e.root("kvm03") + "/etc/x.conf", "a=1\n");
    // A host added to the inventory after the review.
    std::string inv = read_file(e.dir / "inventory.ini");
    write_file(e.dir / "inventory.ini", inv.replace(inv.find("kvm03\n"), 6, "kvm03\nkvm04\n"));
    write_file(e.root("kvm04") + "/etc/x.conf", "a=1\n");
    Run r = e.apply();
    INFO(r.out);
    CHECK(r.rc == 2);
    CHECK(r.out.find("fatal: [kvm03]: FAILED! => refused: the reviewed dry run ended failed on kvm03") != std::string::npos);
    CHECK(r.out.find("fatal: [kvm04]: FAILED! => refused: kvm04 is not in the reviewed plan") != std::string::npos);
    CHECK(read_file(e.root("kvm01") + "/etc/x.conf") == "a=1\nb=1\n");
    CHECK(read_file(e.root("kvm04") + "/etc/x.conf") == "a=1\n");

    REQUIRE(e.save().rc == 0);
    write_file(e.dir / "site.yml", std::string(k_playbook) + "    - debug: msg=more\n");
    Run changed = e.apply();
    CHECK(changed.rc == 1);
    CHECK(changed.out.find("the playbook " + e.dir / "site.yml" + " changed since the plan") != std::string::npos);

    Run no_check = e.play("--save-plan " + e.plan());
    CHECK(no_check.rc == 1);
    CHECK(no_check.out.find("--save-plan needs --check") != std::string::npos);
    write_file(e.dir / "bogus.json", "{\"a\": 1}\n");
    Run bogus = upkeep::test::upkeep("apply " + e.dir / "bogus.json");
    CHECK(bogus.rc == 1);
    CHECK(bogus.out.find("is not an upkeep plan") != std::string::npos);
}
