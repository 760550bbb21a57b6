#include <catch2/catch.hpp>

#include "engine/util/error.hpp"
#include "modules/command.hpp"
#include "tests/unit/module_sandbox.hpp"

using namespace upkeep;

TEST_CASE("split_shell_words splits like a shell without expanding", "[command]") {
    CHECK(split_shell_words("a b  c") == std::vector<std::string>{"a", "b", "c"});
    CHECK(split_shell_words("echo 'a b' \"c \\\"d\\\"\" e\\ f") ==
          std::vector<std::string>{"echo", "a b", "c \"d\"", "e f"});
    CHECK(split_shell_words("x='' y") == std::vector<std::string>{"x=", "y"});
    CHECK(split_shell_words("''") == std::vector<std::string>{""});
    CHECK(split_shell_words("") == std::vector<std::string>{});
    CHECK_THROWS_AS(split_shell_words("echo 'open"), UserError);
    CHECK_THROWS_AS(split_shell_words("echo \"open"), UserError);
}

TEST_CASE("command: runs without a shell, creates/removes skip", "[command][module]") {
    test::Sandbox box;
    Plan p = box.check("command", "cmd: echo '$HOME' '*' '|' x\n");
    REQUIRE(p.changes.size() == 1);
    CHECK(p.changes[0].summary == "would run");
    CHECK(p.unpredictable);
    Value r = box.apply("command", "cmd: echo '$HOME' '*' '|' x\n", p);
    CHECK(r.get("rc").as_int() == 0);
    CHECK(r.get("stdout").as_string() == "$HOME * | x");
    CHECK(r.get("cmd").as_list().size() == 5);
    CHECK(r.get("delta").as_string().rfind("0:00:", 0) == 0);

    test::write_file(box.local("/etc/done"), "");
    Plan skip = box.check("command", "cmd: 'false'\ncreates: /etc/done\n");
    CHECK_FALSE(skip.changed());
    CHECK(skip.msg == "skipped, since /etc/done exists");
    Plan skip2 = box.check("command", "cmd: 'false'\nremoves: /etc/none\n");
    CHECK(skip2.msg == "skipped, since /etc/none does not exist");
    Plan relative = box.check("command", "cmd: 'false'\nchdir: /etc\ncreates: done\n");
    CHECK(relative.msg == "skipped, since /etc/done exists");
}

TEST_CASE("command: creates/removes patterns are globs, as in Ansible", "[command][module][hostile]") {
    test::Sandbox box;
    test::write_file(box.local("/var/app/releases/r1/done.flag"), "");
    test::write_file(box.local("/var/app/.hidden.tmp"), "");
    Plan made = box.check("command", "cmd: 'false'\ncreates: /var/app/releases/*/done.*\n");
    CHECK_FALSE(made.changed());
    CHECK(made.msg == "skipped, since /var/app/releases/*/done.* exists");
    // No match: the command would run.
    CHECK(box.check("command", "cmd: 'false'\ncreates: /var/app/releases/r[2-9]/done.flag\n").changed());
    // `*` does not match a leading dot (Python's glob), so nothing to remove here.
    Plan none = box.check("command", "cmd: 'false'\nremoves: /var/app/*.tmp\n");
    CHECK(none.msg == "skipped, since /var/app/*.tmp does not exist");
    CHECK(box.check("command", "cmd: 'false'\nremoves: /var/app/.*.tmp\n").changed());
    // Relative patterns count from chdir.
    CHECK_FALSE(box.check("command", "cmd: 'false'\nchdir: /var/app\ncreates: releases/r?/done.flag\n").changed());
}

TEST_CASE("command: rc, stderr, stdin, chdir, argv", "[command][module]") {
    test::Sandbox box;
    box.conn().make_dirs("/work", std::nullopt);
    const std::string fail = "argv: [sh, -c, 'echo oops >&2; exit 4']\n";
    Plan planned = box.check("command", fail);
    test::Failure f = test::failure_of([&] { box.apply("command", fail, planned); });
    CHECK(f.msg == "non-zero return code");
    const Value& r = f.result;
    CHECK(r.get("rc").as_int() == 4);
    CHECK(r.get("stderr").as_string() == "oops");
    CHECK(r.get("stderr_lines").as_list().size() == 1);
    const std::string in = "cmd: cat\nstdin: secret-data\n";
    CHECK(box.apply("command", in, box.check("command", in)).get("stdout").as_string() == "secret-data");
    const std::string cd = "cmd: pwd -P\nchdir: /work\n";
    CHECK(box.apply("command", cd, box.check("command", cd)).get("stdout").as_string() == box.local("/work"));
}

TEST_CASE("shell: pipes and variables work, executable", "[shell][module]") {
    test::Sandbox box;
    const std::string t = "cmd: 'printf \"a\\nb\\n\" | wc -l; echo $UPKEEP_ROOT'\n";
    Value r = box.apply("shell", t, box.check("shell", t));
    CHECK(r.get("stdout_lines").as_list().size() == 2);
    CHECK(r.get("stdout_lines").as_list()[0].as_string() == "2");
    CHECK(r.get("stdout_lines").as_list()[1].as_string() == box.root());
    CHECK(r.get("cmd").as_string() == "printf \"a\\nb\\n\" | wc -l; echo $UPKEEP_ROOT");
    const std::string bash = "cmd: 'echo ${BASH_VERSION:+bash}'\nexecutable: /bin/bash\n";
    CHECK(box.apply("shell", bash, box.check("shell", bash)).get("stdout").as_string() == "bash");
    CHECK_THROWS_AS(box.check("shell", "cmd: '  '\n"), TaskError);
}

namespace {

// A connection whose mutating commands are recorded instead of run, the way the
// planned-state overlay behaves in --check.
class RecordingConnection : public LocalConnection {
public:
    using LocalConnection::LocalConnection;
    CommandResult run(const Command& c) override {
        if (!c.mutating) return LocalConnection::run(c);
        recorded.push_back(c.cmdline);
        CommandResult r;
        r.executed = false;
        return r;
    }
    std::vector<std::string> recorded;
};

}  // namespace

TEST_CASE("command: a dry-run connection reports would run", "[command][module]") {
    test::TempDir dir;
    RecordingConnection conn("dry", dir.path());
    Value vars;
    ModuleContext ctx{conn, vars, nullptr, ""};
    const Module* m = find_module("command");
    Args a = validate_args(m->spec(), parse_yaml("cmd: touch /x\n", "t.yml"));
    Value r = m->apply(ctx, a, m->check(ctx, a));
    CHECK(r.get("skipped_run").as_bool());
    CHECK(r.get("rc").is_null());
    CHECK(r.get("msg").as_string() == "would run (dry run)");
    CHECK(conn.recorded == std::vector<std::string>{"touch /x"});
    CHECK_FALSE(test::exists(dir / "x"));
}
