// Parsers for what package tools print: dpkg-query and rpm query lines, the
// `apt-get -s` simulation and the dnf/yum transaction table. The package
// modules (apt, dnf, package) run the tools; this file only reads their text,
// so it is tested without any tool installed.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace upkeep::pkg {

// One package operation a transaction would carry out.
struct PkgOp {
    enum class Kind { Install, Upgrade, Downgrade, Reinstall, Remove };
    Kind kind = Kind::Install;
    std::string name = {};
    std::string arch = {};         // "" when the tool did not say
    std::string old_version = {};  // the installed version (upgrade, downgrade, remove)
    std::string new_version = {};  // the version that will be installed
    // Installed packages this install takes the place of (dnf's "replacing" rows:
    // an Obsoletes: rename such as cloud-client 3.0.7-1 -> cloudstack-management), "name version".
    // (Defaults on every member: PkgOp{kind, name, ...} may stop early without a warning.)
    std::vector<std::string> replaces = {};

    bool operator==(const PkgOp&) const = default;
};

// The plan line for an operation: "install cloudstack-agent 4.3.0-1",
// "upgrade qemu-kvm-ev 2.3.0-31.el7_2.16 -> 2.3.0-31.el7_2.21", "remove x".
std::string op_summary(const PkgOp& op);

// An installed package: name -> version (several lines of one name, as for
// multi-arch packages, keep the first version seen).
using InstalledMap = std::map<std::string, std::string>;

// The -f format for dpkg-query -W that parse_dpkg_query reads.
extern const char* const k_dpkg_query_format;
// Reads `dpkg-query -W -f=<k_dpkg_query_format>` output; packages that are
// only known (not installed, config files left) are left out.
InstalledMap parse_dpkg_query(const std::string& out);

// Reads `apt-get -s install|remove ...` output: the Inst/Remv/Purg lines, in
// order. An Inst line with an old version is an upgrade, or a downgrade when
// apt lists the package under "will be DOWNGRADED".
std::vector<PkgOp> parse_apt_simulation(const std::string& out);

// The --qf format for rpm -q that parse_rpm_query reads.
extern const char* const k_rpm_query_format;
// Reads `rpm -q --qf <k_rpm_query_format>` output; "package x is not
// installed" lines are skipped. Versions read "[epoch:]version-release", the
// epoch only when it is not 0, as dnf prints them.
InstalledMap parse_rpm_query(const std::string& out);

// Reads the transaction table dnf (and yum) print before asking "Is this ok"
// (e.g. with --assumeno): the rows under "Installing:", "Upgrading:",
// "Removing:" and their dependency sections. Old versions are unknown here.
std::vector<PkgOp> parse_dnf_transaction(const std::string& out);

// True when a package name is a shell-style pattern (`ovirt-engine-setup*`).
bool is_glob(const std::string& name);

// The last `lines` non-empty lines of a tool's output, for error messages.
std::string tail_lines(const std::string& text, size_t lines = 8);

}  // namespace upkeep::pkg
