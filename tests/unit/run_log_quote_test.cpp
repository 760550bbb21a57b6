// runlog::quote (engine/report/run_log.hpp): logfmt values, one line whatever the text.
// The run log end to end through the binary: tests/e2e/run_log_test.cpp.
#include <catch2/catch.hpp>

#include "engine/report/run_log.hpp"

TEST_CASE("run log: logfmt quoting", "[runlog]") {
    using upkeep::runlog::quote;
    CHECK(quote("kvm01") == "kvm01");
    CHECK(quote("/etc/a.conf") == "/etc/a.conf");
    CHECK(quote("") == "\"\"");
    CHECK(quote("two words") == "\"two words\"");
    CHECK(quote("a\"b\\c\nd\x01") == "\"a\\\"b\\\\c\\nd\\u0001\"");
    CHECK(quote("a\x7f") == "\"a\\u007f\"");  // DEL too: the log is read on terminals
}
