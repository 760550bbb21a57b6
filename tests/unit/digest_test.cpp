// engine/util/digest: the hex and digest helpers the vault, Jinja's hash filter, the
// plan's sha256 and the host-data modules share.
#include <catch2/catch.hpp>

#include "engine/util/digest.hpp"

using namespace upkeep;

TEST_CASE("hex_encode and hex_decode round-trip every byte, bad hex is refused", "[digest]") {
    std::string all;
    for (int c = 0; c < 256; ++c) all += static_cast<char>(c);
    std::string hex = hex_encode(all);
    CHECK(hex.substr(0, 8) == "00010203");
    CHECK(hex.substr(hex.size() - 4) == "feff");
    CHECK(hex_decode(hex) == all);
    CHECK(hex_decode("ABcd") == std::string("\xab\xcd"));
    CHECK_FALSE(hex_decode("abc"));
    CHECK_FALSE(hex_decode("zz"));
    CHECK(hex_decode("") == std::string());
}

TEST_CASE("digest_hex_of by OpenSSL name, nullopt for an unknown one", "[digest]") {
    CHECK(digest_hex_of("sha256", "abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    CHECK(digest_hex_of("sha1", "abc") == "a9993e364706816aba3e25717850c26c9cd0d89d");
    CHECK(digest_hex_of("md5", "") == "d41d8cd98f00b204e9800998ecf8427e");
    CHECK_FALSE(digest_hex_of("sha257", "abc"));
}
