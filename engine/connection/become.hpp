// Privilege escalation (sudo, su) for commands run over a connection. The
// password travels on the command's stdin, ahead of the command's own input,
// and never appears in argv.
#pragma once

#include <string>

namespace upkeep {

struct BecomeSpec {
    std::string method = "sudo";  // "sudo" or "su"
    std::string user = "root";
    std::string password;  // may be empty (NOPASSWD, or su from root)
};

struct BecomeCommand {
    std::string cmdline;       // what the login shell runs
    std::string stdin_prefix;  // sent before the command's stdin
};

// Wraps a /bin/sh script so it runs as spec.user.
//
// sudo -S reads the password from the first line of stdin only when it needs
// one (not under NOPASSWD, not with cached credentials), so the payload
// cannot know whether that line was eaten. The wrapper therefore sends the
// password and then a marker line, and the script first reads (byte by byte,
// as sh's read does on a pipe) up to and including the marker: whatever sudo
// left is discarded and the command's own stdin starts right after it.
// Without a password, sudo runs with -n so it fails at once instead of
// reading the marker as a password.
BecomeCommand wrap_become(const std::string& script, const BecomeSpec& spec);

// The marker line separating the password from the command's stdin.
inline constexpr const char* k_become_marker = "__UPKEEP_BECOME_READY_7f3a__";

}  // namespace upkeep
