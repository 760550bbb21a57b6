// Privilege escalation (sudo, su) for commands run over a connection. The
// password travels on the command's stdin and never appears in argv.
#pragma once

#include <string>

namespace upkeep {

struct BecomeSpec {
    std::string method = "sudo";  // "sudo" or "su"
    std::string user = "root";
    std::string password;  // may be empty (NOPASSWD, or su from root)
};

// How a wrapped command talks to whoever runs it:
// 1. sudo/su may ask for the password: it prints `prompt` on stderr (for su,
//    its own prompt, recognized by prompt_is_su), and the runner answers with
//    the password on stdin. A second prompt means the password was refused.
// 2. Once running as the target user, the payload prints `marker` and a
//    newline on stderr. Only then does the runner send the command's own
//    stdin, so input can never be mistaken for a password, and a command
//    whose marker never came did not run.
struct BecomeCommand {
    std::string cmdline;
    std::string prompt;  // sudo: our own prompt text; su: "" (see prompt_is_su)
    std::string marker;
    bool prompt_is_su = false;
};

// Wraps a /bin/sh script so it runs as spec.user.
BecomeCommand wrap_become(const std::string& script, const BecomeSpec& spec);

// Finds a password prompt in stderr text received before the marker; returns
// the [begin, end) range to cut out of the text, or begin == npos.
std::pair<size_t, size_t> find_become_prompt(const BecomeCommand& b, const std::string& err, size_t from);

}  // namespace upkeep
