#include "engine/connection/become.hpp"

#include "engine/util/error.hpp"
#include "engine/util/strings.hpp"

namespace upkeep {

BecomeCommand wrap_become(const std::string& script, const BecomeSpec& spec) {
    if (spec.password.find('\n') != std::string::npos) throw TaskError("become password must not contain a newline");
    // Reads stdin up to the marker; stops at end of input so a missing marker
    // (sudo consumed it as a failed password attempt) cannot hang the command.
    std::string payload = std::string("while IFS= read -r __upkeep_l; do [ \"$__upkeep_l\" = ") + k_become_marker +
                          " ] && break; done; unset __upkeep_l; " + script;
    BecomeCommand out;
    if (spec.method == "sudo") {
        out.cmdline = std::string("sudo ") + (spec.password.empty() ? "-n " : "-S ") + "-p '' -H -u " +
                      shell_quote(spec.user) + " -- /bin/sh -c " + shell_quote(payload);
    } else if (spec.method == "su") {
        out.cmdline = "su -s /bin/sh -c " + shell_quote(payload) + " " + shell_quote(spec.user);
    } else {
        throw TaskError("become method '" + spec.method + "' is not supported (sudo, su)");
    }
    if (!spec.password.empty()) out.stdin_prefix = spec.password + "\n";
    out.stdin_prefix += std::string(k_become_marker) + "\n";
    return out;
}

}  // namespace upkeep
