// Differential test against Ansible for sysctl (ansible.posix), cron (cron files)
// and authorized_key (ansible.posix): the same tasks run by `ansible-playbook -c local`
// on one fresh directory and by our modules (check, then apply) on another; trees
// (bytes, modes) and every task's changed/failed flag must be equal. Every task runs
// twice, so the second pass also proves both sides idempotent.
//
// Only file parts run: sysctl has reload: false (a reload would change this
// machine's kernel); cron uses absolute cron_file paths under the test directory;
// authorized_key writes an explicit path as root.
// Deliberate difference (unit-tested, not exercised here): authorized_key adds the
// missing newline of a last line before appending a key after it.
#include <sys/stat.h>

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

struct DiffTask {
    std::string module;
    std::string args;  // YAML; @D@ stands for the directory under test
};

const char* k_ed1 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOne1111111111111111111111111111111111111111";
const char* k_ed2 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAITwo2222222222222222222222222222222222222222";
const char* k_rsa = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQThree333333333333333333333333333333333333";

std::string sub_keys(std::string s) {
    for (auto [from, to] : {std::pair{"@K1@", k_ed1}, {"@K2@", k_ed2}, {"@K3@", k_rsa}})
        for (size_t p; (p = s.find(from)) != std::string::npos;) s.replace(p, 4, to);
    return s;
}

const std::vector<DiffTask>& tasks() {
    static const std::vector<DiffTask> t = [] {
        std::vector<DiffTask> v = {
            // sysctl: new file, normalising rewrite, booleans, removal, multi-word values
            {"sysctl", "name: net.ipv4.ip_forward\nvalue: '1'\nsysctl_file: @D@/sysctl.d/90-fwd.conf\nreload: false\n"},
            {"sysctl", "name: vm.swappiness\nvalue: '5'\nsysctl_file: @D@/sysctl.d/10-vm.conf\nreload: false\n"},
            {"sysctl", "name: kernel.panic\nvalue: '10'\nsysctl_file: @D@/sysctl.d/20-keep.conf\nreload: false\n"},
            {"sysctl", "name: net.ipv4.conf.all.rp_filter\nvalue: 'yes'\nsysctl_file: @D@/sysctl.d/20-keep.conf\nreload: false\n"},
            {"sysctl", "name: kernel.panic\nstate: absent\nsysctl_file: @D@/sysctl.d/10-vm.conf\nreload: false\n"},
            {"sysctl", "name: kernel.nothing\nstate: absent\nsysctl_file: @D@/sysctl.d/10-vm.conf\nreload: false\n"},
            {"sysctl", "name: net.ipv4.tcp_rmem\nvalue: '4096   87380 6291456'\nsysctl_file: @D@/sysctl.d/30-tcp.conf\nreload: false\n"},
            {"sysctl", "key: ' fs.file-max '\nval: 'off'\nsysctl_file: @D@/sysctl.d/30-tcp.conf\nreload: false\n"},
            {"sysctl", "name: vm.dirty_ratio\nvalue: ''\nsysctl_file: @D@/sysctl.d/30-tcp.conf\nreload: false\n"},
            // cron: cron files with Ansible's markers
            {"cron", "name: backup\nminute: '5'\nhour: '2'\nuser: root\njob: /usr/bin/backup\ncron_file: @D@/cron.d/backup\n"},
            {"cron", "name: backup\nminute: '5'\nhour: '3'\nuser: root\njob: /usr/bin/backup\ncron_file: @D@/cron.d/backup\n"},
            {"cron", "name: daily\nspecial_time: daily\nuser: www-data\njob: /usr/bin/daily --quiet\ncron_file: @D@/cron.d/backup\n"},
            {"cron", "name: off\nweekday: '1-5'\nuser: root\njob: /bin/true\ndisabled: true\ncron_file: @D@/cron.d/backup\n"},
            {"cron", "name: MAILTO\nenv: true\nuser: root\njob: ops@example.org\ncron_file: @D@/cron.d/backup\n"},
            {"cron", "name: PATH\nenv: true\nuser: root\njob: /usr/bin:/bin\ninsertafter: MAILTO\ncron_file: @D@/cron.d/backup\n"},
            {"cron", "name: SHELL\nenv: true\nuser: root\njob: /bin/sh\ninsertbefore: NOTTHERE\ncron_file: @D@/cron.d/backup\n"},
            {"cron", "name: daily\nstate: absent\ncron_file: @D@/cron.d/backup\n"},
            {"cron", "name: only\nstate: absent\ncron_file: @D@/cron.d/single\n"},
            {"cron", "name: legacy\nminute: '0'\nhour: '4'\nuser: root\njob: /usr/bin/legacy\ncron_file: @D@/cron.d/legacy\n"},
            {"cron", "name: nothing\nstate: absent\ncron_file: @D@/cron.d/nonl\n"},
            {"cron", "name: bad\nspecial_time: hourly\nminute: '1'\nuser: root\njob: /bin/true\ncron_file: @D@/cron.d/bad\n"},
            {"cron", "name: bad\nuser: root\njob: /bin/true\ninsertafter: X\ncron_file: @D@/cron.d/bad\n"},
            {"cron", "name: nouser\njob: /bin/true\ncron_file: @D@/cron.d/bad\n"},
            // authorized_key: an explicit path as root
            {"authorized_key", "user: root\npath: @D@/keys/authorized_keys\nkey: '@K1@ alice@laptop'\n"},
            {"authorized_key", "user: root\npath: @D@/keys/authorized_keys\nkey: '@K2@'\nkey_options: 'no-pty,from=\"10.0.0.1,10.0.0.2\"'\n"},
            {"authorized_key", "user: root\npath: @D@/keys/authorized_keys\nkey: '@K1@ alice@laptop'\n"},
            {"authorized_key", "user: root\npath: @D@/keys/authorized_keys\nkey: '@K1@'\ncomment: alice@desktop\n"},
            {"authorized_key", "user: root\npath: @D@/keys/authorized_keys\nkey: '@K2@'\nstate: absent\n"},
            {"authorized_key", "user: root\npath: @D@/keys2/authorized_keys\nkey: \"@K3@ bob\\n# a comment\\n@K2@ carol\"\n"},
            {"authorized_key", "user: root\npath: @D@/seeded/authorized_keys\nkey: '@K3@ bob'\nexclusive: true\n"},
            {"authorized_key", "user: root\npath: @D@/opts/authorized_keys\nkey: '@K1@ x'\nkey_options: 'from=\"a\",no-pty'\n"},
            {"authorized_key", "user: root\npath: @D@/keys/authorized_keys\nkey: 'not a key'\n"},
            {"authorized_key", "user: root\npath: @D@/keys3/authorized_keys\nkey: '@K3@ gone'\nstate: absent\n"},
        };
        for (auto& d : v) d.args = sub_keys(d.args);
        return v;
    }();
    return t;
}

void seed(const std::string& d) {
    test::write_file(d + "/sysctl.d/10-vm.conf", "# tuning\nkernel.panic = 10\n\n  vm.swappiness=60\n; old\nvm.swappiness = 10\n");
    test::write_file(d + "/sysctl.d/20-keep.conf", "kernel.panic = 10\n");
    ::chmod((d + "/sysctl.d/20-keep.conf").c_str(), 0640);
    test::write_file(d + "/cron.d/single", "#Ansible: only\n0 1 * * * root /bin/only\n");
    test::write_file(d + "/cron.d/legacy", "SHELL=/bin/sh\n0 4 * * * root /usr/bin/legacy\n");
    test::write_file(d + "/cron.d/nonl", "#Ansible: x\n0 1 * * * root /bin/x");
    test::write_file(d + "/seeded/authorized_keys", std::string("# managed elsewhere\n") + k_ed1 + " one\n" + k_rsa + " bob\n");
    ::chmod((d + "/seeded/authorized_keys").c_str(), 0644);
    test::write_file(d + "/opts/authorized_keys", std::string("no-pty,from=\"a\" ") + k_ed1 + " x\n");
}

std::map<std::string, std::string> snapshot(const std::string& root) {
    std::map<std::string, std::string> out;
    for (const auto& e : fs::recursive_directory_iterator(root)) {
        std::string rel = e.path().string().substr(root.size());
        struct stat st;
        REQUIRE(::lstat(e.path().c_str(), &st) == 0);
        char mode[8];
        std::snprintf(mode, sizeof mode, "%04o", st.st_mode & 07777);
        if (S_ISDIR(st.st_mode)) out[rel] = std::string("dir ") + mode;
        else out[rel] = std::string("file ") + mode + " " + json_quote(test::read_file(e.path().string()));
    }
    return out;
}

}  // namespace

TEST_CASE("sysctl, cron and authorized_key match Ansible", "[ansible][integration][sysctl][cron][authorized_key]") {
    if (test::sh("command -v ansible-playbook").rc != 0) FAIL("ansible-playbook is not installed (bash .ci/setup test)");
    if (test::sh("ansible-doc -t module ansible.posix.sysctl >/dev/null 2>&1").rc != 0)
        FAIL("the ansible.posix collection is missing (Debian package `ansible`, bash .ci/setup test)");
    if (test::sh("command -v crontab").rc != 0) FAIL("crontab is missing (Debian package `cron`, bash .ci/setup test)");
    test::TempDir work;
    std::string ans = work / "ansible", ours = work / "ours", pb = work / "playbook";
    seed(ans);
    seed(ours);
    const size_t n = tasks().size();
    std::string play = "- hosts: localhost\n  gather_facts: false\n  tasks:\n";
    for (size_t pass = 0; pass < 2; ++pass)
        for (size_t i = 0; i < n; ++i) {
            const auto& t = tasks()[i];
            std::string fq = t.module == "cron" ? "ansible.builtin.cron" : "ansible.posix." + t.module;
            play += "    - " + fq + ":\n" + indent(substitute(t.args, ans), "        ");
            play += "      register: r" + std::to_string(pass * n + i) + "\n      ignore_errors: true\n";
        }
    play += "    - copy:\n        dest: " + pb + "/flags.txt\n        content: \"{% for i in range(" + std::to_string(2 * n) +
            ") %}{{ lookup('vars', 'r' ~ i).changed | default(false) }} {{ lookup('vars', 'r' ~ i).failed | "
            "default(false) }}\\n{% endfor %}\"\n";
    test::write_file(pb + "/site.yml", play);
    test::Run run = test::sh("cd " + shell_quote(pb) +
                             " && umask 022 && ANSIBLE_PYTHON_INTERPRETER=/usr/bin/python3 ANSIBLE_NOCOLOR=1 "
                             "ANSIBLE_RETRY_FILES_ENABLED=0 ansible-playbook -i localhost, -c local site.yml");
    INFO(run.out);
    REQUIRE(run.rc == 0);
    std::vector<std::string> flags;
    for (const auto& l : split(test::read_file(pb + "/flags.txt"), '\n'))
        if (!l.empty()) flags.push_back(l);
    REQUIRE(flags.size() == 2 * n);

    LocalConnection conn("local");
    Value vars;
    ModuleContext ctx{conn, vars, nullptr, pb};
    size_t agree = 0;
    for (size_t pass = 0; pass < 2; ++pass)
        for (size_t i = 0; i < n; ++i) {
            const auto& t = tasks()[i];
            const Module* m = find_module(t.module);
            REQUIRE(m);
            bool changed = false, failed = false;
            std::string yaml = substitute(t.args, ours);
            try {
                Args a = validate_args(m->spec(), parse_yaml(yaml, "task.yml"));
                Plan p = m->check(ctx, a);
                changed = p.changed();
                if (changed) m->apply(ctx, a, p);  // a failure is a TaskError, caught below
            } catch (const std::exception& e) {
                failed = true;
                UNSCOPED_INFO(e.what());
            }
            std::string mine = std::string(changed ? "True" : "False") + " " + (failed ? "True" : "False");
            INFO("pass " << pass + 1 << ", task " << i << ": " << t.module << "\n" << yaml);
            CHECK(mine == flags[pass * n + i]);
            agree += mine == flags[pass * n + i];
        }
    auto a = snapshot(ans), o = snapshot(ours);
    for (const auto& [path, desc] : a) {
        INFO(path);
        CHECK(o[path] == desc);
        agree += o[path] == desc;
    }
    CHECK(a.size() == o.size());
    WARN("sysctl/cron/authorized_key vs Ansible: " << agree << " of " << 2 * n + a.size() << " agree");
}
