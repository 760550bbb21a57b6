// File safety over SFTP against a real OpenSSH daemon (issues 7.2, 7.4, 14.6):
// unique backups, a full disk named as such, FIFOs refused without hanging.
#include <catch2/catch.hpp>

#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <future>
#include <set>

#include "engine/connection/ssh_connection.hpp"
#include "engine/util/error.hpp"
#include "engine/util/strings.hpp"
#include "tests/support/sshd_lab.hpp"

using namespace upkeep;
using namespace upkeep::test;
namespace fs = std::filesystem;

namespace {

std::vector<std::string> entries(const std::string& dir) {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(dir)) out.push_back(e.path().filename().string());
    std::sort(out.begin(), out.end());
    return out;
}

}  // namespace

TEST_CASE("sftp: two backups of one file in one run keep both originals", "[ssh][integration][file_safety]") {
    SshdLab lab;
    SshConnection c(lab.options(0));
    c.connect();
    TempDir dir;
    write_file(dir / "app.conf", "one\n");
    WriteOptions opts;
    opts.backup = true;
    std::set<std::string> backups;
    backups.insert(c.write_file(dir / "app.conf", "two\n", opts).backup_path);
    backups.insert(c.write_file(dir / "app.conf", "three\n", opts).backup_path);
    REQUIRE(backups.size() == 2);
    std::multiset<std::string> kept;
    for (const auto& b : backups) kept.insert(read_file(b));
    CHECK(kept == std::multiset<std::string>{"one\n", "two\n"});
    CHECK(read_file(dir / "app.conf") == "three\n");
}

TEST_CASE("sftp: a full disk leaves the target intact and says so", "[ssh][integration][file_safety][enospc]") {
    if (::geteuid() != 0) {
        WARN("needs root to mount a tmpfs: skipped");
        return;
    }
    TempDir dir;
    REQUIRE(::mount("tmpfs", dir.path().c_str(), "tmpfs", 0, "size=96k") == 0);
    struct Unmount {
        std::string p;
        ~Unmount() { ::umount2(p.c_str(), MNT_DETACH); }
    } unmount{dir.path()};
    SshdLab lab;
    SshConnection c(lab.options(0));
    c.connect();
    write_file(dir / "app.conf", std::string(8 * 1024, 'o'));
    WriteOptions opts;
    opts.backup = true;
    std::string err;
    try {
        c.write_file(dir / "app.conf", std::string(300 * 1024, 'n'), opts);
    } catch (const TaskError& e) {
        err = e.what();
    }
    INFO(err);
    CHECK(err.find("No space left on device") != std::string::npos);
    CHECK(read_file(dir / "app.conf") == std::string(8 * 1024, 'o'));
    CHECK(entries(dir.path()) == std::vector<std::string>{"app.conf"});

    // The backup does not fit: no partial backup survives, the target stands.
    write_file(dir / "app.conf", std::string(40 * 1024, 'o'));
    err.clear();
    try {
        c.write_file(dir / "app.conf", std::string(40 * 1024, 'n'), opts);
    } catch (const TaskError& e) {
        err = e.what();
    }
    CHECK(err.find("No space left on device") != std::string::npos);
    CHECK(read_file(dir / "app.conf") == std::string(40 * 1024, 'o'));
    CHECK(entries(dir.path()) == std::vector<std::string>{"app.conf"});
}

TEST_CASE("sftp: a FIFO is refused, never opened", "[ssh][integration][file_safety][fifo]") {
    SshdLab lab;
    SshConnection c(lab.options(0));
    c.connect();
    TempDir dir;
    REQUIRE(::mkfifo((dir / "pipe").c_str(), 0644) == 0);
    auto f = std::async(std::launch::async, [&] {
        std::string msgs;
        try {
            c.read_file(dir / "pipe");
        } catch (const TaskError& e) {
            msgs += e.what();
        }
        try {
            c.write_file(dir / "pipe", "x", WriteOptions{});
        } catch (const TaskError& e) {
            msgs += e.what();
        }
        return msgs;
    });
    REQUIRE(f.wait_for(std::chrono::seconds(30)) == std::future_status::ready);
    std::string msgs = f.get();
    CHECK(msgs.find("refusing to read") != std::string::npos);
    CHECK(msgs.find("refusing to write") != std::string::npos);
    CHECK(msgs.find("FIFO") != std::string::npos);
}
