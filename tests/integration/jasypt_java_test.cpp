// Cross-checks our jasypt core against the real jasypt library (Debian's
// libjasypt-java): what we encrypt, Java's StandardPBEStringEncryptor decrypts,
// and the other way round, for ASCII, non-ASCII and empty plaintexts.
#include <catch2/catch.hpp>

#include "modules/formats/jasypt.hpp"
#include "tests/support/jasypt_java.hpp"
#include "tests/support/test_support.hpp"

using namespace upkeep;
using test::java_jasypt;
using test::JasyptOp;

namespace {

const std::vector<std::string> k_plaintexts = {
    "secret",
    "",                                                   // an empty password is still encrypted (one padding block)
    "vCenter P@ss w/ 'quotes' \"and\" \\backslash",
    "exactly8",                                           // a whole block: padding adds a full one
    "p\xc3\xa4sswort-\xc3\x9f \xe2\x82\xac \xe4\xb8\xad\xe6\x96\x87 \xf0\x9f\x94\x91",  // äß € 中文 🔑 (4-byte UTF-8)
    std::string(300, 'z'),
};

const std::vector<std::string> k_keys = {"password", "MgmtKey-8c1f0a!~ with spaces", "k"};

}  // namespace

TEST_CASE("jasypt: Java decrypts what we encrypt", "[java][jasypt]") {
    std::vector<JasyptOp> ops;
    for (const auto& key : k_keys)
        for (const auto& p : k_plaintexts) ops.push_back({false, key, jasypt::encrypt(p, key)});
    auto out = java_jasypt(ops);
    size_t i = 0;
    for (const auto& key : k_keys)
        for (const auto& p : k_plaintexts) {
            INFO("key " << key << ", plaintext #" << i % k_plaintexts.size());
            REQUIRE(out[i].ok);
            CHECK(out[i].value == p);
            ++i;
        }
}

TEST_CASE("jasypt: we decrypt what Java encrypts, and agree on wrong keys", "[java][jasypt]") {
    std::vector<JasyptOp> ops;
    for (const auto& key : k_keys)
        for (const auto& p : k_plaintexts) ops.push_back({true, key, p});
    auto out = java_jasypt(ops);
    size_t i = 0;
    std::vector<JasyptOp> wrong;
    for (const auto& key : k_keys)
        for (const auto& p : k_plaintexts) {
            INFO("key " << key << ", plaintext #" << i % k_plaintexts.size());
            REQUIRE(out[i].ok);
            CHECK(jasypt::looks_encrypted(out[i].value));
            CHECK(jasypt::decrypt(out[i].value, key) == p);
            // Our encryption with Java's salt gives Java's bytes exactly.
            auto raw = jasypt::base64_decode(out[i].value);
            REQUIRE(raw);
            jasypt::Salt salt{};
            std::copy(raw->begin(), raw->begin() + 8, salt.begin());
            CHECK(jasypt::encrypt(p, key, salt) == out[i].value);
            wrong.push_back({false, key + "-wrong", out[i].value});
            ++i;
        }
    // A wrong key: both sides refuse (or, about once in 256, jasypt returns garbage; never the plaintext).
    auto bad = java_jasypt(wrong);
    for (size_t j = 0; j < wrong.size(); ++j) {
        auto ours = jasypt::try_decrypt(wrong[j].input, wrong[j].password);
        CHECK(ours != std::optional<std::string>(k_plaintexts[j % k_plaintexts.size()]));
        if (!bad[j].ok) {
            CHECK(bad[j].value == "EncryptionOperationNotPossibleException");
            CHECK_FALSE(ours);  // a padding jasypt rejects, we reject too
        }
    }
}

TEST_CASE("jasypt: the CLI of the seed step and our decryption agree", "[java][jasypt]") {
    // The seed's command, with the jar Debian ships.
    auto r = test::sh("java -classpath /usr/share/java/jasypt.jar org.jasypt.intf.cli.JasyptPBEStringEncryptionCLI "
                      "input='vc-Pass1' password='mgmt-key' verbose=false");
    REQUIRE(r.rc == 0);
    std::string c = r.out.substr(0, r.out.find_last_not_of("\r\n") + 1);
    CHECK(jasypt::decrypt(c, "mgmt-key") == "vc-Pass1");
}
