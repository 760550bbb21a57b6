// service against a real SysV init script inside a sandbox: the sandbox ships
// its own `service` and `update-rc.d` (first on its PATH) that act on
// ROOT/etc/init.d and ROOT/etc/rcN.d, and the init script keeps its pid under ROOT/run.
#include <signal.h>
#include <sys/stat.h>

#include <catch2/catch.hpp>

#include "engine/connection/planned_connection.hpp"
#include "engine/util/error.hpp"
#include "tests/unit/module_sandbox.hpp"

using namespace upkeep;

namespace {

void write_exec(const std::string& path, const std::string& text) {
    test::write_file(path, text);
    ::chmod(path.c_str(), 0755);
}

void install_sysv(test::Sandbox& box) {
    write_exec(box.local("/usr/sbin/service"),
               "#!/bin/sh\n"
               "script=\"$UPKEEP_ROOT/etc/init.d/$1\"\n"
               "[ -x \"$script\" ] || { echo \"$1: unrecognized service\" >&2; exit 1; }\n"
               "exec \"$script\" \"$2\"\n");
    write_exec(box.local("/usr/sbin/update-rc.d"),
               "#!/bin/sh\n"
               "name=$1; action=$2\n"
               "for rl in 2 3 4 5; do\n"
               "  d=\"$UPKEEP_ROOT/etc/rc$rl.d\"; mkdir -p \"$d\"\n"
               "  case $action in\n"
               "    defaults) [ -e \"$d/S01$name\" ] || [ -e \"$d/K01$name\" ] || ln -s \"../init.d/$name\" \"$d/S01$name\" ;;\n"
               "    enable) [ -e \"$d/K01$name\" ] && mv \"$d/K01$name\" \"$d/S01$name\"; true ;;\n"
               "    disable) [ -e \"$d/S01$name\" ] && mv \"$d/S01$name\" \"$d/K01$name\"; true ;;\n"
               "  esac\n"
               "done\n");
    // A real init script: the daemon is a detached sleep whose pid lives in ROOT/run.
    write_exec(box.local("/etc/init.d/demo"),
               "#!/bin/sh\n"
               "pidfile=\"$UPKEEP_ROOT/run/demo.pid\"\n"
               "running() { [ -f \"$pidfile\" ] && kill -0 \"$(cat \"$pidfile\")\" 2>/dev/null; }\n"
               "start() { running && return 0; mkdir -p \"$UPKEEP_ROOT/run\"\n"
               "  nohup sleep 300 >/dev/null 2>&1 </dev/null & echo $! > \"$pidfile\"; }\n"
               "stop() { running && kill \"$(cat \"$pidfile\")\"; rm -f \"$pidfile\"; }\n"
               "case \"$1\" in\n"
               "  start) start ;;\n"
               "  stop) stop ;;\n"
               "  restart) stop; start ;;\n"
               "  reload) running || exit 7; echo reloaded >> \"$UPKEEP_ROOT/run/demo.log\" ;;\n"
               "  status) running && echo running || { echo stopped; exit 3; } ;;\n"
               "  *) echo \"usage: $0 start|stop|restart|reload|status\" >&2; exit 2 ;;\n"
               "esac\n");
}

std::string pid_of(test::Sandbox& box) {
    auto p = box.conn().read_file("/run/demo.pid");
    return p ? *p : "";
}

// Stops the demo daemon whatever the test did.
struct StopDemo {
    test::Sandbox& box;
    ~StopDemo() {
        Command c;
        c.cmdline = "service demo stop";
        box.conn().run(c);
    }
};

}  // namespace

TEST_CASE("service: SysV start, idempotence, restart, reload, stop", "[service][module]") {
    test::Sandbox box;
    install_sysv(box);
    StopDemo guard{box};

    Plan start = box.check("service", "name: demo\nstate: started\n");
    REQUIRE(start.changes.size() == 1);
    CHECK(start.changes[0].target == "service demo");
    CHECK(start.changes[0].summary == "would start");
    CHECK(start.result.get("status").as_string() == "stopped");
    box.converge("service", "name: demo\nstate: started\n");
    std::string pid = pid_of(box);
    REQUIRE_FALSE(pid.empty());
    CHECK(::kill(std::stoi(pid), 0) == 0);
    CHECK(box.check("service", "name: demo\nstate: started\n").msg == "already running");

    // restarted always changes (and really restarts).
    Plan restart = box.check("service", "name: demo\nstate: restarted\n");
    CHECK(restart.changes.at(0).summary == "would restart");
    box.apply("service", "name: demo\nstate: restarted\n", restart);
    CHECK(pid_of(box) != pid);
    CHECK(box.check("service", "name: demo\nstate: restarted\n").changed());

    Plan reload = box.check("service", "name: demo\nstate: reloaded\n");
    CHECK(reload.changes.at(0).summary == "would reload");
    box.apply("service", "name: demo\nstate: reloaded\n", reload);
    CHECK(*box.conn().read_file("/run/demo.log") == "reloaded\n");

    Plan stop = box.converge("service", "name: demo\nstate: stopped\n");
    CHECK(stop.changes.at(0).summary == "would stop");
    CHECK(pid_of(box).empty());
    CHECK(box.check("service", "name: demo\nstate: stopped\n").msg == "already stopped");
}

TEST_CASE("service: SysV enabled through update-rc.d", "[service][module]") {
    test::Sandbox box;
    install_sysv(box);
    StopDemo guard{box};
    Plan en = box.converge("service", "name: demo\nenabled: true\n");
    CHECK(en.changes.at(0).summary == "would enable");
    CHECK(box.conn().stat("/etc/rc2.d/S01demo", false).is_link());
    CHECK(box.check("service", "name: demo\nenabled: true\n").msg == "already enabled");
    Plan dis = box.converge("service", "name: demo\nenabled: false\n");
    CHECK(dis.changes.at(0).summary == "would disable");
    CHECK(box.conn().stat("/etc/rc2.d/K01demo", false).is_link());
    // Both at once: one plan, two changes.
    Plan both = box.converge("service", "name: demo\nstate: started\nenabled: true\n");
    CHECK(both.changes.size() == 2);
    CHECK(both.msg == "would start, would enable");
}

TEST_CASE("service: a missing service fails with the init system's message", "[service][module]") {
    test::Sandbox box;
    install_sysv(box);
    Plan p = box.check("service", "name: nosuch\nstate: started\n");
    CHECK_THROWS_WITH(box.apply("service", "name: nosuch\nstate: started\n", p),
                      Catch::Contains("nosuch: unrecognized service"));
    CHECK_THROWS_AS(test::Sandbox::args("service", "name: demo\n"), UserError);  // state or enabled
    CHECK_THROWS_AS(test::Sandbox::args("service", "name: demo\nstate: running\n"), UserError);
}

TEST_CASE("service: systemd hosts are driven through systemctl", "[service][module]") {
    // No systemd runs here: the sandbox claims it (/run/systemd/system) and ships a
    // small systemctl that keeps unit state in files, so the systemd command path runs for real.
    test::Sandbox box;
    box.conn().make_dirs("/run/systemd/system", std::nullopt);
    write_exec(box.local("/usr/bin/systemctl"),
               "#!/bin/sh\n"
               "echo \"$*\" >> \"$UPKEEP_ROOT/run/systemctl.log\"\n"
               "[ \"$2\" = --quiet ] && unit=$3 || unit=$2\n"
               "st=\"$UPKEEP_ROOT/run/$unit\"\n"
               "case $1 in\n"
               "  is-active) [ -f \"$st.active\" ] ;;\n"
               "  is-enabled) [ -f \"$st.enabled\" ] ;;\n"
               "  start|restart|reload) touch \"$st.active\" ;;\n"
               "  stop) rm -f \"$st.active\" ;;\n"
               "  enable) touch \"$st.enabled\" ;;\n"
               "  disable) rm -f \"$st.enabled\" ;;\n"
               "  *) exit 1 ;;\n"
               "esac\n");
    Plan p = box.converge("service", "name: libvirtd\nstate: started\nenabled: true\n");
    CHECK(p.msg == "would start, would enable");
    CHECK(test::exists(box.local("/run/libvirtd.active")));
    CHECK(test::exists(box.local("/run/libvirtd.enabled")));
    std::string log = *box.conn().read_file("/run/systemctl.log");
    CHECK(log.find("start libvirtd\n") != std::string::npos);
    CHECK(log.find("enable libvirtd\n") != std::string::npos);
    CHECK(log.find("is-active --quiet libvirtd\n") != std::string::npos);
}

TEST_CASE("service: the dry-run overlay plans service state for later tasks", "[service][module]") {
    // Regression (issue 8.3): a stop planned earlier in a dry run left the start
    // that follows "ok", because the check asked the host, where nothing stopped.
    test::Sandbox box;
    install_sysv(box);
    StopDemo guard{box};
    box.converge("service", "name: demo\nstate: started\n");
    std::string pid = pid_of(box);
    PlannedConnection planned(box.conn());
    ModuleContext ctx{planned, box.vars, [](const std::string&) { return Value(); }, box.root()};
    const Module& m = test::Sandbox::module("service");
    Args stop = test::Sandbox::args("service", "name: demo\nstate: stopped\n");
    Plan p = m.check(ctx, stop);
    REQUIRE(p.changed());
    m.apply(ctx, stop, p);
    CHECK(pid_of(box) == pid);  // the host's daemon still runs
    Args start = test::Sandbox::args("service", "name: demo\nstate: started\n");
    Plan s = m.check(ctx, start);
    CHECK(s.changed());
    CHECK(s.msg == "would start");
    m.apply(ctx, start, s);
    CHECK_FALSE(m.check(ctx, start).changed());  // planned running again
    // A real connection keeps asking the host.
    CHECK_FALSE(box.check("service", "name: demo\nstate: started\n").changed());
    CHECK(planned.would_run() == std::vector<std::string>{"service demo stop", "service demo start"});
}
