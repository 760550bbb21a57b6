// command: runs a program with arguments, with no shell in between: the words
// are split like a shell would, then each is quoted, so `*`, `|`, `$x` and `>`
// reach the program literally (Ansible's command).
#include "modules/command.hpp"

#include "engine/util/error.hpp"
#include "engine/util/strings.hpp"

namespace upkeep {

namespace {

std::vector<std::string> words_of(const Args& args) {
    return args.has("argv") ? args.strings("argv") : split_shell_words(args.str("cmd"));
}

class CommandModule : public Module {
public:
    const ModuleSpec& spec() const override {
        static const ModuleSpec s = [] {
            ModuleSpec m{
                .name = "command",
                .summary = "Run a program on the host (no shell: pipes, globs and $VARS are not interpreted)",
                .doc =
                    "Ansible's command. Not idempotent by itself: give creates/removes (or changed_when).\n"
                    "Example:\n"
                    "  - command: cloudstack-setup-databases cloud:{{ db_password }}@localhost\n"
                    "    args:\n"
                    "      creates: /etc/cloudstack/management/db.properties",
                .args = command_args(),
                .free_form = true,
                .mutually_exclusive = {{"cmd", "argv"}},
                .required_one_of = {{"cmd", "argv"}},
            };
            m.args.push_back({.name = "argv", .type = ArgType::List, .doc = "the program and its arguments as a list"});
            return m;
        }();
        return s;
    }

    Plan check(ModuleContext& ctx, const Args& args) const override {
        std::vector<std::string> words = words_of(args);
        if (words.empty()) throw TaskError("command: no command given");
        return plan_command(ctx, args, join(words, " "));
    }

    Value apply(ModuleContext& ctx, const Args& args, const Plan&) const override {
        std::vector<std::string> words = words_of(args);
        std::vector<std::string> quoted;
        List cmd;
        for (const auto& w : words) {
            quoted.push_back(shell_quote(w));
            cmd.push_back(Value(w));
        }
        return run_command(ctx, args, join(quoted, " "), Value(std::move(cmd)));
    }
};

}  // namespace

std::unique_ptr<Module> make_command_module() { return std::make_unique<CommandModule>(); }

}  // namespace upkeep
