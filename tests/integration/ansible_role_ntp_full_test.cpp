// The public ntp role (/work/shared/conformance/ansible-roles/ntp, unmodified) run
// end to end by ansible-playbook and by upkeep against this machine, one after the
// other: the same recap (ok/changed/failed/skipped), the same ntp.conf bytes, the
// same boot links and daemon state, and a second upkeep run that changes nothing.
//
// What keeps it harmless: the role's variables point it at things the test owns.
// ntp_package and ntp_tzdata_package are `tzdata` (installed already: no package is
// installed), ntp_timezone is this machine's own zone (the task stays "ok"), the
// daemon is a stand-in SysV script /etc/init.d/upkeep-t-ntp whose "daemon" is a
// state file, and the config goes to a temporary directory. The script, its state
// and its rc links are removed before and after each side (also on failure).
// What the role exercises: include_vars with_first_found on gathered facts,
// set_fact, package, timezone, service_facts, service (started+enabled, a
// `services` lookup), template with a notify, a handler, templated ignore_errors.
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <regex>

#include "engine/util/strings.hpp"
#include "tests/support/test_support.hpp"

using namespace upkeep;
namespace fs = std::filesystem;

namespace {

// Several checkouts on one machine (parallel CI runs, other worktrees) would fight
// over the same machine-wide names: one run at a time holds this lock.
struct MachineLock {
    int fd = -1;
    explicit MachineLock(const char* path) {
        fd = ::open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        if (fd >= 0) ::flock(fd, LOCK_EX);
    }
    ~MachineLock() {
        if (fd >= 0) ::close(fd);
    }
};

const char* k_corpus = "/work/shared/conformance/ansible-roles";
const char* k_script = "/etc/init.d/upkeep-t-ntp";

struct DaemonGuard {
    DaemonGuard() { clean(); }
    ~DaemonGuard() { clean(); }
    static void clean() {
        test::sh("[ -x /etc/init.d/upkeep-t-ntp ] && update-rc.d -f upkeep-t-ntp remove >/dev/null 2>&1; "
                 "rm -f /etc/init.d/upkeep-t-ntp /run/upkeep-t-ntp.state /etc/rc?.d/[SK]??upkeep-t-ntp");
    }
    static void install() {
        test::write_file(k_script,
                         "#!/bin/sh\n"
                         "### BEGIN INIT INFO\n"
                         "# Provides:          upkeep-t-ntp\n"
                         "# Required-Start:\n# Required-Stop:\n"
                         "# Default-Start:     2 3 4 5\n# Default-Stop:      0 1 6\n"
                         "# Short-Description: upkeep test stand-in for an NTP daemon\n"
                         "### END INIT INFO\n"
                         "s=/run/upkeep-t-ntp.state\n"
                         "case \"$1\" in\n"
                         "  start) echo running > $s ;;\n"
                         "  stop) rm -f $s ;;\n"
                         "  restart|reload|force-reload) echo running > $s; echo restarted >> $s.log ;;\n"
                         "  status) [ -f $s ] || exit 3 ;;\n"
                         "esac\n");
        fs::permissions(k_script, fs::perms(0755));
    }
};

// "ok=8 changed=1 ... " of the recap line, spacing normalised.
std::string recap(const std::string& out) {
    std::smatch m;
    static const std::regex re(R"(localhost\s*:\s*(ok=\d+)\s+(changed=\d+)\s+(unreachable=\d+)\s+(failed=\d+)\s+(skipped=\d+))");
    if (!std::regex_search(out, m, re)) return "no recap";
    return m.str(1) + " " + m.str(2) + " " + m.str(3) + " " + m.str(4) + " " + m.str(5);
}

std::string links() {
    std::string out;
    for (const char* rl : {"0", "1", "2", "3", "4", "5", "6"})
        for (const auto& e : fs::directory_iterator(std::string("/etc/rc") + rl + ".d"))
            if (e.path().filename().string().find("upkeep-t-ntp") != std::string::npos) out += e.path().string() + " ";
    return out;
}

struct Side {
    std::string first, second, conf, links, state;
};

}  // namespace

TEST_CASE("the ntp role runs unchanged: ansible-playbook and upkeep agree on a full run", "[ansible][integration][roles][ntp]") {
    if (test::sh("command -v ansible-playbook").rc != 0) FAIL("ansible-playbook is not installed (bash .ci/setup test)");
    if (!fs::exists(std::string(k_corpus) + "/ntp")) FAIL(std::string("the role corpus is missing: ") + k_corpus);
    if (test::sh("command -v update-rc.d && [ -d /etc/rc2.d ]").rc != 0) FAIL("update-rc.d and /etc/rc?.d are needed (init-system-helpers)");
    std::string zone = trim(test::read_file("/etc/timezone"));
    REQUIRE(!zone.empty());
    MachineLock lock("/run/lock/upkeep-test-ntp-role.lock");
    DaemonGuard guard;
    test::TempDir work;
    test::write_file(work / "site.yml", "- hosts: all\n  roles:\n    - ntp\n");
    test::write_file(work / "hosts", "localhost ansible_connection=local ansible_python_interpreter=/usr/bin/python3\n");
    auto run_side = [&](const std::string& name, const std::string& cmd, bool second_run) {
        DaemonGuard::clean();
        DaemonGuard::install();
        std::string dir = work / name;
        fs::create_directories(dir);
        test::write_file(dir + "/vars.yml", "ntp_enabled: true\nntp_package: tzdata\nntp_tzdata_package: tzdata\n"
                                            "ntp_timezone: " + zone + "\nntp_daemon: upkeep-t-ntp\nntp_manage_config: true\n"
                                            "ntp_config_file: " + dir + "/ntp.conf\nntp_driftfile: /var/lib/ntpsec/ntp.drift\n"
                                            "ntp_servers: ['0.pool.example.org iburst', '1.pool.example.org']\n");
        std::string env = "cd " + shell_quote(work.path()) + " && ANSIBLE_ROLES_PATH=" + k_corpus +
                          " ANSIBLE_NOCOLOR=1 ANSIBLE_RETRY_FILES_ENABLED=0 ";
        Side s;
        test::Run a = test::sh(env + cmd + " -e @" + shell_quote(dir + "/vars.yml"));
        INFO(name << " first run:\n" << a.out);
        CHECK(a.rc == 0);
        s.first = recap(a.out);
        // Ansible's own second run is not needed (its idempotence is not under test) and
        // costs half a minute; upkeep's must change nothing.
        if (second_run) {
            test::Run b = test::sh(env + cmd + " -e @" + shell_quote(dir + "/vars.yml"));
            INFO(name << " second run:\n" << b.out);
            CHECK(b.rc == 0);
            s.second = recap(b.out);
        }
        // The config path differs per side: compare the bytes with it written as @D@.
        s.conf = test::exists(dir + "/ntp.conf") ? test::read_file(dir + "/ntp.conf") : "(missing)";
        for (size_t p; (p = s.conf.find(dir)) != std::string::npos;) s.conf.replace(p, dir.size(), "@D@");
        s.links = links();
        s.state = test::exists("/run/upkeep-t-ntp.state") ? "running" : "stopped";
        return s;
    };
    Side theirs = run_side("ansible", "ansible-playbook -i hosts site.yml", false);
    Side ours = run_side("upkeep", shell_quote(UPKEEP_BINARY) + " play site.yml -i hosts", true);
    CHECK(ours.first == theirs.first);
    CHECK(ours.second.find("changed=0 unreachable=0 failed=0") != std::string::npos);
    CHECK(ours.conf == theirs.conf);
    CHECK(ours.conf.find("0.pool.example.org iburst") != std::string::npos);
    CHECK(ours.links == theirs.links);
    CHECK(ours.state == "running");
    CHECK(theirs.state == "running");
    std::printf("ntp role full run: ansible %s; upkeep %s, second run %s\n", theirs.first.c_str(), ours.first.c_str(),
                ours.second.c_str());
}
