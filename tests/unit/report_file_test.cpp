// The JSON report's file: valid UTF-8 text whatever the bytes, an atomic write,
// and a failure that is reported, never swallowed.
#include <catch2/catch.hpp>

#include <filesystem>

#include "engine/report/json_reporter.hpp"
#include "engine/report/report_file.hpp"
#include "engine/util/error.hpp"
#include "tests/support/test_support.hpp"

using namespace upkeep;

TEST_CASE("report: bytes that are not UTF-8 become backslash-xNN, valid UTF-8 stays as it is", "[report][hostile]") {
    CHECK(json_text_valid_utf8("plain \xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80") == "plain \xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
    CHECK(json_text_valid_utf8("\"a\xff\"") == "\"a\\\\xff\"");
    CHECK(json_text_valid_utf8("\xc0\xaf") == "\\\\xc0\\\\xaf");          // overlong '/'
    CHECK(json_text_valid_utf8("\xed\xa0\x80") == "\\\\xed\\\\xa0\\\\x80");  // a surrogate
    CHECK(json_text_valid_utf8("\xf4\x90\x80\x80") == "\\\\xf4\\\\x90\\\\x80\\\\x80");  // past U+10FFFF
    CHECK(json_text_valid_utf8("\xe2\x82") == "\\\\xe2\\\\x82");          // cut short
}

TEST_CASE("report: a write that fails says why and leaves nothing behind", "[report][hostile]") {
    test::TempDir dir;
    CHECK_THROWS_WITH(write_report_file(dir / "missing/r.json", "{}"),
                      Catch::Contains("cannot write the JSON report") && Catch::Contains("No such file or directory"));
    write_report_file(dir / "r.json", "{\"a\": 1}\n");
    CHECK(test::read_file(dir / "r.json") == "{\"a\": 1}\n");
    int files = 0;
    for (const auto& e : std::filesystem::directory_iterator(dir.path())) files += e.is_regular_file() ? 1 : 0;
    CHECK(files == 1);
}

TEST_CASE("report: the reporter records a failed final write for the caller", "[report][hostile]") {
    test::TempDir dir;
    std::filesystem::create_directories(dir / "out");
    JsonReporter r(dir / "out/report.json");  // writable when the run starts
    r.playbook_start("site.yml", false);
    std::filesystem::remove_all(dir / "out");  // ...gone when it ends
    r.recap({}, false);
    CHECK(r.write_error().find("cannot write the JSON report " + dir / "out/report.json") == 0);
    CHECK_THROWS_WITH(JsonReporter(dir / "out/report.json"), Catch::Contains("No such file or directory"));
}
