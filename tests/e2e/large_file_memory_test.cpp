// Issue 7.15: controller memory for large files. Measured as the real binary's
// peak RSS (the kernel's ru_maxrss of the child) on 20 sandbox hosts copying one
// 10 MB file. Before the shared buffers, the dry run peaked at ~580 MB for these
// 20 hosts, the first apply at ~430 MB and the drifted dry run with --diff at
// ~3.6 GB; a file is now held once per distinct content, plus one copy per host
// only where that host's bytes differ (read to compare and to digest; a diff of a
// file over the 104448-byte diff limit is summarised, as Ansible does).
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "tests/support/test_support.hpp"

extern char** environ;

using namespace upkeep::test;

namespace {

struct Measured {
    int rc = -1;
    long peak_mb = 0;
};

// Runs the binary with `args` (output to /dev/null) and reports its peak RSS.
Measured run_measured(const std::vector<std::string>& args) {
    std::vector<char*> argv;
    std::string bin = UPKEEP_BINARY;
    argv.push_back(bin.data());
    std::vector<std::string> copy = args;
    for (auto& a : copy) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    pid_t pid = 0;
    Measured m;
    REQUIRE(posix_spawn(&pid, bin.c_str(), &fa, nullptr, argv.data(), environ) == 0);
    posix_spawn_file_actions_destroy(&fa);
    int status = 0;
    struct rusage ru {};
    REQUIRE(wait4(pid, &status, 0, &ru) == pid);
    m.rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    m.peak_mb = ru.ru_maxrss / 1024;
    return m;
}

constexpr int k_hosts = 20;
constexpr size_t k_file_bytes = 10 * 1000 * 1000;

}  // namespace

TEST_CASE("large files: 20 hosts copying a 10 MB file hold it once, not once per host", "[e2e][memory]") {
    TempDir dir;
    std::string inv = "[web]\n";
    for (int i = 1; i <= k_hosts; ++i) {
        inv += "h" + std::to_string(i) + "\n";
        std::filesystem::create_directories(dir / ("roots/h" + std::to_string(i) + "/etc"));
    }
    inv += "[all:vars]\nansible_connection=sandbox\nupkeep_sandbox_root=" + dir / "roots/{{ inventory_hostname }}\n";
    write_file(dir / "inventory.ini", inv);
    std::string text;
    text.reserve(k_file_bytes + 100);
    for (size_t i = 0; text.size() < k_file_bytes; ++i) text += "row " + std::to_string(i) + " of the big file, filler filler\n";
    write_file(dir / "files/big.txt", text);
    write_file(dir / "site.yml",
               "- hosts: web\n  gather_facts: false\n  tasks:\n    - copy: src=big.txt dest=/etc/big.txt\n");
    auto play = [&](std::vector<std::string> extra) {
        std::vector<std::string> a{"play", dir / "site.yml", "-i", dir / "inventory.ini", "-f", std::to_string(k_hosts)};
        a.insert(a.end(), extra.begin(), extra.end());
        return run_measured(a);
    };
    const long file_mb = static_cast<long>(k_file_bytes / (1 << 20)) + 1;
    // The binary's own floor (Lua states, libraries) is well under 40 MB.
    const long once = 40 + 2 * file_mb;

    Measured check = play({"--check", "--diff"});
    INFO("dry run peak " << check.peak_mb << " MB");
    CHECK(check.rc == 0);
    CHECK(check.peak_mb < once);

    Measured apply = play({});
    INFO("apply peak " << apply.peak_mb << " MB");
    CHECK(apply.rc == 0);
    CHECK(apply.peak_mb < once);

    Measured again = play({"--check"});
    INFO("converged dry run peak " << again.peak_mb << " MB");
    CHECK(again.rc == 0);
    CHECK(again.peak_mb < once);

    // Every host drifted: each host's bytes are read (the plan's exact before), so
    // one copy per host in flight is the honest cost; the diff must not multiply it.
    for (int i = 1; i <= k_hosts; ++i) std::ofstream(dir / ("roots/h" + std::to_string(i) + "/etc/big.txt"), std::ios::app) << "drift\n";
    Measured drift = play({"--check", "--diff"});
    INFO("drifted dry run peak " << drift.peak_mb << " MB");
    CHECK(drift.rc == 0);
    CHECK(drift.peak_mb < once + static_cast<long>(1.5 * k_hosts * file_mb));

    // What the operator sees for such a file: the summary, not 10 MB of diff.
    Run shown = upkeep::test::upkeep("play " + dir / "site.yml" + " -i " + dir / "inventory.ini --check --diff --limit h1");
    INFO(shown.out.substr(0, 2000));
    CHECK(shown.rc == 0);
    CHECK(shown.out.find("diff skipped: larger than 102.0 KiB") != std::string::npos);
    CHECK(shown.out.size() < 100000);
}

// Issue 12.4: controller memory with many hosts. Before: every host's vars got its
// own copy of the play's host list (N lists of N names: ~250 MB at 2,000 hosts),
// each worker thread its own Lua state (~350 KB), and every host's secret scan
// walked every other host's vars (1,000 hosts: ~10 s of CPU for three tasks).
// Now ~50 MB at 2,000 hosts and -f 100. (-f 100, not 1,000: how many Lua states a
// run needs depends on how many threads the machine preempts mid-evaluation, so a
// bound at 1,000 forks would measure the CI machine's load, not upkeep.)
TEST_CASE("many hosts: 2,000 sandbox hosts at 100 forks stay under 120 MB", "[e2e][memory]") {
    TempDir dir;
    for (int i = 1; i <= 2000; ++i) std::filesystem::create_directories(dir / ("roots/h" + std::to_string(i)));
    write_file(dir / "inventory.ini", "[web]\nh[1:2000]\n[all:vars]\nansible_connection=sandbox\nupkeep_sandbox_root=" +
                                          dir / "roots/{{ inventory_hostname }}\nsite_secret=plain\n");
    write_file(dir / "site.yml",
               "- hosts: web\n  gather_facts: false\n  tasks:\n    - file: path=/etc state=directory\n"
               "    - copy: content=\"hello {{ inventory_hostname }} of {{ ansible_play_hosts | length }}\\n\" dest=/etc/hello\n"
               "    - lineinfile: path=/etc/hello line=x=1\n");
    Measured m = run_measured({"play", dir / "site.yml", "-i", dir / "inventory.ini", "-f", "100"});
    INFO("peak " << m.peak_mb << " MB");
    CHECK(m.rc == 0);
    CHECK(m.peak_mb < 120);
    std::ifstream in(dir / "roots/h2000/etc/hello");
    std::string first;
    std::getline(in, first);
    CHECK(first == "hello h2000 of 2000");
}
