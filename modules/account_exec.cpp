#include "modules/account_exec.hpp"

#include "engine/util/error.hpp"
#include "engine/util/strings.hpp"

namespace upkeep {

AccountDb read_account_db(Connection& conn) {
    std::string shadow;
    try {
        shadow = conn.read_file("/etc/shadow").value_or("");
    } catch (const TaskError&) {
        // Not readable without root: password comparisons then see no hash.
    }
    return parse_account_db(conn.read_file("/etc/passwd").value_or(""), shadow, conn.read_file("/etc/group").value_or(""));
}

void run_account_commands(Connection& conn, const AccountCommands& cmds, const std::string& user_for_password) {
    std::string prefix = is_sandbox_host(conn) ? " --prefix " + shell_quote(conn.command_path("/")) : "";
    bool dry = false;  // a dry run recorded the commands instead of running them
    auto run = [&](const std::string& tool, const std::string& line, const std::string& stdin_data) {
        Command c;
        c.cmdline = line;
        c.stdin_data = stdin_data;
        c.env = {{"LANG", "C"}, {"LC_ALL", "C"}};
        CommandResult r = conn.run(c);
        if (!r.executed) {
            dry = true;
            return;
        }
        if (r.rc != 0) throw TaskError(tool + " failed (rc " + std::to_string(r.rc) + "): " + trim(r.err.empty() ? r.out : r.err));
    };
    for (const auto& argv : cmds.argv) {
        std::string line = shell_quote(argv.front()) + prefix;
        for (size_t i = 1; i < argv.size(); ++i) line += " " + shell_quote(argv[i]);
        run(argv.front(), line, "");
    }
    if (!cmds.password_hash) return;
    if (prefix.empty()) {
        run("chpasswd", "chpasswd -e", user_for_password + ":" + *cmds.password_hash + "\n");
        return;
    }
    // chpasswd has no --prefix (only a chroot, which needs PAM inside the sandbox):
    // on a sandbox the hash goes into the sandbox's /etc/shadow directly.
    std::string shadow = conn.read_file("/etc/shadow").value_or("");
    std::string out;
    bool found = false;
    for (const auto& line : split_lines_keep(shadow)) {
        size_t c1 = line.find(':');
        if (c1 != std::string::npos && line.substr(0, c1) == user_for_password) {
            size_t c2 = line.find(':', c1 + 1);
            out += line.substr(0, c1 + 1) + *cmds.password_hash + (c2 == std::string::npos ? "\n" : line.substr(c2));
            found = true;
        } else {
            out += line;
        }
    }
    if (!found && dry) return;  // the account itself is only planned
    if (!found) throw TaskError("setting the password: " + user_for_password + " is not in the sandbox's /etc/shadow");
    conn.write_file("/etc/shadow", out, WriteOptions{});
}

}  // namespace upkeep
