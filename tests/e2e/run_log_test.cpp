// The run log (engine/report/run_log.hpp) end to end through the binary: what it
// records (per host and task, commands with timings), that a secret never
// reaches it, that the file is created 0600 and never written through a
// symlink, and -vvv / UPKEEP_LOG on the console.
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include "engine/util/strings.hpp"
#include "tests/support/test_support.hpp"

using namespace upkeep::test;

namespace {

bool has(const std::string& hay, const std::string& needle) { return hay.find(needle) != std::string::npos; }

struct LoggedPlay {
    TempDir dir;
    LoggedPlay(const std::string& tasks) {
        write_file(dir / "inventory.ini", "h1 ansible_connection=sandbox upkeep_sandbox_root=" + dir / "root" + "\n");
        write_file(dir / "site.yml", "- hosts: all\n  gather_facts: false\n  tasks:\n" + tasks);
        write_file(dir / "root/etc/app.conf", "a=1\n");
        must("chmod -R go-w '" + dir.path() + "'");
    }
    Run play(const std::string& flags, const std::string& env = "") {
        return sh(env + " NO_COLOR=1 " + std::string(UPKEEP_BINARY) + " play '" + dir / "site.yml" + "' -i '" +
                  dir / "inventory.ini" + "' " + flags);
    }
};

const char* const k_secret_module = R"lua(
return {
  summary = "stores a token",
  args = { { name = "path", required = true }, { name = "token", secret = true, required = true } },
  check = function(args, host)
    local old = host:read_file(args.path) or ""
    local new = "token=" .. args.token .. "\n"
    if old == new then return nil end
    return { changes = { { target = args.path, summary = "token set", before = old, after = new } },
             data = { path = args.path, content = new } }
  end,
  apply = function(plan, host) host:write_file(plan.data.path, plan.data.content) end,
}
)lua";

}  // namespace

TEST_CASE("run log: records each host's tasks, commands and timings in a 0600 file", "[runlog]") {
    LoggedPlay p("    - name: say hello\n      command: echo hello\n    - name: fail softly\n      command: 'false'\n"
                 "      ignore_errors: true\n");
    std::string log = p.dir / "run.log";
    Run r = p.play("--log-file '" + log + "'", "umask 022;");
    INFO(r.out);
    REQUIRE(r.rc == 0);
    struct stat st {};
    REQUIRE(::lstat(log.c_str(), &st) == 0);
    CHECK((st.st_mode & 07777) == 0600);
    std::string text = read_file(log);
    INFO(text);
    CHECK(has(text, "event=run_start"));
    CHECK(has(text, " info event=play_start play=all"));
    CHECK(has(text, "debug event=task_start task=\"say hello\" module=command"));
    CHECK(has(text, "debug host=h1 event=command via=sandbox cmd=\"echo hello\" rc=0 stdout_bytes=6"));
    CHECK(has(text, "host=h1 event=command via=sandbox cmd=false rc=1"));
    CHECK(has(text, "info host=h1 event=result task=\"say hello\" module=command status=changed"));
    CHECK(has(text, "status=\"failed(ignored)\""));
    CHECK(has(text, "host=h1 event=recap mode=apply ok=1 changed=1 unreachable=0 failed=0"));
    CHECK(has(text, "event=run_end rc=0 ms="));
    // Every line: a UTC timestamp, a level, then key=value pairs.
    for (const auto& line : upkeep::split(text, '\n'))
        if (!line.empty()) CHECK((line.size() > 28 && line[4] == '-' && line[26] == 'Z' && line[27] == ' '));
    // A second run appends to the same file.
    p.play("--log-file '" + log + "'");
    CHECK(read_file(log).size() > text.size());
    CHECK(read_file(log).compare(0, text.size(), text) == 0);
}

TEST_CASE("run log: a secret never reaches the log file, even at trace level", "[runlog][secret]") {
    LoggedPlay p("    - token_file: {path: /etc/token, token: \"{{ pw }}\"}\n"
                 "    - name: the secret on a command line\n      command: echo {{ pw }}\n"
                 "    - name: no_log hides a whole task\n      shell: echo {{ other }} > /dev/null\n      no_log: true\n");
    write_file(p.dir / "lua/modules/token_file.lua", k_secret_module);
    must("chmod -R go-w '" + p.dir.path() + "'");
    std::string log = p.dir / "run.log";
    Run r = p.play("--log-file '" + log + "' -e pw=Hunter2Secret -e other=OtherSecret99 --diff -vvvv 2>&1", "UPKEEP_LOG=trace");
    INFO(r.out);
    REQUIRE(r.rc == 0);
    CHECK(read_file(p.dir / "root/etc/token") == "token=Hunter2Secret\n");
    std::string text = read_file(log);
    INFO(text);
    CHECK(has(text, "event=write_file path=/etc/token"));  // trace level reached the file
    CHECK(has(text, "cmd=\"echo ********\""));
    CHECK_FALSE(has(text, "Hunter2Secret"));
    CHECK_FALSE(has(text, "OtherSecret99"));
    CHECK_FALSE(has(r.out, "Hunter2Secret"));
    CHECK_FALSE(has(r.out, "OtherSecret99"));
}

TEST_CASE("run log: never written through a symlink, nor to a file that is not a regular one", "[runlog][file_safety]") {
    LoggedPlay p("    - command: touch /ran\n");
    std::string target = p.dir / "victim";
    write_file(target, "precious\n");
    must("ln -s '" + target + "' '" + p.dir / "link.log" + "'");
    Run r = p.play("--log-file '" + p.dir / "link.log" + "' 2>&1");
    INFO(r.out);
    CHECK(r.rc != 0);
    CHECK(has(r.out, "is a symbolic link; refusing to write the log through it"));
    CHECK(read_file(target) == "precious\n");
    CHECK_FALSE(exists(p.dir / "root/ran"));  // refused before any host was touched

    must("mkfifo '" + p.dir / "fifo.log" + "'");
    Run f = p.play("--log-file '" + p.dir / "fifo.log" + "' 2>&1");
    CHECK(f.rc != 0);
    CHECK(has(f.out, "not a regular file"));

    // An existing log readable by others is narrowed to 0600 before anything is written.
    write_file(p.dir / "old.log", "earlier\n");
    must("chmod 0644 '" + p.dir / "old.log" + "'");
    Run o = p.play("--log-file '" + p.dir / "old.log" + "'");
    CHECK(o.rc == 0);
    struct stat st {};
    REQUIRE(::stat((p.dir / "old.log").c_str(), &st) == 0);
    CHECK((st.st_mode & 07777) == 0600);
    CHECK(read_file(p.dir / "old.log").rfind("earlier\n", 0) == 0);
}

TEST_CASE("run log: -vvv shows connection-level detail on stderr, UPKEEP_LOG sets the level", "[runlog]") {
    LoggedPlay p("    - command: echo hi\n");
    CHECK_FALSE(has(p.play("2>&1").out, "event=command"));
    CHECK_FALSE(has(p.play("-v 2>&1").out, "event=command"));
    Run vvv = p.play("-vvv 2>&1");
    CHECK(has(vvv.out, "upkeep debug: host=h1 event=command via=sandbox cmd=\"echo hi\" rc=0"));
    CHECK_FALSE(has(vvv.out, "event=read_file"));  // trace: -vvvv
    Run env = p.play("2>&1", "UPKEEP_LOG=info");
    CHECK(has(env.out, "upkeep info: host=h1 event=result"));
    CHECK_FALSE(has(env.out, "event=command"));
    Run bad = p.play("2>&1", "UPKEEP_LOG=chatty");
    CHECK(bad.rc != 0);
    CHECK(has(bad.out, "UPKEEP_LOG: unknown level 'chatty'"));
}

TEST_CASE("run log: a host's text cannot forge a log line", "[runlog]") {
    LoggedPlay p("    - shell: printf 'boom\\n2026-01-01T00:00:00.000000Z info event=run_end rc=0'\n"
                 "      register: out\n"
                 "    - debug: var=out.stdout\n");
    std::string log = p.dir / "run.log";
    Run r = p.play("--log-file '" + log + "'");
    INFO(r.out);
    std::string text = read_file(log);
    INFO(text);
    // The host's output is in the log (the debug task's message), escaped on one line.
    CHECK(has(text, "event=result task=debug"));
    CHECK(has(text, "boom\\"));
    CHECK(has(text, "2026-01-01T00:00:00.000000Z info event=run_end"));
    for (const auto& line : upkeep::split(text, '\n')) CHECK(line.rfind("2026-01-01", 0) == std::string::npos);
}

