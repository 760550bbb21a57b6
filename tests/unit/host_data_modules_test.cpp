// find, slurp, fetch, wait_for and pause on a sandbox host: Ansible's filters
// and results, idempotence, and what the dry run does (fetch's controller write
// is "would run"). Ports are real listeners on 127.0.77.x started here.
// (Against ansible-playbook: integration/ansible_diff_host_data_test.cpp.)
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <thread>

#include "engine/connection/planned_connection.hpp"
#include "engine/util/strings.hpp"
#include "modules/host_data.hpp"
#include "tests/unit/module_sandbox.hpp"

using namespace upkeep;

namespace {

std::vector<std::string> paths_of(const Plan& p, const std::string& root = "") {
    std::vector<std::string> out;
    for (const auto& f : p.result.get("files").as_list()) out.push_back(f.get("path").as_string().substr(root.size()));
    std::sort(out.begin(), out.end());
    return out;
}

// A TCP listener on 127.0.77.<n>, port chosen by the kernel; accepted
// connections get `banner` and are closed.
class Listener {
public:
    explicit Listener(const std::string& addr, std::string banner = "") : m_banner(std::move(banner)) {
        m_fd = ::socket(AF_INET, SOCK_STREAM, 0);
        int one = 1;
        ::setsockopt(m_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        ::inet_pton(AF_INET, addr.c_str(), &a.sin_addr);
        REQUIRE(::bind(m_fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
        socklen_t len = sizeof a;
        ::getsockname(m_fd, reinterpret_cast<sockaddr*>(&a), &len);
        m_port = ntohs(a.sin_port);
        REQUIRE(::listen(m_fd, 8) == 0);
        m_thread = std::thread([this] {
            for (;;) {
                int c = ::accept(m_fd, nullptr, nullptr);
                if (c < 0) return;
                if (!m_banner.empty()) (void)!::write(c, m_banner.data(), m_banner.size());
                ::close(c);
            }
        });
    }
    ~Listener() { stop(); }
    void stop() {
        if (m_fd < 0) return;
        ::shutdown(m_fd, SHUT_RDWR);
        ::close(m_fd);
        m_fd = -1;
        m_thread.join();
    }
    int port() const { return m_port; }

private:
    std::string m_banner;
    int m_fd = -1;
    int m_port = 0;
    std::thread m_thread;
};

}  // namespace

TEST_CASE("py_fnmatch follows Python's fnmatch", "[find]") {
    CHECK(py_fnmatch("a.conf", "*.conf"));
    CHECK_FALSE(py_fnmatch("a.conf.bak", "*.conf"));
    CHECK(py_fnmatch("a/b.c", "*.c"));  // '*' crosses '/' in fnmatch
    CHECK(py_fnmatch("x1", "x[0-9]"));
    CHECK_FALSE(py_fnmatch("x1", "x[!0-9]"));
    CHECK(py_fnmatch("x]", "x[]]"));
    CHECK(py_fnmatch("[a", "[a"));  // an unclosed '[' is literal
    CHECK(py_fnmatch("ab", "a?"));
    CHECK_FALSE(py_fnmatch("Ab", "a*"));  // case-sensitive on POSIX
    CHECK(base64_decode(base64_encode(std::string("\0\xff ok", 5))) == std::string("\0\xff ok", 5));
}

TEST_CASE("find: patterns, regexps, excludes, types, hidden, recurse, depth, size, contains, age", "[find]") {
    test::Sandbox box;
    test::write_file(box.local("/d/a.conf"), "port=1\nname=x\n");
    test::write_file(box.local("/d/b.conf"), "name=y\r\nport=2\r\n");
    test::write_file(box.local("/d/c.txt"), std::string(3000, 'z'));
    test::write_file(box.local("/d/.hidden.conf"), "h\n");
    test::write_file(box.local("/d/sub/deep.conf"), "port=3\n");
    test::write_file(box.local("/d/sub/deeper/x.conf"), "\xff\xfe port=9\n");  // not UTF-8: contains never matches
    test::write_file(box.local("/d/.hdir/visible.conf"), "v\n");
    ::symlink("a.conf", box.local("/d/link.conf").c_str());
    test::must("touch -d '10 days ago' " + box.local("/d/a.conf"));

    Plan p = box.check("find", "paths: /d\npatterns: '*.conf'\n");
    CHECK_FALSE(p.changed());
    CHECK(paths_of(p) == std::vector<std::string>{"/d/a.conf", "/d/b.conf"});
    CHECK(p.result.get("matched").as_int() == 2);
    CHECK(p.result.get("examined").as_int() == 7);  // a b c .hidden sub .hdir link
    const Value& f = p.result.get("files").as_list()[0];
    for (const char* k : {"mode", "isreg", "islnk", "uid", "gid", "size", "inode", "dev", "nlink", "atime", "mtime", "ctime",
                          "pw_name", "gr_name", "rusr", "xoth", "isuid"})
        CHECK(f.has(k));
    CHECK(f.get("isreg").as_bool());
    CHECK(f.get("mtime").is_double());

    CHECK(paths_of(box.check("find", "paths: /d\npatterns: '*.conf'\nhidden: true\n")) ==
          std::vector<std::string>{"/d/.hidden.conf", "/d/a.conf", "/d/b.conf"});
    // Ansible's quirk: a hidden directory is not listed, its visible files are.
    CHECK(paths_of(box.check("find", "paths: /d\npatterns: '*.conf'\nrecurse: true\n")) ==
          std::vector<std::string>{"/d/.hdir/visible.conf", "/d/a.conf", "/d/b.conf", "/d/sub/deep.conf",
                                   "/d/sub/deeper/x.conf"});
    Plan depth = box.check("find", "paths: /d\npatterns: '*.conf'\nrecurse: true\ndepth: 2\n");
    CHECK(paths_of(depth) == std::vector<std::string>{"/d/.hdir/visible.conf", "/d/a.conf", "/d/b.conf", "/d/sub/deep.conf"});
    CHECK(depth.result.get("examined").as_int() == 11);  // one level past depth is counted, as Ansible does
    CHECK(paths_of(box.check("find", "paths: /d\npatterns: ['*.conf', '*.txt']\nexcludes: 'b*'\n")) ==
          std::vector<std::string>{"/d/a.conf", "/d/c.txt"});
    CHECK(paths_of(box.check("find", "paths: /d\npatterns: '^[ab]\\.'\nuse_regex: true\n")) ==
          std::vector<std::string>{"/d/a.conf", "/d/b.conf"});
    CHECK(paths_of(box.check("find", "paths: /d\nfile_type: directory\n")) == std::vector<std::string>{"/d/sub"});
    CHECK(paths_of(box.check("find", "paths: /d\nfile_type: link\n")) == std::vector<std::string>{"/d/link.conf"});
    CHECK(paths_of(box.check("find", "paths: /d\nsize: 2k\n")) == std::vector<std::string>{"/d/c.txt"});
    CHECK(paths_of(box.check("find", "paths: /d\nsize: -1k\n")) == std::vector<std::string>{"/d/a.conf", "/d/b.conf"});
    // contains: re.match per line, universal newlines.
    CHECK(paths_of(box.check("find", "paths: /d\ncontains: 'port=\\d$'\nrecurse: true\n")) ==
          std::vector<std::string>{"/d/a.conf", "/d/b.conf", "/d/sub/deep.conf"});
    CHECK(paths_of(box.check("find", "paths: /d\ncontains: '=y'\n")).empty());  // re.match: anchored at the line's start
    CHECK(paths_of(box.check("find", "paths: /d\ncontains: '=y'\nread_whole_file: true\n")) ==
          std::vector<std::string>{"/d/b.conf"});
    CHECK(paths_of(box.check("find", "paths: /d\nage: 5d\n")) == std::vector<std::string>{"/d/a.conf"});
    CHECK(paths_of(box.check("find", "paths: /d\nage: -1h\n")) == std::vector<std::string>{"/d/b.conf", "/d/c.txt"});
    Plan sums = box.check("find", "paths: /d\npatterns: a.conf\nget_checksum: true\n");
    CHECK(sums.result.get("files").as_list()[0].get("checksum").as_string() == digest_hex("sha1", "port=1\nname=x\n"));

    Plan missing = box.check("find", "paths: [/d/a.conf, /nowhere, /d/sub]\n");
    CHECK(paths_of(missing) == std::vector<std::string>{"/d/sub/deep.conf"});
    CHECK(missing.result.get("skipped_paths").get("/d/a.conf").as_string() == "'/d/a.conf' is not a directory");
    CHECK(missing.result.get("msg").as_string() == "Not all paths examined, check warnings for details");
    CHECK_THROWS_WITH(box.check("find", "paths: /d\nage: 3x\n"), Catch::Contains("failed to process age"));
}

TEST_CASE("slurp returns the file base64-encoded, fails like Ansible", "[slurp]") {
    test::Sandbox box;
    test::write_file(box.local("/etc/app.conf"), std::string("key=v\n\0bin", 10));
    Plan p = box.check("slurp", "src: /etc/app.conf\n");
    CHECK_FALSE(p.changed());
    CHECK(p.result.get("content").as_string() == base64_encode(std::string("key=v\n\0bin", 10)));
    CHECK(p.result.get("encoding").as_string() == "base64");
    CHECK(p.result.get("source").as_string() == "/etc/app.conf");
    CHECK_THROWS_WITH(box.check("slurp", "path: /etc/none\n"), "file not found: /etc/none");
    CHECK_THROWS_WITH(box.check("slurp", "src: /etc\n"), "source is a directory and must be a file: /etc");
}

TEST_CASE("fetch: host file to the controller, layout, idempotence, dry run", "[fetch]") {
    test::Sandbox box;
    test::TempDir ctl;
    test::write_file(box.local("/etc/app/db.properties"), "db.password=x\n");
    box.vars["inventory_hostname"] = Value("web1");

    std::string dest = ctl.path() + "/backups";
    // Dry run: planned with exact bytes, the controller write recorded as would run.
    PlannedConnection planned(box.conn());
    ModuleContext dry{planned, box.vars, nullptr, box.root()};
    const Module& m = test::Sandbox::module("fetch");
    Args a = test::Sandbox::args("fetch", "src: /etc/app/db.properties\ndest: " + dest + "\n");
    Plan dp = m.check(dry, a);
    REQUIRE(dp.changed());
    CHECK(*dp.changes[0].after == "db.password=x\n");
    CHECK_FALSE(dp.changes[0].before.has_value());
    m.apply(dry, a, dp);
    CHECK_FALSE(test::exists(dest));

    Value r;
    Plan p = box.converge("fetch", "src: /etc/app/db.properties\ndest: " + dest + "\n", &r);
    REQUIRE(p.changed());
    CHECK(p.result.get("dest").as_string() == dest + "/web1/etc/app/db.properties");
    CHECK(test::read_file(dest + "/web1/etc/app/db.properties") == "db.password=x\n");
    CHECK(r.get("checksum").as_string() == digest_hex("sha1", "db.password=x\n"));
    CHECK(p.result.get("md5sum").as_string() == digest_hex("md5", "db.password=x\n"));

    box.converge("fetch", "src: /etc/app/db.properties\ndest: " + ctl.path() + "/flat/\nflat: true\n");
    CHECK(test::read_file(ctl.path() + "/flat/db.properties") == "db.password=x\n");
    test::write_file(box.local("/etc/app/db.properties"), "db.password=changed\n");
    Plan again = box.converge("fetch", "src: /etc/app/db.properties\ndest: " + ctl.path() + "/flat/\nflat: true\n");
    REQUIRE(again.changed());
    CHECK(*again.changes[0].before == "db.password=x\n");
    // A relative dest is taken from the playbook's directory.
    box.converge("fetch", "src: /etc/app/db.properties\ndest: copy.txt\nflat: true\n");
    CHECK(test::read_file(box.ctx().playbook_dir + "/copy.txt") == "db.password=changed\n");

    CHECK_THROWS_WITH(box.check("fetch", "src: /etc/none\ndest: " + dest + "\n"),
                      "the remote file does not exist, not transferring, ignored");
    CHECK_FALSE(box.check("fetch", "src: /etc/none\ndest: " + dest + "\nfail_on_missing: false\n").changed());
    CHECK_THROWS_WITH(box.check("fetch", "src: /etc/app\ndest: " + dest + "\n"), Catch::Contains("fetch cannot work on directories"));
    CHECK_THROWS_WITH(box.check("fetch", "src: /etc/app/db.properties\ndest: " + dest + "\nflat: true\n"),
                      Catch::Contains("dest is an existing directory"));
    CHECK_THROWS_WITH(box.check("fetch", "src: ../../../../../../etc/app/db.properties\ndest: " + dest + "\n"),
                      Catch::Contains("Detected directory traversal"));
}

TEST_CASE("wait_for: files and ports as seen from the host", "[wait_for]") {
    test::Sandbox box;
    test::write_file(box.local("/run/app.log"), "booting\nlistening on port 8443 (tls)\n");
    Plan p = box.check("wait_for", "path: /run/app.log\nsearch_regex: 'port (?P<port>\\d+) \\((\\w+)\\)'\ntimeout: 2\n");
    CHECK_FALSE(p.changed());
    CHECK(p.result.get("match_groupdict").get("port").as_string() == "8443");
    CHECK(p.result.get("match_groups").as_list().size() == 2);
    CHECK(p.result.get("match_groups").as_list()[1].as_string() == "tls");
    CHECK(p.result.get("elapsed").as_int() == 0);

    // A file that appears while waiting.
    std::thread later([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(1200));
        test::write_file(box.local("/run/ready"), "");
    });
    Plan appear = box.check("wait_for", "path: /run/ready\ntimeout: 10\n");
    later.join();
    CHECK_FALSE(appear.result.get("failed").truthy());
    CHECK(appear.result.get("elapsed").as_int() >= 1);

    test::Failure timeout = test::failure_of([&] { box.check("wait_for", "path: /run/never\ntimeout: 1\n"); });
    CHECK(timeout.msg == "Timeout when waiting for file /run/never");
    CHECK(timeout.result.get("elapsed").as_int() >= 1);
    CHECK_FALSE(box.check("wait_for", "path: /run/never\nstate: absent\ntimeout: 1\n").result.get("failed").truthy());
    CHECK(test::failure_of([&] { box.check("wait_for", "path: /run/app.log\nstate: absent\ntimeout: 1\nmsg: still there\n"); }).msg ==
          "still there");

    Listener l("127.0.77.1", "SSH-2.0-test\r\n");
    std::string port = std::to_string(l.port());
    CHECK_FALSE(box.check("wait_for", "host: 127.0.77.1\nport: " + port + "\ntimeout: 5\n").result.get("failed").truthy());
    Plan banner = box.check("wait_for", "host: 127.0.77.1\nport: " + port + "\nsearch_regex: '^SSH-(\\S+)'\ntimeout: 5\n");
    CHECK_FALSE(banner.result.get("failed").truthy());
    CHECK(banner.result.get("match_groups").as_list()[0].as_string() == "2.0-test");
    CHECK(test::failure_of([&] { box.check("wait_for", "host: 127.0.77.1\nport: " + port + "\nstate: stopped\ntimeout: 1\n"); }).msg ==
          "Timeout when waiting for 127.0.77.1:" + port + " to stop.");
    l.stop();
    CHECK_FALSE(box.check("wait_for", "host: 127.0.77.1\nport: " + port + "\nstate: stopped\ntimeout: 3\n").result.get("failed").truthy());
    CHECK(test::failure_of([&] { box.check("wait_for", "host: 127.0.77.1\nport: " + port + "\ntimeout: 1\n"); }).msg ==
          "Timeout when waiting for 127.0.77.1:" + port);
    CHECK_THROWS_WITH(box.check("wait_for", "port: 1\npath: /x\n"), Catch::Contains("can not both be passed"));
    CHECK_THROWS_WITH(box.check("wait_for", "host: '127.0.0.1; touch /tmp/x'\nport: 1\n"), Catch::Contains("bad host"));
}

TEST_CASE("pause: seconds pass, a prompt without a terminal is refused", "[pause]") {
    test::Sandbox box;
    Plan p = box.check("pause", "seconds: 1\n");
    CHECK_FALSE(p.changed());
    CHECK(p.result.get("delta").as_int() == 1);
    CHECK(starts_with(p.result.get("stdout").as_string(), "Paused for 1.0"));
    CHECK(p.result.get("user_input").as_string().empty());
    if (!::isatty(STDIN_FILENO))
        CHECK_THROWS_WITH(box.check("pause", "prompt: Continue?\n"), Catch::Contains("stdin is not a terminal"));
    CHECK_THROWS_WITH(test::Sandbox::args("pause", "seconds: 1\nminutes: 1\n"), Catch::Contains("mutually exclusive"));
}

TEST_CASE("find over the dry run's planned state sees planned files, not removed ones", "[find]") {
    test::Sandbox box;
    test::write_file(box.local("/d/old.conf"), "old\n");
    test::write_file(box.local("/d/keep.conf"), "keep\n");
    PlannedConnection planned(box.conn());
    planned.write_file("/d/new.conf", "port=1\n", WriteOptions{});
    planned.make_dirs("/d/sub", std::nullopt);
    planned.write_file("/d/sub/deep.conf", "x\n", WriteOptions{});
    planned.remove("/d/old.conf", false);
    ModuleContext dry{planned, box.vars, nullptr, box.root()};
    const Module& m = test::Sandbox::module("find");
    Plan p = m.check(dry, test::Sandbox::args("find", "paths: /d\npatterns: '*.conf'\nrecurse: true\ncontains: '\\w'\n"));
    CHECK(paths_of(p) == std::vector<std::string>{"/d/keep.conf", "/d/new.conf", "/d/sub/deep.conf"});
    for (const auto& f : p.result.get("files").as_list())
        if (f.get("path").as_string() == "/d/keep.conf") CHECK(f.get("inode").as_int() > 0);  // the host's fields
    CHECK(paths_of(box.check("find", "paths: /d\n")) == std::vector<std::string>{"/d/keep.conf", "/d/old.conf"});
}

TEST_CASE("find keeps what it listed when part of a tree is unreadable, and says so", "[find]") {
    test::Sandbox box;
    test::write_file(box.local("/d/a.conf"), "a\n");
    // The sandbox's own find (its PATH comes first) stands in for a host whose
    // find hits an unreadable directory: output so far, an error, rc 1.
    test::write_file(box.local("/usr/bin/find"),
                     "#!/bin/sh\n/usr/bin/find \"$@\"\necho \"find: '/d/locked': Permission denied\" >&2\nexit 1\n");
    test::must("chmod 0755 " + box.local("/usr/bin/find"));
    Plan p = box.check("find", "paths: /d\nrecurse: true\n");
    CHECK(paths_of(p).size() == 1);
    CHECK(p.result.get("skipped_paths").get("/d").as_string() == "find: '/d/locked': Permission denied");
    CHECK(p.result.get("msg").as_string() == "Not all paths examined, check warnings for details");
}
