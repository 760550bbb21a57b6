// The executor's control flow, in process: loops, until/retries, changed_when on a
// command the dry run did not run, block/rescue/always statistics, handlers, serial
// batches and max_fail_percentage. Assertions are on the recorded events and the
// probe's calls, never on console text.
#include <catch2/catch.hpp>

#include "tests/support/executor_harness.hpp"

using namespace upkeep;
using namespace upkeep::test;

TEST_CASE("executor: a loop runs check per item and registers every item's result", "[executor][loop]") {
    ExecutorRun run("h1\n", R"(
- hosts: all
  gather_facts: false
  tasks:
    - name: each
      probe: {key: "{{ item }}", change: "{{ item != 'b' }}"}
      loop: [a, b, c]
      register: out
    - name: count
      probe: {key: "n{{ out.results | length }}", change: "{{ out.changed }}"}
)");
    REQUIRE(run.run() == 0);
    auto items = run.events.of("each");
    REQUIRE(items.size() == 3);  // one event per item, no summary line
    CHECK(items[0].item_label == "a");
    CHECK(items[0].status == Status::Changed);
    CHECK(items[1].status == Status::Ok);
    CHECK(items[2].status == Status::Changed);
    for (const char* k : {"a", "b", "c"}) CHECK(probe_log().count(k, "h1", false) >= 1);
    CHECK(probe_log().count("b", "h1", true) == 0);
    CHECK(run.events.one("count", "h1").status == Status::Changed);  // out.results has 3, out.changed
    CHECK(probe_log().count("n3", "h1", false) >= 1);
    CHECK(run.events.stats_of("h1").changed == 2);  // the loop counts once
}

TEST_CASE("executor: a failing item fails the loop, the other items still run", "[executor][loop]") {
    ExecutorRun run("h1\n", R"(
- hosts: all
  gather_facts: false
  tasks:
    - name: each
      probe: {key: "{{ item }}", fail: "{{ item == 'b' }}"}
      loop: [a, b, c]
    - name: after
      probe: {key: after}
)");
    CHECK(run.run() == 2);
    auto items = run.events.of("each");
    REQUIRE(items.size() == 3);
    CHECK(items[1].status == Status::Failed);
    CHECK(probe_log().count("c", "h1", true) == 1);
    CHECK(probe_log().calls("after").empty());
    CHECK(run.events.stats_of("h1").failed == 1);
}

TEST_CASE("executor: until retries the action until the condition holds", "[executor][until]") {
    ExecutorRun run("h1\n", R"(
- hosts: all
  gather_facts: false
  tasks:
    - name: settles
      probe: {key: s, change: false}
      register: r
      until: r.calls >= 3
      retries: 5
      delay: 0
    - name: never
      probe: {key: n, change: false}
      until: false
      retries: 2
      delay: 0
)");
    CHECK(run.run() == 2);
    CHECK(probe_log().count("s", "h1", false) == 3);
    RecordedResult s = run.events.one("settles", "h1");
    CHECK(s.status == Status::Ok);
    CHECK(s.result.get("attempts").as_int() == 3);
    CHECK(probe_log().count("n", "h1", false) == 3);  // the first attempt and 2 retries
    RecordedResult n = run.events.one("never", "h1");
    CHECK(n.status == Status::Failed);
    CHECK(n.msg.find("after 3 attempts") != std::string::npos);
}

TEST_CASE("executor: changed_when cannot judge a command the dry run did not run", "[executor][changed_when]") {
    const char* pb = R"(
- hosts: all
  gather_facts: false
  tasks:
    - name: judged by output
      command: echo hello
      register: out
      changed_when: "'hello' in out.stdout"
    - name: never changes
      command: echo hello
      changed_when: false
    - name: failed by output
      command: echo hello
      register: out2
      failed_when: "'hello' not in out2.stdout"
)";
    SECTION("--check: the output-based condition keeps 'would run', a literal false wins") {
        ExecutorRun run("h1\n", pb);
        run.opts.check = true;
        REQUIRE(run.run() == 0);
        RecordedResult judged = run.events.one("judged by output", "h1");
        CHECK(judged.status == Status::Changed);
        CHECK(judged.would_run);
        RecordedResult never = run.events.one("never changes", "h1");
        CHECK(never.status == Status::Ok);
        CHECK_FALSE(never.would_run);
        // failed_when on output it does not have is not evaluated either (no false failure).
        CHECK(run.events.one("failed by output", "h1").status == Status::Changed);
    }
    SECTION("a real run evaluates both on the command's output") {
        ExecutorRun run("h1\n", pb);
        REQUIRE(run.run() == 0);
        RecordedResult judged = run.events.one("judged by output", "h1");
        CHECK(judged.status == Status::Changed);
        CHECK_FALSE(judged.would_run);
        CHECK(run.events.one("never changes", "h1").status == Status::Ok);
        CHECK(run.events.one("failed by output", "h1").status == Status::Changed);
    }
}

TEST_CASE("executor: block/rescue/always counts a rescued failure as rescued, not failed", "[executor][block]") {
    ExecutorRun run("h1\nh2\n", R"(
- hosts: all
  gather_facts: false
  tasks:
    - block:
        - name: may fail
          probe: {key: body, fail: "{{ inventory_hostname == 'h1' }}"}
        - name: rest of body
          probe: {key: rest}
      rescue:
        - name: rescue
          probe: {key: rescue}
      always:
        - name: always
          probe: {key: always}
    - name: after
      probe: {key: after}
)");
    REQUIRE(run.run() == 0);
    CHECK(run.events.one("may fail", "h1").status == Status::Failed);
    CHECK(probe_log().calls("rest", "h1").empty());
    CHECK(probe_log().calls("rescue", "h2").empty());
    CHECK_FALSE(probe_log().calls("rescue", "h1").empty());
    for (const char* h : {"h1", "h2"}) {
        CHECK_FALSE(probe_log().calls("always", h).empty());
        CHECK_FALSE(probe_log().calls("after", h).empty());
    }
    const HostStats& h1 = run.events.stats_of("h1");
    CHECK(h1.failed == 0);
    CHECK(h1.rescued == 1);
    CHECK(h1.changed == 3);  // rescue, always, after
    const HostStats& h2 = run.events.stats_of("h2");
    CHECK(h2.rescued == 0);
    CHECK(h2.changed == 4);  // may fail, rest, always, after
}

TEST_CASE("executor: a failure without rescue still runs always, then the host is out", "[executor][block]") {
    ExecutorRun run("h1\n", R"(
- hosts: all
  gather_facts: false
  tasks:
    - block:
        - name: fails
          probe: {key: body, fail: true}
      always:
        - name: always
          probe: {key: always}
    - name: after
      probe: {key: after}
)");
    CHECK(run.run() == 2);
    CHECK_FALSE(probe_log().calls("always", "h1").empty());
    CHECK(probe_log().calls("after", "h1").empty());
    CHECK(run.events.stats_of("h1").failed == 1);
    CHECK(run.events.stats_of("h1").rescued == 0);
}

TEST_CASE("executor: handlers run once at the end, only for hosts whose task changed", "[executor][handlers]") {
    ExecutorRun run("h1\nh2\n", R"(
- hosts: all
  gather_facts: false
  tasks:
    - name: changes on h1
      probe: {key: t1, change: "{{ inventory_hostname == 'h1' }}"}
      notify: restart
    - name: changes again
      probe: {key: t2, change: "{{ inventory_hostname == 'h1' }}"}
      notify: [restart, reload]
    - name: last task
      probe: {key: t3, change: false}
  handlers:
    - name: restart
      probe: {key: restart}
    - name: reload
      probe: {key: reload}
      listen: reload
)");
    REQUIRE(run.run() == 0);
    CHECK(probe_log().count("restart", "h1", true) == 1);  // notified twice, runs once
    CHECK(probe_log().calls("restart", "h2").empty());     // h2 changed nothing
    CHECK(probe_log().count("reload", "h1", true) == 1);
    // Handlers run after the last task, in the handlers' order.
    std::vector<std::string> want = {"changes on h1", "changes again", "last task", "handler: restart", "handler: reload"};
    CHECK(run.events.started == want);
}

TEST_CASE("executor: meta flush_handlers runs notified handlers at that point", "[executor][handlers]") {
    ExecutorRun run("h1\n", R"(
- hosts: all
  gather_facts: false
  tasks:
    - name: change
      probe: {key: t1}
      notify: restart
    - meta: flush_handlers
    - name: after flush
      probe: {key: t2, change: false}
  handlers:
    - name: restart
      probe: {key: restart}
)");
    REQUIRE(run.run() == 0);
    std::vector<std::string> want = {"change", "handler: restart", "after flush"};
    CHECK(run.events.started == want);
    CHECK(probe_log().count("restart", "h1", true) == 1);
}

TEST_CASE("executor: a host that fails after notifying does not run the handler", "[executor][handlers]") {
    ExecutorRun run("h1\n", R"(
- hosts: all
  gather_facts: false
  tasks:
    - name: change
      probe: {key: t1}
      notify: restart
    - name: fail
      probe: {key: t2, fail: true}
  handlers:
    - name: restart
      probe: {key: restart}
)");
    CHECK(run.run() == 2);
    CHECK(probe_log().calls("restart").empty());
}

TEST_CASE("executor: serial runs the whole play batch by batch", "[executor][serial]") {
    ExecutorRun run("h1\nh2\nh3\nh4\nh5\n", R"(
- hosts: all
  gather_facts: false
  serial: 2
  tasks:
    - name: a
      probe: {key: a, change: false}
    - name: b
      probe: {key: b, change: false}
)");
    REQUIRE(run.run() == 0);
    std::vector<std::string> order;
    for (const auto& r : run.events.results) order.push_back(r.task);
    // 2 + 2 + 1 hosts: a, a, b, b | a, a, b, b | a, b
    std::vector<std::string> want = {"a", "a", "b", "b", "a", "a", "b", "b", "a", "b"};
    CHECK(order == want);
    std::vector<std::string> batch3 = {run.events.results[8].host, run.events.results[9].host};
    CHECK(batch3 == std::vector<std::string>{"h5", "h5"});
}

TEST_CASE("executor: max_fail_percentage stops the play when more than that many hosts of the batch fail",
          "[executor][max_fail]") {
    const char* pb = R"(
- hosts: all
  gather_facts: false
  max_fail_percentage: {pct}
  tasks:
    - name: may fail
      probe: {key: a, fail: "{{ inventory_hostname in ['h1', 'h2'] }}"}
    - name: next
      probe: {key: b}
)";
    auto with = [&](const std::string& pct) {
        std::string text = pb;
        text.replace(text.find("{pct}"), 5, pct);
        return text;
    };
    SECTION("2 of 4 failed is 50%: above 25, the play stops for everyone") {
        ExecutorRun run("h1\nh2\nh3\nh4\n", with("25"));
        CHECK(run.run() == 2);
        CHECK(probe_log().calls("b").empty());
        CHECK(run.events.stats_of("h3").failed == 0);
        bool warned = false;
        for (const auto& w : run.events.warnings) warned = warned || w.find("max_fail_percentage") != std::string::npos;
        CHECK(warned);
    }
    SECTION("50% is not above 50: the others go on") {
        ExecutorRun run("h1\nh2\nh3\nh4\n", with("50"));
        CHECK(run.run() == 2);
        CHECK(probe_log().calls("b", "h1").empty());
        CHECK(probe_log().count("b", "h3", true) == 1);
        CHECK(probe_log().count("b", "h4", true) == 1);
    }
}

TEST_CASE("executor: a module's failure takes one path, judged like any result", "[executor][failure]") {
    // A TaskError from check or apply is the module's failed result: its fields are
    // registered, failed_when may clear it, until retries it, ignore_errors goes on.
    ExecutorRun run("h1\n", R"(
- hosts: all
  gather_facts: false
  tasks:
    - name: exits 3
      command: sh -c 'echo out; exit 3'
      register: r
      failed_when: r.rc not in [0, 3]
    - name: sees rc
      probe: {key: "rc{{ r.rc }}-{{ r.stdout }}-{{ r.failed }}"}
    - name: cleared
      probe: {key: cleared, fail: true}
      failed_when: false
    - name: retried
      probe: {key: retried, fail: true}
      register: t
      until: false
      retries: 2
      delay: 0
      ignore_errors: true
    - name: after
      probe: {key: "after-{{ t.failed }}-{{ t.msg }}"}
)");
    CHECK(run.run() == 0);
    CHECK(run.events.one("exits 3", "h1").status == Status::Changed);  // it ran, exited 3, which is fine here
    CHECK(probe_log().count("rc3-out-False", "h1", false) >= 1);
    CHECK(run.events.one("cleared", "h1").status == Status::Ok);
    CHECK(probe_log().count("retried", "h1", false) == 3);  // the first attempt and 2 retries
    RecordedResult t = run.events.one("retried", "h1");
    CHECK(t.status == Status::Failed);
    CHECK(t.ignored);
    CHECK(probe_log().count("after-True-probe retried failed on purpose", "h1", false) >= 1);
}
