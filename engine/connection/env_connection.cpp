#include "engine/connection/env_connection.hpp"

#include "engine/util/error.hpp"

namespace upkeep {

namespace {

bool valid_name(const std::string& k) {
    if (k.empty() || !(std::isalpha(static_cast<unsigned char>(k[0])) || k[0] == '_')) return false;
    for (char c : k)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) return false;
    return true;
}

// Every byte as printf %b's \0ooo escape: one line of plain ASCII for `read -r`.
std::string octal_escaped(const std::string& v) {
    static const char digits[] = "01234567";
    std::string out;
    out.reserve(v.size() * 5 + 1);
    for (unsigned char c : v) {
        out += "\\0";
        out += digits[(c >> 6) & 7];
        out += digits[(c >> 3) & 7];
        out += digits[c & 7];
    }
    return out;
}

}  // namespace

CommandResult EnvConnection::run(const Command& cmd) {
    Command c = cmd;
    if (m_inner.underlying().env_stays_private()) {
        for (const auto& [k, v] : m_env) c.env.emplace(k, v);  // emplace: the command's own value stays
        return m_inner.run(c);
    }
    std::string prologue, lines;
    for (const auto& [k, v] : m_env) {
        if (cmd.env.count(k)) continue;
        if (!valid_name(k)) throw TaskError("invalid environment variable name '" + k + "'");
        if (v.find('\0') != std::string::npos) throw TaskError("environment variable " + k + " holds a NUL byte");
        // `read` takes one line and leaves the rest of stdin to the command; the
        // trailing x keeps trailing newlines that $(...) would strip.
        prologue += "IFS= read -r __upkeep_env || exit 125; " + k + "=$(printf '%bx' \"$__upkeep_env\"); " + k +
                    "=${" + k + "%x}; export " + k + "\n";
        lines += octal_escaped(v) + "\n";
    }
    if (!prologue.empty()) {
        c.cmdline = prologue + "unset __upkeep_env\n" + cmd.cmdline;
        c.stdin_data = lines + cmd.stdin_data;
    }
    return m_inner.run(c);
}

}  // namespace upkeep
