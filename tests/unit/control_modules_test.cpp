// assert, fail, set_fact, meta: modules that never touch the host.
#include <catch2/catch.hpp>

#include "engine/util/error.hpp"
#include "tests/unit/module_sandbox.hpp"

using namespace upkeep;

TEST_CASE("assert passes or fails with the failing expression", "[assert][module]") {
    test::Sandbox box;
    box.vars["ready"] = Value(true);
    box.vars["broken"] = Value(false);
    Plan ok = box.check("assert", "that: [ready, not broken]\nsuccess_msg: all good\n");
    CHECK_FALSE(ok.changed());
    CHECK_FALSE(ok.result.has("failed"));
    CHECK(ok.msg == "all good");
    test::Failure bad = test::failure_of([&] { box.check("assert", "that:\n  - ready\n  - broken\n"); });
    CHECK(bad.msg == "assertion failed: broken");
    CHECK(bad.result.get("assertion").as_string() == "broken");
    test::Failure custom = test::failure_of([&] { box.check("assert", "that: broken\nfail_msg: not ready\n"); });
    CHECK(custom.msg == "not ready (assertion failed: broken)");
    CHECK_THROWS_AS(test::Sandbox::args("assert", "fail_msg: x\n"), UserError);  // that is required
}

TEST_CASE("fail fails with its message", "[fail][module]") {
    test::Sandbox box;
    test::Failure f = test::failure_of([&] { box.check("fail", "msg: stop here\n"); });
    CHECK(f.msg == "stop here");
    CHECK(f.result.get("msg").as_string() == "stop here");
    CHECK(test::failure_of([&] { box.check("fail", "{}"); }).msg == "Failed as requested from task");
}

TEST_CASE("set_fact accepts any names and never changes", "[set_fact][module]") {
    test::Sandbox box;
    Plan p = box.check("set_fact", "agent_class: kvm\ncount: 3\ncacheable: true\n");
    CHECK_FALSE(p.changed());
    const Value& facts = p.result.get("ansible_facts");
    CHECK(facts.get("agent_class").as_string() == "kvm");
    CHECK(facts.get("count").as_int() == 3);
    CHECK_FALSE(facts.has("cacheable"));
    CHECK_THROWS_AS(box.check("set_fact", "{}"), TaskError);
}

TEST_CASE("unknown arguments are still rejected for ordinary modules", "[module]") {
    CHECK_THROWS_WITH(test::Sandbox::args("copy", "dest: /x\ncontnet: a\n"), Catch::Contains("did you mean 'content'"));
}
