// Vault cross-checked both ways with the real ansible-vault: data it encrypts
// (encrypt_string with format 1.1, a whole file with a vault id: 1.2) is read by
// `upkeep play`, with the values masked in the output; data `upkeep vault`
// encrypts is decrypted by ansible-vault to the same bytes.
#include <catch2/catch.hpp>

#include "engine/util/strings.hpp"
#include "tests/support/test_support.hpp"

using namespace upkeep;
using namespace upkeep::test;

TEST_CASE("ansible-vault encrypts, upkeep decrypts (1.1 !vault and 1.2 files)", "[vault][ansible][integration]") {
    if (sh("command -v ansible-vault").rc != 0) FAIL("ansible-vault is not installed (bash .ci/setup test)");
    TempDir d;
    write_file(d / "pw", "correct horse\n");
    write_file(d / "prodpw", "battery staple\n");
    Run es = sh("cd " + d.path() + " && printf %s 'Tr0ub4dor&3' | ansible-vault encrypt_string --vault-password-file pw "
                "--stdin-name db_password 2>/dev/null");
    REQUIRE(es.rc == 0);
    write_file(d / "vars.yml", es.out);
    write_file(d / "prod.yml", "api_token: tok-9f8e7d\n");
    must("cd " + d.path() + " && ansible-vault encrypt --vault-id prod@prodpw prod.yml");
    REQUIRE(starts_with(read_file(d / "prod.yml"), "$ANSIBLE_VAULT;1.2;AES256;prod"));
    write_file(d / "inventory.ini", "h1 ansible_connection=sandbox upkeep_sandbox_root=root\n");
    write_file(d / "site.yml", "- hosts: all\n  gather_facts: false\n  vars_files: [vars.yml, prod.yml]\n  tasks:\n"
                               "    - copy: dest=/out content='{{ db_password }} {{ api_token }}'\n"
                               "    - debug: var=db_password\n");
    Run r = test::upkeep("play " + d / "site.yml" + " -i " + d / "inventory.ini --diff --vault-password-file " + d / "pw" +
                   " --vault-id prod@" + d / "prodpw");
    INFO(r.out);
    REQUIRE(r.rc == 0);
    CHECK(read_file(d / "root/out") == "Tr0ub4dor&3 tok-9f8e7d");
    CHECK(r.out.find("Tr0ub4dor") == std::string::npos);  // masked in the diff and in debug
    CHECK(r.out.find("tok-9f8e7d") == std::string::npos);

    Run wrong = test::upkeep("play " + d / "site.yml" + " -i " + d / "inventory.ini --vault-password-file " + d / "prodpw");
    INFO(wrong.out);
    CHECK(wrong.rc == 1);
    // The mark is the vault text (libfyaml puts a block scalar at its first content line).
    CHECK(wrong.out.find("vars.yml:2:1: cannot decrypt vault data") != std::string::npos);
    Run ask = test::upkeep("play " + d / "site.yml" + " -i " + d / "inventory.ini --ask-vault-pass");
    CHECK(ask.rc == 1);
    CHECK(ask.out.find("never prompts for vault passwords") != std::string::npos);
}

TEST_CASE("upkeep vault encrypts, ansible-vault decrypts", "[vault][ansible][integration]") {
    if (sh("command -v ansible-vault").rc != 0) FAIL("ansible-vault is not installed (bash .ci/setup test)");
    TempDir d;
    write_file(d / "pw", "pw-one\n");
    std::string plain = "key: value\nunicode: \xc3\xa9t\xc3\xa9\nlong: " + std::string(200, 'x') + "\n";
    write_file(d / "a.yml", plain);
    must(UPKEEP_BINARY + std::string(" vault encrypt --vault-password-file ") + d / "pw " + d / "a.yml");
    CHECK(starts_with(read_file(d / "a.yml"), "$ANSIBLE_VAULT;1.1;AES256\n"));
    Run v = sh("ansible-vault view --vault-password-file " + d / "pw " + d / "a.yml");
    CHECK(v.rc == 0);
    CHECK(v.out == plain);

    write_file(d / "b.txt", "labelled\n");
    must(UPKEEP_BINARY + std::string(" vault encrypt --vault-id ops@") + d / "pw " + d / "b.txt");
    CHECK(starts_with(read_file(d / "b.txt"), "$ANSIBLE_VAULT;1.2;AES256;ops\n"));
    must("ansible-vault decrypt --vault-id ops@" + d / "pw " + d / "b.txt");
    CHECK(read_file(d / "b.txt") == "labelled\n");

    // encrypt_string reads the secret from stdin; ansible reads the YAML it prints.
    must("printf %s 's3kr1t' | " + std::string(UPKEEP_BINARY) + " vault encrypt_string --vault-password-file " + d / "pw" +
         " --name my_secret --output " + d / "s.yml");
    Run dbg = sh("cd " + d.path() + " && ANSIBLE_NOCOLOR=1 ansible localhost -c local -m debug -a var=my_secret "
                 "-e @s.yml --vault-password-file pw 2>&1");
    INFO(dbg.out);
    CHECK(dbg.out.find("\"my_secret\": \"s3kr1t\"") != std::string::npos);
    // And upkeep views what it encrypted.
    Run view = test::upkeep("vault view --vault-id ops@" + d / "pw " + d / "a.yml");
    CHECK(view.out == plain);
}
