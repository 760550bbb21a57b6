// Ansible Vault in the core: encrypt/decrypt round trips, both formats, wrong
// passwords and tampered data refused, decrypted YAML values are secrets.
// (Cross-checks with the real ansible-vault: tests/integration/vault_ansible_test.cpp.)
#include <catch2/catch.hpp>

#include "engine/util/error.hpp"
#include "engine/util/strings.hpp"
#include "engine/value/yaml.hpp"
#include "engine/vault/vault.hpp"
#include "tests/support/test_support.hpp"

using namespace upkeep;

namespace {
Mark here() { return Mark{std::make_shared<const std::string>("t.yml"), 3, 7}; }
// The error as the command line prints it (file:line:col: message).
template <class F>
std::string error_of(F f) {
    try {
        f();
    } catch (const UserError& e) {
        return e.describe();
    }
    return "no error";
}
}  // namespace

TEST_CASE("vault: 1.1 and 1.2 round trips, the format's envelope", "[vault]") {
    std::string plain = "s3cret: with \"quotes\" and\nnewlines\n";
    std::string v11 = vault_encrypt(plain, "pw");
    CHECK(v11.rfind("$ANSIBLE_VAULT;1.1;AES256\n", 0) == 0);
    CHECK(v11.back() == '\n');
    for (const auto& line : split(v11.substr(v11.find('\n') + 1), '\n')) CHECK(line.size() <= 80);
    CHECK(vault_decrypt(v11, {{"default", "pw"}}, here()) == plain);
    std::string v12 = vault_encrypt(plain, "pw2", "prod");
    CHECK(v12.rfind("$ANSIBLE_VAULT;1.2;AES256;prod\n", 0) == 0);
    // The labelled password is tried first, but any matching one decrypts.
    CHECK(vault_decrypt(v12, {{"dev", "pw"}, {"prod", "pw2"}}, here()) == plain);
    CHECK(vault_decrypt(v12, {{"other", "pw2"}}, here()) == plain);
    CHECK(vault_decrypt(vault_encrypt("", "pw"), {{"default", "pw"}}, here()).empty());
    CHECK(vault_encrypt(plain, "pw") != v11);  // a fresh salt every time
}

TEST_CASE("vault: wrong password, tampered data and no password are errors with a location", "[vault]") {
    std::string v = vault_encrypt("x", "right");
    std::string e = error_of([&] { vault_decrypt(v, {{"default", "wrong"}}, here()); });
    CHECK_THAT(e, Catch::Contains("t.yml:3:7") && Catch::Contains("none of the 1 vault password(s)"));
    std::string tampered = v;
    size_t pos = tampered.size() - 5;
    tampered[pos] = tampered[pos] == '0' ? '1' : '0';
    CHECK_THROWS_WITH(vault_decrypt(tampered, {{"default", "right"}}, here()), Catch::Contains("cannot decrypt"));
    CHECK_THROWS_WITH(vault_decrypt(v, {}, here()), Catch::Contains("no vault password was given"));
    CHECK_THROWS_WITH(vault_decrypt("$ANSIBLE_VAULT;1.0;AES\nzz", {{"d", "p"}}, here()), Catch::Contains("unsupported vault format"));
}

TEST_CASE("vault: !vault values and encrypted files load as secrets", "[vault]") {
    VaultKeyring::global().clear();
    VaultKeyring::global().add({"default", "pw"});
    std::string enc = vault_encrypt("hunter2", "pw");
    std::string yaml = "db_password: !vault |\n";
    for (const auto& l : split(enc, '\n'))
        if (!l.empty()) yaml += "  " + l + "\n";
    yaml += "user: app\n";
    Value v = parse_yaml(yaml, "vars.yml");
    CHECK(v.get("db_password").as_string() == "hunter2");
    CHECK(v.get("db_password").secret());
    CHECK_FALSE(v.get("user").secret());
    CHECK(v.to_json().find("hunter2") == std::string::npos);

    test::TempDir d;
    test::write_file(d / "secrets.yml", vault_encrypt("api_key: abc123\nlist: [1, two]\n", "pw"));
    Value f = load_yaml_file(d / "secrets.yml");
    CHECK(f.get("api_key").as_string() == "abc123");
    CHECK(f.get("api_key").secret());
    CHECK(f.get("list").as_list()[1].secret());
    VaultKeyring::global().clear();
    CHECK_THAT(error_of([&] { load_yaml_file(d / "secrets.yml"); }),
               Catch::Contains("secrets.yml:1:1") && Catch::Contains("no vault password"));
}

TEST_CASE("vault: password files and --vault-id", "[vault]") {
    test::TempDir d;
    test::write_file(d / "pw", "  letmein \n");
    CHECK(read_vault_password_file(d / "pw") == "letmein");
    test::write_file(d / "pw.sh", "#!/bin/sh\necho from-script\n");
    test::must("chmod +x " + d / "pw.sh");
    CHECK(read_vault_password_file(d / "pw.sh") == "from-script");
    VaultSecret s = parse_vault_id("prod@" + d / "pw");
    CHECK(s.label == "prod");
    CHECK(s.password == "letmein");
    CHECK(parse_vault_id(d / "pw").label == "default");
    CHECK_THROWS_WITH(parse_vault_id("prod@prompt"), Catch::Contains("never prompts"));
    CHECK_THROWS_WITH(read_vault_password_file(d / "nope"), Catch::Contains("not found"));
}
