// Regression tests for the file-safety classes of issues 7 and 14: sandbox
// escapes, unique backups, private temp files, full disks, non-regular
// targets, copy's follow: false, stale temp files and --check with validate.
// Each case failed on the code before the fix.
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <future>
#include <set>

#include "engine/connection/local_connection.hpp"
#include "engine/connection/planned_connection.hpp"
#include "engine/connection/shell_files.hpp"
#include "engine/module/file_edit.hpp"
#include "engine/util/error.hpp"
#include "tests/support/test_support.hpp"
#include "tests/unit/module_sandbox.hpp"

using namespace upkeep;
using test::TempDir;
namespace fs = std::filesystem;

namespace {

std::vector<std::string> names_with(const std::string& dir, const std::string& part) {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(dir))
        if (e.path().filename().string().find(part) != std::string::npos) out.push_back(e.path().filename().string());
    std::sort(out.begin(), out.end());
    return out;
}

uint32_t mode_of(const std::string& p) {
    struct stat st;
    REQUIRE(::lstat(p.c_str(), &st) == 0);
    return st.st_mode & 07777;
}

// The shell implementation (the SSH become path) run against this machine.
ShellFiles local_shell_files(LocalConnection& conn) {
    return ShellFiles([&conn](const Command& c) { return conn.run(c); }, "local");
}

// A tiny tmpfs, so a write can really hit "No space left on device".
struct SmallTmpfs {
    TempDir dir;
    bool mounted = false;
    explicit SmallTmpfs(const char* size) {
        mounted = ::mount("tmpfs", dir.path().c_str(), "tmpfs", 0, (std::string("size=") + size).c_str()) == 0;
    }
    ~SmallTmpfs() {
        if (mounted) ::umount2(dir.path().c_str(), MNT_DETACH);
    }
};

}  // namespace

TEST_CASE("sandbox: paths resolve as under chroot, links never lead out", "[file_safety][sandbox]") {
    TempDir outside;
    test::write_file(outside / "victim.conf", "precious\n");
    test::Sandbox sb;
    fs::create_directories(sb.local("/etc"));
    // An absolute link to a controller path, and a relative one climbing out.
    REQUIRE(::symlink((outside / "victim.conf").c_str(), sb.local("/etc/abs.conf").c_str()) == 0);
    REQUIRE(::symlink("../../../../../../../../../../..", sb.local("/etc/up").c_str()) == 0);
    std::string rel = "../../../../../../../../../../.." + (outside / "victim.conf");
    REQUIRE(::symlink(rel.c_str(), sb.local("/etc/rel.conf").c_str()) == 0);

    auto& conn = sb.conn();
    // ".." stops at the root.
    CHECK(conn.map_path("/../../etc/x") == sb.local("/etc/x"));
    CHECK(conn.map_path("/etc/up/etc/x") == sb.local("/etc/x"));
    // The absolute target is taken from the root: it names ROOT/<outside>/victim.conf.
    CHECK(conn.map_path("/etc/abs.conf") == sb.root() + outside.path() + "/victim.conf");
    CHECK_FALSE(conn.read_file("/etc/abs.conf").has_value());

    for (const char* p : {"/etc/abs.conf", "/etc/rel.conf", "/etc/up/" "victim.conf"}) {
        INFO(p);
        std::string yaml = std::string("path: ") + p + "\nline: owned\ncreate: true";
        try {
            Plan plan = sb.check("lineinfile", yaml);
            if (plan.changed()) sb.apply("lineinfile", yaml, plan);
        } catch (const TaskError&) {
            // a missing directory inside the root is fine; escaping is not
        }
        CHECK(test::read_file(outside / "victim.conf") == "precious\n");
    }
    // A write through the link lands inside the root.
    fs::create_directories(sb.root() + outside.path());
    conn.write_file("/etc/abs.conf", "inside\n", WriteOptions{});
    CHECK(test::read_file(sb.root() + outside.path() + "/victim.conf") == "inside\n");
    CHECK(test::read_file(outside / "victim.conf") == "precious\n");
}

TEST_CASE("backup: two backups of one file in one second keep both originals", "[file_safety][backup]") {
    TempDir dir;
    LocalConnection local("local");
    LocalConnection sandbox("sandbox", dir.path());
    ShellFiles shell = local_shell_files(local);
    struct Case {
        const char* name;
        std::function<WriteResult(const std::string&, const std::string&)> write;
        std::string host_path, local_path;
    };
    WriteOptions opts;
    opts.backup = true;
    std::vector<Case> cases = {
        {"local", [&](const std::string& p, const std::string& c) { return local.write_file(p, c, opts); }, dir / "l.conf", dir / "l.conf"},
        {"sandbox", [&](const std::string& p, const std::string& c) { return sandbox.write_file(p, c, opts); }, "/s.conf", dir / "s.conf"},
        {"shell", [&](const std::string& p, const std::string& c) { return shell.write_file(p, c, opts); }, dir / "h.conf", dir / "h.conf"},
    };
    for (auto& c : cases) {
        INFO(c.name);
        test::write_file(c.local_path, "one\n");
        ::chmod(c.local_path.c_str(), 0640);
        std::set<std::string> backups;
        std::vector<std::string> originals = {"one\n", "two\n", "three\n"};
        for (size_t i = 1; i < originals.size(); ++i) {
            WriteResult w = c.write(c.host_path, originals[i]);
            REQUIRE_FALSE(w.backup_path.empty());
            backups.insert(w.backup_path);
        }
        CHECK(backups.size() == 2);
        std::multiset<std::string> kept;
        for (const auto& b : backups) {
            std::string lb = std::string(c.name) == "sandbox" ? dir.path() + b : b;
            kept.insert(test::read_file(lb));
            CHECK(mode_of(lb) == 0640);
        }
        CHECK(kept == std::multiset<std::string>{"one\n", "two\n"});
        CHECK(test::read_file(c.local_path) == "three\n");
    }
}

TEST_CASE("backup: a planted link at the backup name is never followed", "[file_safety][backup]") {
    TempDir dir;
    test::write_file(dir / "victim", "victim\n");
    test::write_file(dir / "f.conf", "old\n");
    LocalConnection conn("local");
    // Plant links at every name the next seconds could give (pid and stamp are guessable).
    std::vector<std::string> planted;
    for (int s = 0; s < 3; ++s) {
        std::time_t t = std::time(nullptr) + s;
        std::tm tm{};
        localtime_r(&t, &tm);
        char stamp[64];
        std::strftime(stamp, sizeof stamp, "%Y-%m-%d@%H:%M:%S", &tm);
        std::string name = dir / ("f.conf." + std::to_string(::getpid()) + "." + stamp + "~");
        REQUIRE(::symlink((dir / "victim").c_str(), name.c_str()) == 0);
        planted.push_back(name);
    }
    WriteOptions opts;
    opts.backup = true;
    WriteResult w = conn.write_file(dir / "f.conf", "new\n", opts);
    CHECK(test::read_file(dir / "victim") == "victim\n");
    CHECK(test::read_file(w.backup_path) == "old\n");
    CHECK(std::find(planted.begin(), planted.end(), w.backup_path) == planted.end());
}

TEST_CASE("validate: private random temp file, a planted link is ignored", "[file_safety][validate]") {
    test::Sandbox sb;
    fs::create_directories(sb.local("/etc"));
    test::write_file(sb.local("/etc/app.conf"), "a=1\n");
    TempDir outside;
    test::write_file(outside / "victim", "victim\n");
    // The old code wrote to the fixed name <path>.upkeep-validate through this link.
    REQUIRE(::symlink((outside / "victim").c_str(), sb.local("/etc/app.conf.upkeep-validate").c_str()) == 0);
    std::string seen = outside / "seen";
    test::write_file(outside / "check.sh", "stat -c '%a %n' \"$1\" > " + seen + " && grep -q b=2 \"$1\"\n");
    std::string yaml = "path: /etc/app.conf\nline: b=2\nvalidate: sh " + (outside / "check.sh") + " %s";
    Plan plan = sb.check("lineinfile", yaml);
    sb.apply("lineinfile", yaml, plan);
    CHECK(test::read_file(outside / "victim") == "victim\n");
    std::string stat_line = test::read_file(seen);
    CHECK(stat_line.rfind("600 ", 0) == 0);
    CHECK(stat_line.find(".upkeep.") != std::string::npos);
    CHECK(stat_line.find("upkeep-validate") == std::string::npos);
    CHECK(names_with(sb.local("/etc"), ".upkeep.").empty());
    CHECK(test::read_file(sb.local("/etc/app.conf")) == "a=1\nb=2\n");
}

TEST_CASE("validate in --check runs on the candidate and writes nothing", "[file_safety][validate][check]") {
    test::Sandbox sb;
    fs::create_directories(sb.local("/etc"));
    test::write_file(sb.local("/etc/app.conf"), "a=1\n");
    const Module& m = test::Sandbox::module("lineinfile");
    for (auto [validate, ok] : {std::pair{"grep -q b=2 %s", true}, std::pair{"grep -q c=3 %s", false}}) {
        INFO(validate);
        PlannedConnection planned(sb.conn());
        ModuleContext ctx{planned, sb.vars, [](const Value&) { return Value(); }, sb.root()};
        Args args = test::Sandbox::args("lineinfile", std::string("path: /etc/app.conf\nline: b=2\nvalidate: '") + validate + "'");
        Plan plan = m.check(ctx, args);
        REQUIRE(plan.changed());
        if (ok) CHECK_NOTHROW(m.apply(ctx, args, plan));  // the old code failed here: the file existed only in the overlay
        else CHECK_THROWS_WITH(m.apply(ctx, args, plan), Catch::Contains("validation failed"));
        CHECK(test::read_file(sb.local("/etc/app.conf")) == "a=1\n");
        CHECK(names_with(sb.local("/etc"), ".upkeep").empty());
        CHECK(planned.would_run().empty());
    }
}

TEST_CASE("shell write path: the temp file gets its mode once, after its content", "[file_safety][shell]") {
    // On the become path the old script ran chmod --reference (0644) and then
    // chmod 0600: the secret was world-readable in between.
    TempDir dir;
    LocalConnection conn("local");
    std::vector<std::string> scripts;
    ShellFiles shell([&](const Command& c) {
        scripts.push_back(c.cmdline);
        return conn.run(c);
    }, "local");
    test::write_file(dir / "secret", "old\n");
    ::chmod((dir / "secret").c_str(), 0644);
    WriteOptions opts;
    opts.mode = 0600;
    shell.write_file(dir / "secret", "s3cret\n", opts);
    CHECK(mode_of(dir / "secret") == 0600);
    REQUIRE(scripts.size() == 1);
    size_t chmods = 0;
    for (size_t p = 0; (p = scripts[0].find("chmod ", p)) != std::string::npos; ++p)
        if (scripts[0].compare(p, 30, "chmod --reference=\"$p\" -- \"$b\"") != 0) ++chmods;
    CHECK(chmods == 1);
    CHECK(scripts[0].find("mktemp") != std::string::npos);
    CHECK(names_with(dir.path(), ".upkeep").empty());
}

TEST_CASE("disk full: target and backup intact, temp files gone, the error says so", "[file_safety][enospc]") {
    if (::geteuid() != 0) {
        WARN("needs root to mount a tmpfs: skipped");
        return;
    }
    LocalConnection conn("local");
    ShellFiles shell = local_shell_files(conn);
    for (const char* impl : {"local", "shell"}) {
        for (bool big_new : {true, false}) {
            INFO(impl << (big_new ? ": the new content does not fit" : ": the backup does not fit"));
            SmallTmpfs fs_small("96k");
            REQUIRE(fs_small.mounted);
            std::string target = fs_small.dir / "app.conf";
            std::string old(big_new ? 8 * 1024 : 40 * 1024, 'o');
            test::write_file(target, old);
            std::string fresh(big_new ? 200 * 1024 : 40 * 1024, 'n');
            WriteOptions opts;
            opts.backup = true;
            std::string err;
            try {
                if (std::string(impl) == "local") conn.write_file(target, fresh, opts);
                else shell.write_file(target, fresh, opts);
            } catch (const TaskError& e) {
                err = e.what();
            }
            CHECK(err.find("No space left on device") != std::string::npos);
            CHECK(err.find("error 0") == std::string::npos);
            CHECK(test::read_file(target) == old);
            auto names = names_with(fs_small.dir.path(), "");
            CHECK(names == std::vector<std::string>{"app.conf"});  // no temp file, no partial backup
        }
    }
}

TEST_CASE("non-regular targets are refused, never read or written", "[file_safety][fifo]") {
    TempDir dir;
    std::string fifo = dir / "pipe";
    REQUIRE(::mkfifo(fifo.c_str(), 0644) == 0);
    LocalConnection conn("local");
    ShellFiles shell = local_shell_files(conn);
    auto fast = [](auto fn) {
        auto f = std::async(std::launch::async, fn);
        REQUIRE(f.wait_for(std::chrono::seconds(20)) == std::future_status::ready);
        return f.get();
    };
    CHECK(fast([&] {
        try {
            conn.read_file(fifo);
        } catch (const TaskError& e) {
            return std::string(e.what());
        }
        return std::string();
    }).find("FIFO") != std::string::npos);
    CHECK(fast([&] {
        try {
            shell.read_file(fifo);
        } catch (const TaskError& e) {
            return std::string(e.what());
        }
        return std::string();
    }).find("not a regular file") != std::string::npos);
    CHECK_THROWS_WITH(conn.write_file(fifo, "x", WriteOptions{}), Catch::Contains("not a regular file"));
    CHECK_THROWS_WITH(shell.write_file(fifo, "x", WriteOptions{}), Catch::Contains("not a regular file"));
    CHECK_THROWS_WITH(conn.read_file("/dev/zero"), Catch::Contains("character device"));

    // The modules, in a real run and in --check.
    test::Sandbox sb;
    fs::create_directories(sb.local("/etc"));
    REQUIRE(::mkfifo(sb.local("/etc/pipe").c_str(), 0644) == 0);
    PlannedConnection planned(sb.conn());
    ModuleContext check_ctx{planned, sb.vars, [](const Value&) { return Value(); }, sb.root()};
    for (const char* mod : {"copy", "lineinfile", "replace"}) {
        INFO(mod);
        std::string yaml = std::string(mod) == "copy" ? "dest: /etc/pipe\ncontent: x" :
                           std::string(mod) == "lineinfile" ? "path: /etc/pipe\nline: x" : "path: /etc/pipe\nregexp: a\nreplace: b";
        fast([&] {
            CHECK_THROWS_WITH(sb.check(mod, yaml), Catch::Contains("not a regular file"));
            CHECK_THROWS_WITH(test::Sandbox::module(mod).check(check_ctx, test::Sandbox::args(mod, yaml)),
                              Catch::Contains("not a regular file"));
            return 0;
        });
    }
    LocalConnection machine("local");
    ModuleContext zero_ctx{machine, sb.vars, [](const Value&) { return Value(); }, sb.root()};
    fast([&] {
        CHECK_THROWS_WITH(test::Sandbox::module("lineinfile").check(zero_ctx, test::Sandbox::args("lineinfile", "path: /dev/zero\nline: x")),
                          Catch::Contains("character device"));
        return 0;
    });
}

TEST_CASE("copy follow: false replaces a link at dest, follow: true writes its target", "[file_safety][copy]") {
    test::Sandbox sb;
    fs::create_directories(sb.local("/etc"));
    test::write_file(sb.local("/etc/target.conf"), "target\n");
    REQUIRE(::symlink("/etc/target.conf", sb.local("/etc/link.conf").c_str()) == 0);
    sb.converge("copy", "dest: /etc/link.conf\ncontent: \"new\\n\"\nfollow: false");
    CHECK_FALSE(fs::is_symlink(sb.local("/etc/link.conf")));
    CHECK(test::read_file(sb.local("/etc/link.conf")) == "new\n");
    CHECK(test::read_file(sb.local("/etc/target.conf")) == "target\n");

    REQUIRE(::symlink("/etc/target.conf", sb.local("/etc/link2.conf").c_str()) == 0);
    sb.converge("copy", "dest: /etc/link2.conf\ncontent: \"via link\\n\"\nfollow: true");
    CHECK(fs::is_symlink(sb.local("/etc/link2.conf")));
    CHECK(test::read_file(sb.local("/etc/target.conf")) == "via link\n");
}

TEST_CASE("copy of a directory src: a link at a member's path is replaced, never written through", "[file_safety][copy]") {
    test::Sandbox sb;
    test::write_file(sb.root() + "/.playbook/files/conf/app.conf", "app\n");
    test::write_file(sb.root() + "/.playbook/files/conf/gone.conf", "gone\n");
    fs::create_directories(sb.local("/etc/app"));
    test::write_file(sb.local("/outside/secret"), "keep\n");
    // A member's path is a link out of dest, another a dangling link out of dest.
    // (Targets are host paths: the sandbox resolves them inside its root.)
    REQUIRE(::symlink("/outside/secret", sb.local("/etc/app/app.conf").c_str()) == 0);
    REQUIRE(::symlink("/outside/new", sb.local("/etc/app/gone.conf").c_str()) == 0);
    Plan p = sb.check("copy", "src: conf/\ndest: /etc/app\nmode: '0600'\n");
    REQUIRE(p.changes.size() == 2);
    CHECK_THAT(p.changes[0].summary, Catch::StartsWith("symbolic link (to "));
    // force: false leaves an existing link alone, as it does for one file.
    CHECK_FALSE(sb.check("copy", "src: conf/\ndest: /etc/app\nforce: false\n").changed());
    sb.converge("copy", "src: conf/\ndest: /etc/app\nmode: '0600'\n");
    CHECK_FALSE(fs::is_symlink(sb.local("/etc/app/app.conf")));
    CHECK(test::read_file(sb.local("/etc/app/app.conf")) == "app\n");
    CHECK(test::read_file(sb.local("/etc/app/gone.conf")) == "gone\n");
    CHECK(test::read_file(sb.local("/outside/secret")) == "keep\n");
    CHECK_FALSE(fs::exists(sb.local("/outside/new")));
    CHECK((fs::status(sb.local("/outside/secret")).permissions() & fs::perms::group_read) != fs::perms::none);
    // follow: true writes through the link, as Ansible's follow does.
    REQUIRE(::symlink("/outside/secret", sb.local("/etc/app/via.conf").c_str()) == 0);
    test::write_file(sb.root() + "/.playbook/files/conf/via.conf", "via\n");
    sb.converge("copy", "src: conf/\ndest: /etc/app\nfollow: true\n");
    CHECK(fs::is_symlink(sb.local("/etc/app/via.conf")));
    CHECK(test::read_file(sb.local("/outside/secret")) == "via\n");
}

TEST_CASE("stale .upkeep temp files of a killed run are removed, live ones kept", "[file_safety][stale]") {
    TempDir dir;
    LocalConnection conn("local");
    ShellFiles shell = local_shell_files(conn);
    for (bool via_shell : {false, true}) {
        INFO((via_shell ? "shell" : "local"));
        test::write_file(dir / ".upkeep.stale1", std::string(1000, 'x'));
        test::write_file(dir / ".upkeep.fresh1", "y");
        test::write_file(dir / "other.tmp", "z");
        struct timespec old[2] = {{std::time(nullptr) - 2 * 3600, 0}, {std::time(nullptr) - 2 * 3600, 0}};
        REQUIRE(::utimensat(AT_FDCWD, (dir / ".upkeep.stale1").c_str(), old, 0) == 0);
        REQUIRE(::utimensat(AT_FDCWD, (dir / "other.tmp").c_str(), old, 0) == 0);
        if (via_shell) shell.write_file(dir / "f", "1", WriteOptions{});
        else conn.write_file(dir / "f", "1", WriteOptions{});
        CHECK_FALSE(fs::exists(dir / ".upkeep.stale1"));
        CHECK(fs::exists(dir / ".upkeep.fresh1"));
        CHECK(fs::exists(dir / "other.tmp"));
        fs::remove(dir / ".upkeep.fresh1");
    }
}
