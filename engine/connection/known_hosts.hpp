// Host key verification against OpenSSH known_hosts files, with messages that
// show both fingerprints when a key changed.
#pragma once

#include <libssh/libssh.h>

#include <string>

#include "engine/connection/ssh_options.hpp"

namespace upkeep {

// The name a host has in known_hosts: "host" on port 22, else "[host]:port".
std::string known_hosts_name(const std::string& host, int port);

// "SHA256:base64" as OpenSSH prints it, or "" when the key cannot be hashed.
std::string key_fingerprint(ssh_key key);

// What the check concluded when it let the connection go on.
struct HostKeyVerdict {
    // The key differs from the recorded one and only StrictHostKeyChecking=no
    // let it through: as OpenSSH does, the caller must not offer a password
    // (a man in the middle would collect it) and must show `warning`.
    bool changed = false;
    std::string warning;
};

// Checks the server key of a session whose key exchange is done, recording it
// when the policy allows a new key. Throws ConnectionError when the key is
// marked @revoked (under every policy, as OpenSSH), changed (with the expected
// and offered fingerprints; under Off the connection goes on with a warning
// and `changed` set), or is unknown under Strict. libssh skips known_hosts
// lines with a marker, so @revoked and @cert-authority lines are read here:
// upkeep does not verify host certificates, and a host known only through a
// @cert-authority line is refused as unknown, with a message that says so.
// `known_hosts_file` must be the file the session was told about.
HostKeyVerdict verify_host_key(ssh_session session, const std::string& host, int port,
                               const std::string& known_hosts_file, SshOptions::HostKeyChecking policy);

}  // namespace upkeep
