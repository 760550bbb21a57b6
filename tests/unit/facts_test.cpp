#include <catch2/catch.hpp>

#include "engine/connection/local_connection.hpp"
#include "engine/exec/facts.hpp"
#include "tests/support/test_support.hpp"

using namespace upkeep;

TEST_CASE("facts are parsed from the fact script's output", "[facts]") {
    Value f = parse_facts(
        "kernel=3.10.0-327.el7.x86_64\narchitecture=x86_64\nsystem=Linux\nhostname=kvm01.example.org\n"
        "os_ID=\"centos\"\nos_ID_LIKE=\"rhel fedora\"\nos_NAME=\"CentOS Linux\"\nos_VERSION_ID=\"7.2.1511\"\n"
        "pkg_mgr=yum\nservice_mgr=systemd\nuser_id=root\nuser_uid=0\n");
    CHECK(f.get("os_family").as_string() == "RedHat");
    CHECK(f.get("distribution_major_version").as_string() == "7");
    CHECK(f.get("hostname").as_string() == "kvm01");
    CHECK(f.get("fqdn").as_string() == "kvm01.example.org");
    CHECK(f.get("pkg_mgr").as_string() == "yum");
    CHECK(f.get("user_uid").as_int() == 0);
}

TEST_CASE("facts of a sandbox host come from its own tree", "[facts]") {
    upkeep::test::TempDir root;
    upkeep::test::write_file(root / "etc/os-release", "ID=ubuntu\nID_LIKE=debian\nVERSION_ID=\"12.04\"\nNAME=\"Ubuntu\"\n");
    upkeep::test::write_file(root / "etc/hostname", "mgmt01\n");
    LocalConnection conn("mgmt01", root.path());
    Value f = gather_facts(conn);
    CHECK(f.get("os_family").as_string() == "Debian");
    CHECK(f.get("distribution_version").as_string() == "12.04");
    CHECK(f.get("hostname").as_string() == "mgmt01");
}
