#include "modules/formats/pkg_conffiles.hpp"

#include <openssl/evp.h>

#include <sstream>

#include "engine/util/strings.hpp"
#include "modules/host_data.hpp"

namespace upkeep::pkg {

const char* const k_dpkg_conffiles_format = "${Package}\\n${Conffiles}\\n";

std::vector<ConfFile> parse_dpkg_conffiles(const std::string& out) {
    std::vector<ConfFile> files;
    std::string package;
    for (const auto& line : split(out, '\n')) {
        if (line.empty()) continue;
        if (line[0] != ' ') {
            package = trim(line);
            continue;
        }
        std::istringstream in(line);
        ConfFile f;
        std::string flag;
        in >> f.path >> f.digest >> flag;
        if (f.path.empty() || f.path[0] != '/' || f.digest.size() != 32 || flag == "obsolete" || flag == "remove-on-upgrade")
            continue;
        f.package = package;
        f.algo = "md5";
        files.push_back(std::move(f));
    }
    return files;
}

const char* const k_rpm_config_format =
    "[%{=NAME}\\t%{=FILEDIGESTALGO}\\t%{FILEFLAGS:fflags}\\t%{FILEDIGESTS}\\t%{FILENAMES}\\n]";

std::string rpm_digest_algo(const std::string& number) {
    std::string n = trim(number);
    if (n.empty() || n == "(none)" || n == "1") return "md5";
    if (n == "2") return "sha1";
    if (n == "8") return "sha256";
    if (n == "9") return "sha384";
    if (n == "10") return "sha512";
    if (n == "11") return "sha224";
    return "";
}

std::vector<ConfFile> parse_rpm_config_files(const std::string& out) {
    std::vector<ConfFile> files;
    for (const auto& line : split(out, '\n')) {
        auto f = split(line, '\t');
        if (f.size() < 5) continue;
        const std::string& flags = f[2];
        // c: %config; g (ghost) files are not packaged bytes; an empty digest is a
        // directory or link.
        if (flags.find('c') == std::string::npos || flags.find('g') != std::string::npos || f[3].empty()) continue;
        std::string path = f[4];
        for (size_t i = 5; i < f.size(); ++i) path += "\t" + f[i];  // a tab in the name
        ConfFile c;
        c.package = f[0];
        c.algo = rpm_digest_algo(f[1]);
        c.noreplace = flags.find('n') != std::string::npos;
        c.digest = to_lower(f[3]);
        c.path = path;
        if (!c.algo.empty() && !c.path.empty() && c.path[0] == '/') files.push_back(std::move(c));
    }
    return files;
}

std::string digest_hex(const std::string& algo, const std::string& data) {
    // An algorithm rpm names but OpenSSL lacks gives "" (the file counts as unknown), not an error.
    if (!EVP_get_digestbyname(algo.c_str())) return "";
    return upkeep::digest_hex(algo, data);
}

}  // namespace upkeep::pkg
