// Secrets never in argv (issues 7/8): a task hands a secret to a command through
// `environment:` or `stdin:`, and while the command runs the test reads
// /proc/PID/cmdline of that command, of everything it started and of every
// process above it (up to init): the secret is in none of them, although the
// command received it (its /proc/PID/environ, or what it read). Output (-vvv,
// --diff) and the JSON report mask it. On a sandbox host (commands via execve)
// and over SSH with sudo (where `env K=V` used to sit in sudo's argv for the
// whole command).
#include <catch2/catch.hpp>
#include <dirent.h>
#include <sys/stat.h>

#include <chrono>
#include <future>
#include <thread>

#include "engine/util/strings.hpp"
#include "tests/support/sshd_lab.hpp"
#include "tests/support/test_support.hpp"

using namespace upkeep;
using namespace upkeep::test;

namespace {

const std::string k_secret = "Argv-S3cret-7f3a";

std::string proc_file(pid_t pid, const char* what) {
    std::string s;
    try {
        s = read_file("/proc/" + std::to_string(pid) + "/" + what);
    } catch (const std::exception&) {
    }
    for (char& c : s)
        if (c == '\0') c = ' ';
    return s;
}

pid_t parent_of(pid_t pid) {
    std::string stat = proc_file(pid, "stat");
    size_t close = stat.rfind(')');
    if (close == std::string::npos) return 0;
    auto fields = split(stat.substr(close + 2), ' ');  // state ppid ...
    return fields.size() > 1 ? static_cast<pid_t>(std::stol(fields[1])) : 0;
}

// `what` (cmdline, environ) of `pid`, its ancestors and its descendants.
std::vector<std::string> family_cmdlines(pid_t pid, const char* what = "cmdline") {
    std::vector<std::string> out;
    for (pid_t p = pid; p > 1; p = parent_of(p)) out.push_back(proc_file(p, what));
    std::vector<pid_t> frontier = {pid};
    while (!frontier.empty()) {
        pid_t parent = frontier.back();
        frontier.pop_back();
        DIR* d = ::opendir("/proc");
        while (dirent* e = d ? ::readdir(d) : nullptr) {
            if (!std::isdigit(static_cast<unsigned char>(e->d_name[0]))) continue;
            pid_t child = static_cast<pid_t>(std::stol(e->d_name));
            if (parent_of(child) == parent) {
                out.push_back(proc_file(child, what));
                frontier.push_back(child);
            }
        }
        if (d) ::closedir(d);
    }
    return out;
}

pid_t wait_for_pid(const std::string& file) {
    for (int i = 0; i < 400; ++i) {
        if (exists(file)) {
            std::string s = trim(read_file(file));
            if (!s.empty()) return static_cast<pid_t>(std::stol(s));
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
    return 0;
}

// Two tasks that take the secret without argv, each writing its shell's pid and
// sleeping so the test can look at the processes; then one that echoes it.
std::string playbook(const std::string& dir) {
    return "- hosts: all\n  gather_facts: false\n  tasks:\n"
           "    - name: secret in the environment\n"
           "      shell: 'echo $$ > " + dir + "/env.pid; sleep 2; printf %s \"$DB_PW\" > " + dir + "/env.got'\n"
           "      environment:\n        DB_PW: \"{{ db_pw }}\"\n"
           "    - name: secret on stdin\n"
           "      shell: 'echo $$ > " + dir + "/stdin.pid; read -r pw; sleep 2; printf %s \"$pw\" > " + dir +
           "/stdin.got'\n"
           "      args:\n        stdin: \"{{ db_pw }}\"\n"
           "    - name: the command echoes it\n"
           "      command: printenv DB_PW\n"
           "      environment:\n        DB_PW: \"{{ db_pw }}\"\n"
           "      changed_when: false\n";
}

// Runs `cmdline` in the background, inspects both sleeping commands, returns the run.
Run run_and_inspect(const std::string& cmdline, const std::string& dir) {
    auto run = std::async(std::launch::async, [&] { return upkeep::test::upkeep(cmdline); });
    pid_t env_pid = wait_for_pid(dir + "/env.pid");
    REQUIRE(env_pid > 0);
    for (const auto& line : family_cmdlines(env_pid)) {
        INFO(line);
        CHECK(line.find(k_secret) == std::string::npos);
    }
    // It did reach the command: the environment of the shell or of the `sleep` it runs
    // (over SSH the shell exports it itself, so only its children show it).
    bool in_environ = false;
    for (const auto& env : family_cmdlines(env_pid, "environ"))
        in_environ = in_environ || env.find("DB_PW=" + k_secret) != std::string::npos;
    CHECK(in_environ);
    pid_t stdin_pid = wait_for_pid(dir + "/stdin.pid");
    REQUIRE(stdin_pid > 0);
    for (const auto& line : family_cmdlines(stdin_pid)) {
        INFO(line);
        CHECK(line.find(k_secret) == std::string::npos);
    }
    return run.get();
}

void check_masked(const Run& r, const std::string& dir) {
    INFO(r.out);
    CHECK(r.rc == 0);
    CHECK(read_file(dir + "/env.got") == k_secret);
    CHECK(read_file(dir + "/stdin.got") == k_secret);
    CHECK(r.out.find(k_secret) == std::string::npos);
    CHECK(r.out.find("********") != std::string::npos);  // the echoed value, masked
    std::string report = read_file(dir + "/report.json");
    CHECK(report.find(k_secret) == std::string::npos);
    CHECK(report.find("the command echoes it") != std::string::npos);
}

}  // namespace

TEST_CASE("secrets via environment: and stdin: are in no process's argv, output and report mask them (sandbox)",
          "[secret_argv]") {
    TempDir dir;
    write_file(dir / "root/etc/hostname", "h\n");
    write_file(dir / "inventory.ini", "h\n\n[all:vars]\nansible_connection=sandbox\nupkeep_sandbox_root=root\n");
    write_file(dir / "secrets.yml", "db_pw: !secret " + k_secret + "\n");
    write_file(dir / "site.yml", playbook(dir.path()));
    Run r = run_and_inspect("play " + dir / "site.yml" + " -i " + dir / "inventory.ini -e @" + dir / "secrets.yml" +
                                " -vvv --diff --report-json " + dir / "report.json",
                            dir.path());
    check_masked(r, dir.path());

    // The probe sees a secret that is in argv: the same command with it inline.
    write_file(dir / "inline.yml", "- hosts: all\n  gather_facts: false\n  tasks:\n"
                                   "    - shell: 'echo $$ > " + dir / "inline.pid" + "; sleep 2; : {{ db_pw }}'\n"
                                   "      no_log: true\n");
    auto inline_run = std::async(std::launch::async, [&] {
        return upkeep::test::upkeep("play " + dir / "inline.yml" + " -i " + dir / "inventory.ini -e @" + dir / "secrets.yml");
    });
    pid_t pid = wait_for_pid(dir / "inline.pid");
    REQUIRE(pid > 0);
    bool seen = false;
    for (const auto& line : family_cmdlines(pid)) seen = seen || line.find(k_secret) != std::string::npos;
    CHECK(seen);
    CHECK(inline_run.get().rc == 0);
}

TEST_CASE("secrets via environment: and stdin: are in no process's argv over SSH with sudo", "[secret_argv][ssh-e2e]") {
    const std::string password = "Sud0-argv-pa55";
    const char* user = "upkeep-argv";
    TestUser account(user, password);
    SudoersEntry sudoers("upkeep-argv", std::string("Defaults:") + user + " lecture=never\n" + user + " ALL=(ALL) ALL");
    SshdLab lab(SshdLab::Options{.hosts = 1, .users = {user}});
    TempDir dir;
    ::chmod(dir.path().c_str(), 0777);  // the commands write their pids here as root
    write_file(dir / "inventory.ini", "h ansible_host=" + lab.address(0) + "\n\n[all:vars]\nansible_port=" +
                                          std::to_string(lab.port()) + "\nansible_user=" + user +
                                          "\nansible_ssh_private_key_file=" + lab.client_key() +
                                          "\nansible_become=true\n");
    write_file(dir / "known_hosts", read_file(lab.known_hosts()));
    write_file(dir / "secrets.yml", "db_pw: !secret " + k_secret + "\nansible_become_password: !secret " + password + "\n");
    write_file(dir / "site.yml", playbook(dir.path()));
    Run r = run_and_inspect("play " + dir / "site.yml" + " -i " + dir / "inventory.ini --known-hosts " +
                                dir / "known_hosts -e @" + dir / "secrets.yml" + " -vvv --diff --report-json " +
                                dir / "report.json",
                            dir.path());
    check_masked(r, dir.path());
    CHECK(r.out.find(password) == std::string::npos);
}
