// The package tool parsers, fed with output captured from dpkg 1.21, apt 2.6,
// rpm 4.18 and dnf 4.14 (and a yum 3 table for the older layout).
#include <catch2/catch.hpp>

#include "modules/formats/pkg_query.hpp"

using namespace upkeep::pkg;

TEST_CASE("pkg: dpkg-query keeps only installed packages", "[pkg]") {
    std::string out =
        "upk-agent\tall\t1.1\tii \n"
        "upk-old\tall\t0.9\trc \n"           // removed, config files left
        "upk-half\tamd64\t2.0\tiU \n"        // unpacked, not configured
        "libc6\tamd64\t2.36-9+deb12u4\tii \n"
        "libc6\ti386\t2.36-9+deb12u4\tii \n"
        "upk-trig\tall\t3\tiW \n";
    auto m = parse_dpkg_query(out);
    CHECK(m.size() == 3);
    CHECK(m.at("upk-agent") == "1.1");
    CHECK(m.at("libc6") == "2.36-9+deb12u4");
    CHECK(m.at("upk-trig") == "3");
    CHECK_FALSE(m.count("upk-old"));
    CHECK_FALSE(m.count("upk-half"));
}

TEST_CASE("pkg: apt-get -s install lines become installs and upgrades", "[pkg]") {
    std::string out =
        "Reading package lists...\n"
        "Building dependency tree...\n"
        "The following NEW packages will be installed:\n"
        "  upk-lib\n"
        "The following packages will be upgraded:\n"
        "  upk-agent\n"
        "1 upgraded, 1 newly installed, 0 to remove and 130 not upgraded.\n"
        "Inst upk-agent [1.0] (1.1 localhost [all])\n"
        "Inst upk-lib (2.0 localhost [all])\n"
        "Inst libfoo:i386 (1:2.3-4 Debian:12.5/stable [i386]) []\n"
        "Conf upk-agent (1.1 localhost [all])\n"
        "Conf upk-lib (2.0 localhost [all])\n";
    auto ops = parse_apt_simulation(out);
    REQUIRE(ops.size() == 3);
    CHECK(ops[0] == PkgOp{PkgOp::Kind::Upgrade, "upk-agent", "all", "1.0", "1.1"});
    CHECK(ops[1] == PkgOp{PkgOp::Kind::Install, "upk-lib", "all", "", "2.0"});
    CHECK(ops[2] == PkgOp{PkgOp::Kind::Install, "libfoo:i386", "i386", "", "1:2.3-4"});
    CHECK(op_summary(ops[0]) == "upgrade upk-agent 1.0 -> 1.1");
    CHECK(op_summary(ops[1]) == "install upk-lib 2.0");
}

TEST_CASE("pkg: apt-get -s remove, purge and downgrade", "[pkg]") {
    auto rm = parse_apt_simulation("The following packages will be REMOVED:\n  upk-agent*\nRemv upk-agent [1.0]\nPurg upk-lib [2.0]\n");
    REQUIRE(rm.size() == 2);
    CHECK(rm[0] == PkgOp{PkgOp::Kind::Remove, "upk-agent", "", "1.0", ""});
    CHECK(rm[1].kind == PkgOp::Kind::Remove);
    CHECK(op_summary(rm[0]) == "remove upk-agent");

    auto down = parse_apt_simulation(
        "The following packages will be DOWNGRADED:\n  upk-agent\n0 upgraded, 0 newly installed, 1 downgraded\n"
        "Inst upk-agent [1.1] (1.0 localhost [all])\n");
    REQUIRE(down.size() == 1);
    CHECK(down[0].kind == PkgOp::Kind::Downgrade);
    CHECK(op_summary(down[0]) == "downgrade upk-agent 1.1 -> 1.0");
    CHECK(parse_apt_simulation("Reading package lists...\n0 upgraded, 0 newly installed\n").empty());
}

TEST_CASE("pkg: rpm -q lines, epochs only when set", "[pkg]") {
    std::string out =
        "ovirt-engine-setup\t0\t4.3.0-1\tnoarch\n"
        "package nosuch is not installed\n"
        "qemu-kvm-ev\t10\t2.3.0-31.el7_2.16\tx86_64\n"
        "old-rpm\t(none)\t1.0-1\tnoarch\n";
    auto m = parse_rpm_query(out);
    CHECK(m.size() == 3);
    CHECK(m.at("ovirt-engine-setup") == "4.3.0-1");
    CHECK(m.at("qemu-kvm-ev") == "10:2.3.0-31.el7_2.16");
    CHECK(m.at("old-rpm") == "1.0-1");
}

TEST_CASE("pkg: dnf transaction table", "[pkg]") {
    std::string out =
        "Last metadata expiration check: 0:00:14 ago on Sun Nov 22 05:58:58 2026.\n"
        "Package ovirt-engine-setup-4.3.0-1.noarch is already installed.\n"
        "Dependencies resolved.\n"
        "================================================================================\n"
        " Package                        Architecture  Version        Repository    Size\n"
        "================================================================================\n"
        "Installing:\n"
        " cloudstack-agent               noarch        4.3.0-1        @commandline 6.0 k\n"
        "Upgrading:\n"
        " ovirt-engine-setup             noarch        4.3.1-1        local        6.1 k\n"
        " ovirt-engine-setup-plugin-a-very-long-name-that-wraps-its-row\n"
        "                                noarch        4.3.1-1        local        6.1 k\n"
        "     replacing  ovirt-engine-setup-legacy.noarch 4.2.0-1\n"
        "Installing dependencies:\n"
        " qemu-kvm-ev                    x86_64        10:2.3.0-31.el7_2.21 ovirt 2.1 M\n"
        "Removing dependent packages:\n"
        " old-plugin                     noarch        1.0-1          @local        14  \n"
        "\n"
        "Transaction Summary\n"
        "================================================================================\n"
        "Install  2 Packages\n"
        "Upgrade  2 Packages\n";
    auto ops = parse_dnf_transaction(out);
    REQUIRE(ops.size() == 5);
    CHECK(ops[0] == PkgOp{PkgOp::Kind::Install, "cloudstack-agent", "noarch", "", "4.3.0-1"});
    CHECK(ops[1] == PkgOp{PkgOp::Kind::Upgrade, "ovirt-engine-setup", "noarch", "", "4.3.1-1"});
    CHECK(ops[2].name == "ovirt-engine-setup-plugin-a-very-long-name-that-wraps-its-row");
    CHECK(ops[2].new_version == "4.3.1-1");
    CHECK(ops[2].replaces == std::vector<std::string>{"ovirt-engine-setup-legacy 4.2.0-1"});
    CHECK(ops[3] == PkgOp{PkgOp::Kind::Install, "qemu-kvm-ev", "x86_64", "", "10:2.3.0-31.el7_2.21"});
    CHECK(ops[4] == PkgOp{PkgOp::Kind::Remove, "old-plugin", "noarch", "1.0-1", ""});
    CHECK(op_summary(ops[0]) == "install cloudstack-agent 4.3.0-1");
    PkgOp rename{PkgOp::Kind::Install, "cloudstack-management", "noarch", "", "4.3.0-1", {"cloud-client 3.0.7-1"}};
    CHECK(op_summary(rename) == "install cloudstack-management 4.3.0-1 (replacing cloud-client 3.0.7-1)");

    PkgOp up = ops[1];
    up.old_version = "4.3.0-1";
    CHECK(op_summary(up) == "upgrade ovirt-engine-setup 4.3.0-1 -> 4.3.1-1");
}

TEST_CASE("pkg: yum 3 table and empty transactions", "[pkg]") {
    std::string yum3 =
        "Dependencies Resolved\n\n"
        "================================================================================\n"
        " Package           Arch       Version                    Repository      Size\n"
        "================================================================================\n"
        "Updating:\n"
        " cloudstack-agent  x86_64     4.3.0-1.el7                cloudstack      40 M\n"
        "Updating for dependencies:\n"
        " cloudstack-common x86_64     4.3.0-1.el7                cloudstack      80 M\n"
        "\nTransaction Summary\n";
    auto ops = parse_dnf_transaction(yum3);
    REQUIRE(ops.size() == 2);
    CHECK(ops[0].kind == PkgOp::Kind::Upgrade);
    CHECK(ops[1].name == "cloudstack-common");
    CHECK(parse_dnf_transaction("Dependencies resolved.\nNothing to do.\nComplete!\n").empty());
    // Module streams list no packages.
    CHECK(parse_dnf_transaction("Enabling module streams:\n postgresql          12\n").empty());
}

TEST_CASE("pkg: globs and tails", "[pkg]") {
    CHECK(is_glob("ovirt-engine-setup*"));
    CHECK(is_glob("ovirt-?"));
    CHECK_FALSE(is_glob("cloudstack-agent"));
    CHECK(tail_lines("a\n\nb\nc\nd\n", 2) == "c\nd");
    CHECK(tail_lines("", 3).empty());
}
