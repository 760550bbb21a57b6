// Issue 7.15: a large file is held once, not once per hand-over or per host.
// Before: a 10 MB copy cost ~100 MB of controller memory per host (read, plan
// data, change before/after, overlay, lineinfile's line vectors, the diff's line
// copies). These tests pin the sharing that replaced the copies: the plan's
// after-bytes, what apply() writes and the dry run's planned file are one buffer;
// one controller src serves every host; a converged large file is compared by its
// hash where it lives, without moving its bytes.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "engine/connection/local_connection.hpp"
#include "engine/connection/planned_connection.hpp"
#include "engine/module/controller_file.hpp"
#include "engine/module/file_edit.hpp"
#include "engine/util/sha256.hpp"
#include "tests/support/memory_connection.hpp"
#include "tests/support/module_harness.hpp"
#include "tests/support/test_support.hpp"

using namespace upkeep;
using namespace upkeep::test;

namespace {

// Counts the calls that move a file's bytes to the controller.
class CountingConnection : public MemoryConnection {
public:
    int reads = 0, digests = 0;
    std::optional<std::string> read_file(const std::string& path) override {
        ++reads;
        return MemoryConnection::read_file(path);
    }
    std::optional<std::string> file_sha256(const std::string& path) override {
        ++digests;
        auto it = files.find(path);
        if (it == files.end()) return std::nullopt;
        return sha256_hex(it->second.content);
    }
};

std::string big_text(size_t bytes, char salt = 'a') {
    std::string s;
    s.reserve(bytes + 80);
    for (size_t i = 0; s.size() < bytes; ++i) s += "line " + std::to_string(i) + " " + std::string(60, salt) + "\n";
    return s;
}

}  // namespace

TEST_CASE("shared bytes: the overlay keeps the written buffer and hands the same one back", "[shared_bytes]") {
    MemoryConnection real;
    real.files["/etc/keep"] = {"x"};  // makes /etc a directory
    PlannedConnection planned(real);
    SharedText content(big_text(1 << 20));
    planned.write_shared("/etc/big", content, WriteOptions{});
    SharedText back = planned.read_shared("/etc/big");
    REQUIRE(back);
    CHECK(back.same_buffer(content));
    CHECK(planned.file_sha256("/etc/big") == std::optional<std::string>(sha256_hex(*content)));
    CHECK(real.writes == 0);
}

TEST_CASE("shared bytes: a copy's plan, the write and the planned file are one buffer", "[shared_bytes]") {
    TempDir dir;
    write_file(dir / "files/big.txt", big_text(2 << 20));
    MemoryConnection real;
    real.files["/etc/keep"] = {"x"};
    PlannedConnection planned(real);
    ModuleHarness h(planned, dir.path());
    Plan p = h.check("copy", "src: big.txt\ndest: /etc/big.txt\n");
    REQUIRE(p.changed());
    REQUIRE(p.content);
    CHECK(p.changes.front().after.same_buffer(p.content));
    h.apply("copy", "src: big.txt\ndest: /etc/big.txt\n", p);
    CHECK(planned.read_shared("/etc/big.txt").same_buffer(p.content));
    // The src is read once for every host that copies it while any still holds it.
    CHECK(read_controller_file(dir / "files/big.txt").same_buffer(p.content));
}

TEST_CASE("shared bytes: a controller file is read again when it changes", "[shared_bytes]") {
    TempDir dir;
    std::string path = dir / "src.txt";
    write_file(path, "one\n");
    SharedText a = read_controller_file(path);
    SharedText b = read_controller_file(path);
    CHECK(a.same_buffer(b));
    write_file(path, "two, longer\n");
    SharedText c = read_controller_file(path);
    CHECK(*c == "two, longer\n");
    CHECK_FALSE(c.same_buffer(a));
    CHECK(*a == "one\n");  // holders of the old version keep their bytes
    CHECK_THROWS_WITH(read_controller_file(dir / "missing"), Catch::Contains("cannot read src") && Catch::Contains("No such file"));
}

TEST_CASE("shared bytes: a converged large file is compared by hash, its bytes never read", "[shared_bytes]") {
    std::string text = big_text(1 << 20);
    CountingConnection conn;
    conn.files["/srv/big"] = {text};
    TempDir dir;
    write_file(dir / "files/big", text);
    ModuleHarness h(conn, dir.path());
    Plan p = h.check("copy", "src: big\ndest: /srv/big\n");
    CHECK_FALSE(p.changed());
    CHECK(conn.digests == 1);
    CHECK(conn.reads == 0);

    // Same size, other bytes: the hash differs, then the bytes are read for the diff.
    std::string other = text;
    other[100] = 'Z';
    conn.files["/srv/big"].content = other;
    Plan q = h.check("copy", "src: big\ndest: /srv/big\n");
    CHECK(q.changed());
    CHECK(conn.reads == 1);
    REQUIRE(q.changes.front().before);
    CHECK(*q.changes.front().before == other);

    // A small file is simply read (one round trip either way).
    conn.files["/srv/small"] = {"abc\n"};
    write_file(dir / "files/small", "abc\n");
    int digests = conn.digests;
    CHECK_FALSE(h.check("copy", "src: small\ndest: /srv/small\n").changed());
    CHECK(conn.digests == digests);
}

TEST_CASE("shared bytes: the local connection hashes a file without reading it whole", "[shared_bytes]") {
    TempDir dir;
    std::string text = big_text(3 << 20, 'q');
    write_file(dir / "root/etc/big", text);
    LocalConnection conn("h1", dir / "root");
    CHECK(conn.file_sha256("/etc/big") == std::optional<std::string>(sha256_hex(text)));
    CHECK(conn.file_sha256("/etc/missing") == std::nullopt);
    Sha256 pieces;
    pieces.update(text.substr(0, 1000));
    pieces.update(text.substr(1000));
    CHECK(pieces.hex() == sha256_hex(text));
    CHECK(sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}
