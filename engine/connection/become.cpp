#include "engine/connection/become.hpp"

#include "engine/util/error.hpp"
#include "engine/util/strings.hpp"

namespace upkeep {

namespace {

constexpr const char* k_marker = "UPKEEP-BECOME-SUCCESS-7f3a9c";
// sudo expands %-escapes in prompts, so this one has none.
constexpr const char* k_sudo_prompt = "[upkeep-sudo-password-7f3a9c]";

}  // namespace

BecomeCommand wrap_become(const std::string& script, const BecomeSpec& spec) {
    if (spec.password.find('\n') != std::string::npos) throw TaskError("become password must not contain a newline");
    std::string payload = std::string("echo ") + k_marker + " >&2; " + script;
    BecomeCommand out;
    out.marker = k_marker;
    if (spec.method == "sudo") {
        out.prompt = k_sudo_prompt;
        // Without a password, -n makes sudo fail at once instead of prompting.
        out.cmdline = std::string("sudo ") + (spec.password.empty() ? "-n " : "-S ") + "-p " + shell_quote(out.prompt) +
                      " -H -u " + shell_quote(spec.user) + " -- /bin/sh -c " + shell_quote(payload);
    } else if (spec.method == "su") {
        out.prompt_is_su = true;
        out.cmdline = "su -s /bin/sh -c " + shell_quote(payload) + " " + shell_quote(spec.user);
    } else {
        throw TaskError("become method '" + spec.method + "' is not supported (sudo, su)");
    }
    return out;
}

std::pair<size_t, size_t> find_become_prompt(const BecomeCommand& b, const std::string& err, size_t from) {
    if (!b.prompt_is_su) {
        size_t p = err.find(b.prompt, from);
        return {p, p == std::string::npos ? p : p + b.prompt.size()};
    }
    // su's prompt is "Password: " (or a translation ending in ": "), without a newline.
    size_t p = to_lower(err).find("assword", from);
    if (p == std::string::npos) return {p, p};
    size_t colon = err.find(": ", p);
    if (colon == std::string::npos) return {std::string::npos, std::string::npos};  // not complete yet
    size_t begin = err.rfind('\n', p);
    begin = begin == std::string::npos ? from : std::max(begin + 1, from);
    return {begin, colon + 2};
}

}  // namespace upkeep
