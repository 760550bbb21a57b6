// shell: runs a command line through /bin/sh (or `executable`), so pipes,
// redirections and variables work (Ansible's shell).
#include "engine/util/error.hpp"
#include "engine/util/strings.hpp"
#include "modules/command.hpp"

namespace upkeep {

namespace {

class ShellModule : public Module {
public:
    const ModuleSpec& spec() const override {
        static const ModuleSpec s = [] {
            ModuleSpec m{
                .name = "shell",
                .summary = "Run a command line through the shell on the host",
                .doc =
                    "Ansible's shell. Not idempotent by itself: give creates/removes (or changed_when).\n"
                    "Example:\n"
                    "  - shell: sed -i 's/a/b/g' /etc/x.conf && touch /etc/x.done\n"
                    "    args:\n"
                    "      creates: /etc/x.done",
                .args = command_args(),
                .free_form = true,
                .required_one_of = {{"cmd"}},
            };
            m.args.push_back({.name = "executable", .type = ArgType::Path, .doc = "shell to use instead of /bin/sh"});
            return m;
        }();
        return s;
    }

    Plan check(ModuleContext& ctx, const Args& args) const override {
        if (trim(args.str("cmd")).empty()) throw TaskError("shell: no command given");
        return plan_command(ctx, args, args.str("cmd"));
    }

    Value apply(ModuleContext& ctx, const Args& args, const Plan&) const override {
        std::string cmd = args.str("cmd");
        std::string line = args.has("executable") ? shell_quote(args.str("executable")) + " -c " + shell_quote(cmd) : cmd;
        return run_command(ctx, args, line, Value(cmd));
    }
};

}  // namespace

std::unique_ptr<Module> make_shell_module() { return std::make_unique<ShellModule>(); }

}  // namespace upkeep
