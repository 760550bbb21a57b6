// The config files a package manager protects, as its database records them:
// dpkg's conffiles (path and md5 of the packaged bytes) and rpm's %config files
// (digest, algorithm, noreplace). An upgrade leaves the new packaged file beside a
// config file the operator edited (.dpkg-dist, .rpmnew) or moves the edited one
// aside (.rpmsave, plain %config); which files the operator edited is what this
// reads, so a dry run can say which leftovers an upgrade may produce.
#pragma once

#include <string>
#include <vector>

namespace upkeep::pkg {

struct ConfFile {
    std::string package;
    std::string path;
    std::string digest;  // hex digest of the packaged bytes
    std::string algo;    // OpenSSL digest name: "md5", "sha256"...
    bool noreplace = true;  // rpm %config without (noreplace) replaces the file: .rpmsave
};

// The -f format for `dpkg-query -W` that parse_dpkg_conffiles reads.
extern const char* const k_dpkg_conffiles_format;
// Reads `dpkg-query -W -f=<k_dpkg_conffiles_format> PKG...`: a package line, then
// " /path md5 [obsolete]" lines. Obsolete conffiles (no longer shipped) are left out.
std::vector<ConfFile> parse_dpkg_conffiles(const std::string& out);

// The --qf format for `rpm -q` that parse_rpm_config_files reads.
extern const char* const k_rpm_config_format;
// Reads `rpm -q --qf <k_rpm_config_format> PKG...`: one line per file; keeps the
// %config files that have a digest (not directories, ghosts or links).
std::vector<ConfFile> parse_rpm_config_files(const std::string& out);

// The OpenSSL name of rpm's FILEDIGESTALGO number (PGPHASHALGO): 1 md5, 2 sha1,
// 8 sha256, 9 sha384, 10 sha512, 11 sha224; "" for others. Empty text: md5 (old rpms).
std::string rpm_digest_algo(const std::string& number);

// Hex digest of `data` with the OpenSSL digest `algo` ("" when unknown).
std::string digest_hex(const std::string& algo, const std::string& data);

}  // namespace upkeep::pkg
