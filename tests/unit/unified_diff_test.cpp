#include <catch2/catch.hpp>

#include "engine/report/unified_diff.hpp"

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
