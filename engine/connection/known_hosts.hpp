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

// Checks the server key of a session whose key exchange is done, recording it
// when the policy allows a new key. Throws ConnectionError when the key
// changed (with the expected and offered fingerprints) or is unknown under
// Strict. `known_hosts_file` must be the file the session was told about.
void verify_host_key(ssh_session session, const std::string& host, int port, const std::string& known_hosts_file,
                     SshOptions::HostKeyChecking policy);

}  // namespace upkeep
