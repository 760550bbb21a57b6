#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "engine/report/diff_limit.hpp"
#include "engine/report/unified_diff.hpp"
#include "engine/util/sha256.hpp"

using namespace upkeep;

TEST_CASE("unified diff shows exact changed lines with context", "[diff]") {
    std::string a = "a\nb\nc\nd\ne\nf\ng\nh\n";
    std::string b = "a\nb\nc\nD\ne\nf\ng\nh\n";
    std::string d = unified_diff(a, b, "/etc/x");
    CHECK(d ==
          "--- before: /etc/x\n+++ after: /etc/x\n"
          "@@ -1,7 +1,7 @@\n a\n b\n c\n-d\n+D\n e\n f\n g\n");
}

TEST_CASE("unified diff of equal texts is empty", "[diff]") { CHECK(unified_diff("x\n", "x\n", "f").empty()); }

TEST_CASE("a missing final newline is shown", "[diff]") {
    std::string d = unified_diff("a\nb", "a\nb\nc\n", "f");
    CHECK(d == "--- before: f\n+++ after: f\n@@ -1,2 +1,3 @@\n a\n-b\n\\ No newline at end of file\n+b\n+c\n");
}

TEST_CASE("a new file diffs from nothing", "[diff]") {
    std::string d = unified_diff("", "x\ny\n", "f");
    CHECK(d == "--- before: f\n+++ after: f\n@@ -0,0 +1,2 @@\n+x\n+y\n");
}

TEST_CASE("distant changes make separate hunks", "[diff]") {
    std::string a, b;
    for (int i = 0; i < 20; ++i) {
        a += std::to_string(i) + "\n";
        b += (i == 2 || i == 17 ? "X" : std::to_string(i)) + "\n";
    }
    std::string d = unified_diff(a, b, "f");
    CHECK(d.find("@@ -1,6 +1,6 @@") != std::string::npos);
    CHECK(d.find("@@ -15,6 +15,6 @@") != std::string::npos);
}

namespace {

std::string gnu_diff_hunks(const std::string& a, const std::string& b) {
    std::string dir = "/tmp/upkeep-diff-" + std::to_string(::getpid());
    std::filesystem::create_directories(dir);
    std::ofstream(dir + "/a", std::ios::binary) << a;
    std::ofstream(dir + "/b", std::ios::binary) << b;
    std::string out;
    FILE* p = ::popen(("diff -u " + dir + "/a " + dir + "/b").c_str(), "r");
    REQUIRE(p);
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
    ::pclose(p);
    std::filesystem::remove_all(dir);
    // Drop the two header lines (file names and times).
    for (int i = 0; i < 2 && !out.empty(); ++i) out.erase(0, out.find('\n') + 1);
    return out;
}

std::string without_header(const std::string& d) {
    std::string out = d;
    for (int i = 0; i < 2 && !out.empty(); ++i) out.erase(0, out.find('\n') + 1);
    return out;
}

}  // namespace

// The common head and tail of two texts are skipped before diffing (issue 7.15: a
// one-line change in a 10 MB file must not cost the diff of every line). The hunks,
// line numbers included, must stay exactly GNU diff's on unambiguous edits.
TEST_CASE("unified diff equals GNU diff -u on edits near the start, middle and end of large files", "[diff]") {
    std::mt19937 rng(7);
    for (int round = 0; round < 30; ++round) {
        int n = round < 25 ? 1 + static_cast<int>(rng() % 400) : 120000;
        std::vector<std::string> a;
        for (int i = 0; i < n; ++i) a.push_back("line " + std::to_string(i) + "\n");
        std::vector<std::string> b = a;
        int edits = 1 + static_cast<int>(rng() % 4);
        for (int e = 0; e < edits; ++e) {
            size_t at = b.empty() ? 0 : rng() % (b.size() + 1);
            switch (rng() % 3) {
                case 0: b.insert(b.begin() + static_cast<long>(at), "new " + std::to_string(e) + "\n"); break;
                case 1:
                    if (at < b.size()) b.erase(b.begin() + static_cast<long>(at));
                    break;
                default:
                    if (at < b.size()) b[at] = "changed " + std::to_string(e) + "\n";
            }
        }
        if (round % 5 == 4 && !b.empty()) b.back().pop_back();  // no final newline
        std::string ta, tb;
        for (auto& l : a) ta += l;
        for (auto& l : b) tb += l;
        INFO("round " << round << ", " << n << " lines");
        CHECK(without_header(unified_diff(ta, tb, "f")) == gnu_diff_hunks(ta, tb));
    }
}

// Issue 7.15: as Ansible's max_diff_size, a file larger than 104448 bytes is not
// rendered as a diff (10 MB of text per host, and several times that in memory to
// compute it); the summary keeps sizes and digests as evidence.
TEST_CASE("a change larger than the diff limit is summarised with sizes and digests", "[diff]") {
    upkeep::Change small{"/etc/small", "content replaced", std::string("a\n"), std::string("b\n"), false};
    CHECK(upkeep::diff_skipped(small).empty());
    std::string big(200 * 1024, 'x');
    upkeep::Change c{"/etc/big", "file created", std::nullopt, big, false};
    std::string why = upkeep::diff_skipped(c);
    CHECK(why.find("diff skipped: larger than 102.0 KiB") != std::string::npos);
    CHECK(why.find("before absent, after 200.0 KiB (sha256 ") != std::string::npos);
    CHECK(why.find(upkeep::sha256_hex(big).substr(0, 16)) != std::string::npos);
    CHECK(upkeep::max_diff_bytes() == upkeep::k_default_max_diff_bytes);
}
