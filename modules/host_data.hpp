// Small pieces several host-data modules share (find, slurp, fetch, get_url,
// unarchive): digests as Ansible prints them, base64, Python's fnmatch, and
// the host's clock.
#pragma once

#include <string>
#include <string_view>

#include "engine/connection/connection.hpp"
#include "engine/util/digest.hpp"  // base64_encode, used with these helpers

namespace upkeep {

// Lower-case hex digest of `data` ("md5", "sha1", "sha256"...); throws TaskError
// for an algorithm OpenSSL does not know.
std::string digest_hex(const std::string& algo, std::string_view data);
// Python's fnmatch.fnmatch on POSIX (case-sensitive): * ? [seq] [!seq]; `*`
// also matches '/' (fnmatch knows no path separators).
bool py_fnmatch(std::string_view name, std::string_view pattern);
// Seconds since the epoch on the host (`date +%s.%N` over the connection), so
// ages and timeouts use the host's clock as Ansible's modules (run there) do.
double host_now(Connection& conn);

}  // namespace upkeep
