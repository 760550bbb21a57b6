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
    auto run = [&](const std::string& tool, const std::string& line, const std::string& stdin_data) {
        Command c;
        c.cmdline = line;
        c.stdin_data = stdin_data;
        c.env = {{"LANG", "C"}, {"LC_ALL", "C"}};
        CommandResult r = conn.run(c);
        if (!r.executed) return;
        if (r.rc != 0) throw TaskError(tool + " failed (rc " + std::to_string(r.rc) + "): " + trim(r.err.empty() ? r.out : r.err));
    };
    for (const auto& argv : cmds.argv) {
        std::string line = shell_quote(argv.front()) + prefix;
        for (size_t i = 1; i < argv.size(); ++i) line += " " + shell_quote(argv[i]);
        run(argv.front(), line, "");
    }
    if (cmds.password_hash) run("chpasswd", "chpasswd -e" + prefix, user_for_password + ":" + *cmds.password_hash + "\n");
}

Value account_commands_value(const AccountCommands& cmds) {
    Value v;
    List argvs;
    for (const auto& argv : cmds.argv) {
        List a;
        for (const auto& s : argv) a.push_back(Value(s));
        argvs.push_back(Value(std::move(a)));
    }
    v["argv"] = Value(std::move(argvs));
    if (cmds.password_hash) {
        Value h(*cmds.password_hash);
        h.set_secret(true);
        v["password_hash"] = h;
    }
    return v;
}

AccountCommands account_commands_from(const Value& v) {
    AccountCommands c;
    if (v.get("argv").is_list())
        for (const auto& a : v.get("argv").as_list()) {
            std::vector<std::string> argv;
            for (const auto& s : a.as_list()) argv.push_back(s.as_string());
            c.argv.push_back(argv);
        }
    if (v.get("password_hash").is_string()) c.password_hash = v.get("password_hash").as_string();
    return c;
}

}  // namespace upkeep
