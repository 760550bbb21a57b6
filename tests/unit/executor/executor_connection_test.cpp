// Which connection a module gets, decided by the task executor alone: the real one
// in a real run, the host's planned-state overlay in --check (kept across tasks),
// a throwaway overlay for check_mode: true. Runs the real executor in process.
#include <catch2/catch.hpp>

#include "engine/report/secret_registry.hpp"
#include "tests/support/executor_harness.hpp"

using namespace upkeep;
using namespace upkeep::test;

namespace {

const char* k_inventory = "h1\nh2\n";

const char* k_two_writes = R"(
- hosts: all
  gather_facts: false
  tasks:
    - name: first
      probe: {key: one, path: /etc/probe}
    - name: second
      probe: {key: one, path: /etc/probe}
)";

}  // namespace

TEST_CASE("executor: a real run checks and applies on the host's own connection", "[executor][connection]") {
    ExecutorRun run(k_inventory, k_two_writes);
    REQUIRE(run.run() == 0);
    for (const char* h : {"h1", "h2"}) {
        auto first = probe_log().calls("one", h);
        // first: check + apply (+ the convergence re-check); second: one converged check.
        REQUIRE(probe_log().count("one", h, true) == 1);
        for (const auto& c : first) {
            CHECK_FALSE(c.overlay);
            CHECK(c.conn == run.connection_of(h));
        }
        CHECK(read_file(run.host_file(h, "/etc/probe")) == "one");
        CHECK(run.events.one("first", h).status == Status::Changed);
        CHECK(run.events.one("second", h).status == Status::Ok);
    }
}

TEST_CASE("executor: --check hands check and apply the planned overlay, kept from task to task", "[executor][connection]") {
    ExecutorRun run(k_inventory, k_two_writes);
    run.opts.check = true;
    REQUIRE(run.run() == 0);
    for (const char* h : {"h1", "h2"}) {
        auto calls = probe_log().calls("one", h);
        // first: check + apply on the overlay; second: a check that sees the planned write.
        REQUIRE(calls.size() == 3);
        CHECK_FALSE(calls[0].apply);
        CHECK(calls[1].apply);
        CHECK_FALSE(calls[2].apply);
        for (const auto& c : calls) {
            CHECK(c.overlay);
            CHECK(c.underlying == run.connection_of(h));
            CHECK(c.conn == calls[0].conn);  // one overlay per host for the whole run
        }
        CHECK_FALSE(exists(run.host_file(h, "/etc/probe")));  // nothing reached the host
        CHECK(run.events.one("first", h).status == Status::Changed);
        CHECK(run.events.one("second", h).status == Status::Ok);
    }
    CHECK(run.events.stats_of("h1").changed == 1);
}

TEST_CASE("executor: check_mode: true plans on a throwaway overlay in a real run", "[executor][connection]") {
    ExecutorRun run("h1\n", R"(
- hosts: all
  gather_facts: false
  tasks:
    - name: probe task
      probe: {key: one, path: /etc/probe}
      check_mode: true
      register: seen
    - name: real task
      probe: {key: one, path: /etc/probe}
      when: seen.changed
)");
    REQUIRE(run.run() == 0);
    auto calls = probe_log().calls("one", "h1");
    // probe task: check + apply on its scratch overlay; real task: check + apply + re-check on the host.
    REQUIRE(calls.size() == 5);
    CHECK(calls[0].overlay);
    CHECK(calls[1].overlay);
    CHECK(calls[1].conn == calls[0].conn);
    CHECK(calls[0].underlying == run.connection_of("h1"));
    for (size_t i = 2; i < calls.size(); ++i) {
        CHECK_FALSE(calls[i].overlay);
        CHECK(calls[i].conn == run.connection_of("h1"));
    }
    RecordedResult probe = run.events.one("probe task", "h1");
    CHECK(probe.status == Status::Ok);  // a probe reports ok in both runs...
    CHECK(probe.probe_would_change);
    CHECK(probe.result.get("changed").truthy());  // ...but registers that it found work
    CHECK(run.events.one("real task", "h1").status == Status::Changed);
    CHECK(read_file(run.host_file("h1", "/etc/probe")) == "one");
}

TEST_CASE("executor: check_mode: true in --check stacks a scratch overlay on the planned one", "[executor][connection]") {
    ExecutorRun run("h1\n", R"(
- hosts: all
  gather_facts: false
  tasks:
    - name: planned
      probe: {key: one, path: /etc/a}
    - name: probe task
      probe: {key: two, path: /etc/b}
      check_mode: true
    - name: after the probe
      probe: {key: two, path: /etc/b}
)");
    run.opts.check = true;
    REQUIRE(run.run() == 0);
    const Connection* planned = probe_log().calls("one", "h1").front().conn;
    auto two = probe_log().calls("two", "h1");
    REQUIRE(two.size() == 4);  // probe: check + apply; after: check + apply (it did not see the probe's write)
    CHECK(two[0].overlay);
    CHECK(two[0].conn != planned);
    CHECK(two[0].underlying == run.connection_of("h1"));
    CHECK(two[2].conn == planned);
    CHECK(two[3].conn == planned);
    CHECK(run.events.one("after the probe", "h1").status == Status::Changed);
    CHECK_FALSE(exists(run.host_file("h1", "/etc/b")));
}

TEST_CASE("executor: check_mode: false in --check runs on the real connection", "[executor][connection]") {
    ExecutorRun run("h1\n", R"(
- hosts: all
  gather_facts: false
  tasks:
    - name: always real
      probe: {key: one, path: /etc/probe}
      check_mode: false
)");
    run.opts.check = true;
    REQUIRE(run.run() == 0);
    for (const auto& c : probe_log().calls("one", "h1")) {
        CHECK_FALSE(c.overlay);
        CHECK(c.conn == run.connection_of("h1"));
    }
    CHECK(read_file(run.host_file("h1", "/etc/probe")) == "one");
}

TEST_CASE("executor: an unreachable host is out of the run, the others go on", "[executor][connection]") {
    ExecutorRun run("h1\nh2\n", R"(
- hosts: all
  gather_facts: false
  tasks:
    - name: a
      probe: {key: a}
    - name: b
      probe: {key: b}
)");
    run.unreachable = {"h2"};
    CHECK(run.run() == 4);
    CHECK(run.events.one("a", "h2").status == Status::Unreachable);
    CHECK(probe_log().calls("a", "h2").empty());
    CHECK(run.events.of("b").size() == 1);  // h2 is not tried again
    CHECK(run.events.stats_of("h2").unreachable == 1);
    CHECK(run.events.stats_of("h1").changed == 2);
}

TEST_CASE("executor: a module registers a secret through its context, every output masks it", "[executor][secrets]") {
    ExecutorRun run("h1\n", R"(
- hosts: all
  gather_facts: false
  tasks:
    - name: reads a key
      probe: {key: k, change: false, secret: "{{ 'key-' ~ 'from-host-4711' }}"}
)");
    REQUIRE(run.run() == 0);
    // The value exists only as the module saw it (built by a template), yet it is masked.
    CHECK(secrets().mask("the key is key-from-host-4711.") == "the key is ********.");
}
