// Differential test against Ansible for user and group. Both sides run on this
// machine's real account databases (useradd & co. have no other honest target for
// ansible-playbook -c local), one after the other with the same names and ids:
// Ansible first, its accounts recorded and removed, then upkeep's modules (check,
// then apply). Every name starts with `upkeep_t_`; a guard removes them before and
// after each side (also when the test fails), so no account is left behind.
// Compared: each task's changed/failed flag (two passes: idempotence) and the
// resulting passwd/group/shadow-password lines and home directories.
#include <sys/stat.h>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <map>

#include "engine/connection/local_connection.hpp"
#include "engine/util/strings.hpp"
#include "engine/value/yaml.hpp"
#include "modules/registry.hpp"
#include "tests/support/diff_tree.hpp"
#include "tests/support/test_support.hpp"

using namespace upkeep;
namespace fs = std::filesystem;

namespace {

using test::substitute;
using test::indent;

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

const char* k_users[] = {"upkeep_t_u1", "upkeep_t_u2", "upkeep_t_u3", "upkeep_t_u4"};
const char* k_groups[] = {"upkeep_t_g1", "upkeep_t_g2", "upkeep_t_g3", "upkeep_t_u1", "upkeep_t_u2", "upkeep_t_u3", "upkeep_t_u4"};
// A SHA-512 crypt hash of "secret" (a fixed salt, so both sides set the same bytes).
const char* k_hash = "$6$upkeepsalt$Nw0x2E0w0eDbrYQm0F4sA9XqpP0kBk3mJZ8t3h2wLQvEoTt2s9nK0FbXhQ8m2iXWcTqK7yq1d2y7zKcB6wQ1L/";

struct AccountGuard {
    AccountGuard() { clean(); }
    ~AccountGuard() { clean(); }
    static void clean() {
        for (const char* u : k_users) test::sh(std::string("userdel -r -f ") + u + " >/dev/null 2>&1");
        for (const char* g : k_groups) test::sh(std::string("groupdel ") + g + " >/dev/null 2>&1");
    }
};

std::vector<std::pair<std::string, std::string>> tasks() {
    std::string hash = k_hash;
    return {
        {"group", "name: upkeep_t_g1\ngid: 64201\n"},
        {"group", "name: upkeep_t_g2\nsystem: true\n"},
        {"group", "name: upkeep_t_g3\ngid: 64203\n"},
        {"group", "name: upkeep_t_g3\ngid: 64204\n"},
        {"user", "name: upkeep_t_u1\nuid: 64201\ngroup: upkeep_t_g1\ngroups: [upkeep_t_g2]\ncomment: Test One\nshell: /bin/sh\ncreate_home: false\n"},
        {"user", "name: upkeep_t_u1\nshell: /bin/bash\ncomment: Test 1\n"},
        {"user", "name: upkeep_t_u1\ngroups: []\n"},
        {"user", "name: upkeep_t_u1\ngroups: upkeep_t_g3\nappend: true\n"},
        {"user", "name: upkeep_t_u1\ngroups: [upkeep_t_g2]\nappend: true\n"},
        {"user", "name: upkeep_t_u2\nuid: 64202\nhome: @D@/home/u2\n"},
        {"user", "name: upkeep_t_u2\npassword: '" + hash + "'\n"},
        {"user", "name: upkeep_t_u2\npassword_lock: true\n"},
        // usermod -m moves the home: nothing is created there besides (no stray skel).
        {"user", "name: upkeep_t_u2\nhome: @D@/home/u2moved\nmove_home: true\n"},
        {"user", "name: upkeep_t_u3\nuid: 64203\ngroup: upkeep_t_nosuchgroup\n"},
        {"user", "name: upkeep_t_u3\nuid: 64203\ngroups: [upkeep_t_nosuchgroup]\n"},
        {"user", "name: upkeep_t_u4\nuid: 64204\nsystem: true\ncreate_home: false\n"},
        {"user", "name: upkeep_t_u4\nstate: absent\n"},
        {"user", "name: upkeep_t_u3\nstate: absent\n"},
        {"group", "name: upkeep_t_g3\nstate: absent\n"},
        {"group", "name: upkeep_t_nothere\nstate: absent\n"},
    };
}

// The test accounts' lines (shadow: name and password only, the dates vary) and the
// home tree under `dir`, with `dir` itself written as @D@.
std::map<std::string, std::string> accounts(const std::string& dir) {
    std::map<std::string, std::string> out;
    for (const char* file : {"/etc/passwd", "/etc/group", "/etc/shadow", "/etc/gshadow"})
        for (const auto& l : split(test::read_file(file), '\n')) {
            if (!starts_with(l, "upkeep_t_")) continue;
            std::string line = l;
            if (std::string(file) == "/etc/shadow") line = join(std::vector<std::string>{split(l, ':')[0], split(l, ':')[1]}, ":");
            out[std::string(file) + " " + line.substr(0, line.find(':'))] = substitute(line, "") == line ? line : line;
        }
    for (auto& [k, v] : out)
        for (size_t p; (p = v.find(dir)) != std::string::npos;) v.replace(p, dir.size(), "@D@");
    if (fs::exists(dir + "/home"))
        for (const auto& e : fs::recursive_directory_iterator(dir + "/home")) {
            struct stat st;
            REQUIRE(::lstat(e.path().c_str(), &st) == 0);
            char desc[64];
            std::snprintf(desc, sizeof desc, "%04o %u:%u", st.st_mode & 07777, st.st_uid, st.st_gid);
            out["home " + e.path().string().substr(dir.size())] = desc;
        }
    return out;
}

}  // namespace

TEST_CASE("user and group match Ansible (upkeep_t_ accounts, removed afterwards)", "[ansible][integration][user][group]") {
    if (test::sh("command -v ansible-playbook").rc != 0) FAIL("ansible-playbook is not installed (bash .ci/setup test)");
    if (::geteuid() != 0) FAIL("user/group differential needs root (useradd)");
    MachineLock lock("/run/lock/upkeep-test-accounts.lock");
    AccountGuard guard;
    test::TempDir work;
    std::string dir = work / "accounts", pb = work / "playbook";
    fs::create_directories(dir + "/home");
    auto list = tasks();
    const size_t n = list.size();
    std::string play = "- hosts: localhost\n  gather_facts: false\n  tasks:\n";
    for (size_t pass = 0; pass < 2; ++pass)
        for (size_t i = 0; i < n; ++i) {
            play += "    - " + list[i].first + ":\n" + indent(substitute(list[i].second, dir), "        ");
            play += "      register: r" + std::to_string(pass * n + i) + "\n      ignore_errors: true\n";
        }
    play += "    - copy:\n        dest: " + pb + "/flags.txt\n        content: \"{% for i in range(" + std::to_string(2 * n) +
            ") %}{{ lookup('vars', 'r' ~ i).changed | default(false) }} {{ lookup('vars', 'r' ~ i).failed | "
            "default(false) }}\\n{% endfor %}\"\n";
    test::write_file(pb + "/site.yml", play);
    test::Run run = test::sh("cd " + shell_quote(pb) +
                             " && ANSIBLE_PYTHON_INTERPRETER=/usr/bin/python3 ANSIBLE_NOCOLOR=1 "
                             "ANSIBLE_RETRY_FILES_ENABLED=0 ansible-playbook -i localhost, -c local site.yml");
    INFO(run.out);
    REQUIRE(run.rc == 0);
    std::vector<std::string> flags;
    for (const auto& l : split(test::read_file(pb + "/flags.txt"), '\n'))
        if (!l.empty()) flags.push_back(l);
    REQUIRE(flags.size() == 2 * n);
    auto theirs = accounts(dir);
    AccountGuard::clean();
    fs::remove_all(dir + "/home");
    fs::create_directories(dir + "/home");

    LocalConnection conn("local");
    Value vars;
    ModuleContext ctx{conn, vars, nullptr, pb};
    size_t agree = 0;
    for (size_t pass = 0; pass < 2; ++pass)
        for (size_t i = 0; i < n; ++i) {
            const Module* m = find_module(list[i].first);
            REQUIRE(m);
            bool changed = false, failed = false;
            std::string yaml = substitute(list[i].second, dir);
            try {
                Args a = validate_args(m->spec(), parse_yaml(yaml, "task.yml"));
                Plan p = m->check(ctx, a);
                changed = p.changed();
                if (changed) m->apply(ctx, a, p);  // a failure is a TaskError, caught below
            } catch (const std::exception& e) {
                failed = true;
                changed = false;  // a failed task is failed, not changed (as the executor reports it)
                UNSCOPED_INFO(e.what());
            }
            std::string mine = std::string(changed ? "True" : "False") + " " + (failed ? "True" : "False");
            INFO("pass " << pass + 1 << ", task " << i << ": " << list[i].first << "\n" << yaml);
            CHECK(mine == flags[pass * n + i]);
            agree += mine == flags[pass * n + i];
        }
    auto ours = accounts(dir);
    for (const auto& [k, v] : theirs) {
        INFO(k);
        CHECK(ours[k] == v);
        agree += ours[k] == v;
    }
    CHECK(ours.size() == theirs.size());
    WARN("user/group vs Ansible: " << agree << " of " << 2 * n + theirs.size() << " agree");
}
