// Secret masking covers every representation a secret takes in output: raw,
// JSON/YAML-escaped, shell-quoted, and each line of a multi-line secret (a run of
// the binary is in tests/e2e/secret_masking_test.cpp).
#include <catch2/catch.hpp>

#include "engine/report/secret_registry.hpp"
#include "engine/util/strings.hpp"
#include "tests/support/test_support.hpp"

using namespace upkeep;
using namespace upkeep::test;

TEST_CASE("secret masking: every representation of a secret is masked", "[secrets]") {
    SecretRegistry reg;
    const std::string secret = "pa\"ss\\wo'rd\nsecond-line";
    reg.add(secret);
    for (const std::string& shown : {secret, json_quote(secret), shell_quote(secret), std::string("pa\"ss\\wo'rd"),
                                     std::string("second-line")}) {
        INFO(shown);
        std::string out = reg.mask("before " + shown + " after");
        CHECK(out.find("second-line") == std::string::npos);
        CHECK(out.find("wo'rd") == std::string::npos);
        CHECK(out.find("wo\\'rd") == std::string::npos);
        CHECK(out.find(k_masked) != std::string::npos);
    }
    CHECK(reg.appears_in("x " + json_quote(secret)));
    CHECK_FALSE(reg.appears_in("nothing here"));
}
