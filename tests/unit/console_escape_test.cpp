// Control characters from hosts never reach the operator's terminal raw
// (issue 14.9): on a terminal the console shows them as \xNN.
#include <catch2/catch.hpp>

#include <cstdio>
#include <string>

#include "engine/report/console_reporter.hpp"

using namespace upkeep;

namespace {

std::string warn_through(ConsoleOptions opts, const std::string& msg) {
    std::FILE* f = std::tmpfile();
    REQUIRE(f);
    {
        ConsoleReporter r(f, opts);
        r.warning(msg);
    }
    std::rewind(f);
    std::string out;
    char buf[4096];
    for (size_t n; (n = std::fread(buf, 1, sizeof buf, f)) > 0;) out.append(buf, n);
    std::fclose(f);
    return out;
}

}  // namespace

TEST_CASE("console: host control characters are escaped on a terminal", "[report][hostile]") {
    // A window title (OSC), a screen clear, a carriage return that would hide
    // the start of the line, a C1 CSI in UTF-8, and a tab and newline that stay.
    std::string host_text = "a\033]0;pwned\007b\033[2Jc\rd\xc2\x9b" "31me\tf\ng";
    ConsoleOptions tty;
    tty.color = true;
    tty.escape_controls = true;
    std::string out = warn_through(tty, host_text);
    CHECK(out == "\033[0;35m[WARNING]: a\\x1b]0;pwned\\x07b\\x1b[2Jc\\x0dd\\u009b31me\tf\ng\033[0m\n");

    ConsoleOptions pipe;  // not a terminal: bytes as they are, for logs and tools
    CHECK(warn_through(pipe, host_text) == "[WARNING]: " + host_text + "\n");
}
