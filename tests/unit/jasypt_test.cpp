// The jasypt core (CloudStack's PBEWithMD5AndDES secrets): a known vector from the
// real jasypt, round trips, and the errors a person sees for a wrong key or a
// value that is not jasypt output. The cross-check against Java's jasypt itself
// is tests/integration/jasypt_java_test.cpp.
#include <catch2/catch.hpp>

#include <set>

#include "modules/formats/jasypt.hpp"

using namespace upkeep;
using namespace upkeep::jasypt;

namespace {

Salt salt_of(const std::string& ciphertext) {
    auto raw = jasypt::base64_decode(ciphertext);
    REQUIRE(raw);
    REQUIRE(raw->size() >= 8);
    Salt s{};
    std::copy(raw->begin(), raw->begin() + 8, s.begin());
    return s;
}

std::string error_of(const std::string& ciphertext, const std::string& password) {
    try {
        decrypt(ciphertext, password);
    } catch (const JasyptError& e) {
        return e.what();
    }
    return "no error";
}

}  // namespace

TEST_CASE("jasypt: the vector produced by the real jasypt", "[jasypt]") {
    // java -cp jasypt.jar ...JasyptPBEStringEncryptionCLI input=secret password=password
    const std::string real = "eVYnqPknJrtOAMkP//hOVQ==";
    CHECK(encrypt("secret", "password", salt_of(real)) == real);
    CHECK(decrypt(real, "password") == "secret");
    CHECK(decrypt("  " + real + "\n", "password") == "secret");  // as pasted from a terminal
}

TEST_CASE("jasypt: round trips with fresh salts", "[jasypt]") {
    const std::string key = "k3y-From-/etc/cloudstack/management/key";
    std::set<std::string> seen;
    for (std::string plain : {std::string(""), std::string("vCenter!Pass"), std::string("7 bytes"),
                              std::string("exactly8"), std::string("p\xc3\xa4ss w\xc3\xb6rd \xe2\x82\xac \xf0\x9f\x94\x91"),
                              std::string(1000, 'x')}) {
        std::string c = encrypt(plain, key);
        CHECK(looks_encrypted(c));
        CHECK(decrypt(c, key) == plain);
        seen.insert(c);
        // Salt 8 bytes + PKCS5 padding to a whole block (a full block when already aligned).
        size_t expected = 8 + (plain.size() / 8 + 1) * 8;
        CHECK(jasypt::base64_decode(c)->size() == expected);
    }
    CHECK(seen.size() == 6);
    // The same input twice gives two different ciphertexts (random salt).
    CHECK(encrypt("same", key) != encrypt("same", key));
}

TEST_CASE("jasypt: wrong key and bad input give clear errors", "[jasypt]") {
    std::string c = encrypt("vcenter-secret", "right-key");
    std::string err = error_of(c, "wrong-key");
    CHECK(err.find("wrong key") != std::string::npos);
    CHECK(err.find("vcenter-secret") == std::string::npos);
    CHECK_FALSE(try_decrypt(c, "wrong-key"));
    // Across many wrong keys, none may decrypt to the original.
    for (int i = 0; i < 200; ++i) CHECK(try_decrypt(c, "wrong" + std::to_string(i)) != std::optional<std::string>("vcenter-secret"));

    CHECK(error_of("not base64!", "k").find("not base64") != std::string::npos);
    CHECK(error_of("abc", "k").find("not base64") != std::string::npos);
    CHECK(error_of("AAAA====", "k").find("not base64") != std::string::npos);
    CHECK(error_of("AAAAAAAAAAAAAAAA", "k").find("not an 8-byte salt plus whole 8-byte DES blocks") != std::string::npos);
    CHECK(error_of("QUJDREVGR0g=", "k").find("8 bytes") != std::string::npos);  // a salt and nothing else
    CHECK_FALSE(looks_encrypted("plain-vcenter-password"));
    CHECK_FALSE(looks_encrypted("QUJDREVGR0g="));

    auto pw_error = [](const std::string& pw) {
        try {
            encrypt("x", pw);
        } catch (const JasyptError& e) {
            return std::string(e.what());
        }
        return std::string("no error");
    };
    CHECK(pw_error("").find("empty") != std::string::npos);
    CHECK(pw_error("key\n").find("printable ASCII") != std::string::npos);
    CHECK(pw_error("schl\xc3\xbcssel").find("printable ASCII") != std::string::npos);
}

TEST_CASE("jasypt: base64 is canonical RFC 4648", "[jasypt]") {
    CHECK(base64_encode("") == "");
    CHECK(base64_encode("f") == "Zg==");
    CHECK(base64_encode("fo") == "Zm8=");
    CHECK(base64_encode("foo") == "Zm9v");
    CHECK(base64_encode(std::string("\xff\xfe\x00", 3)) == "//4A");
    CHECK(jasypt::base64_decode("Zg==") == std::optional<std::string>("f"));
    CHECK(jasypt::base64_decode("Zm8=") == std::optional<std::string>("fo"));
    CHECK(jasypt::base64_decode("//4A") == std::optional<std::string>(std::string("\xff\xfe\x00", 3)));
    CHECK_FALSE(jasypt::base64_decode("Zg="));
    CHECK_FALSE(jasypt::base64_decode("Z==="));
    CHECK_FALSE(jasypt::base64_decode("Zm 8"));
    CHECK_FALSE(jasypt::base64_decode("Zg==Zg=="));
    CHECK_FALSE(jasypt::base64_decode(std::string("Zm8\0", 4)));
}
