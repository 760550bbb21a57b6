// slurp: a file of the host, base64-encoded into the result (Ansible's slurp),
// for `register:` and `b64decode`. Read-only.
#include "engine/module/module.hpp"
#include "engine/util/error.hpp"
#include "modules/host_data.hpp"

namespace upkeep {

namespace {

class SlurpModule : public Module {
public:
    const ModuleSpec& spec() const override {
        static const ModuleSpec s = {
            .name = "slurp",
            .summary = "Read a file of the host into the result, base64-encoded",
            .doc =
                "Ansible's slurp: returns content (base64), encoding ('base64') and source.\n"
                "Example:\n"
                "  - slurp:\n"
                "      src: /etc/cloudstack/agent/agent.properties\n"
                "    register: agent_props\n"
                "  - debug:\n"
                "      msg: \"{{ agent_props.content | b64decode }}\"",
            .args =
                {
                    {.name = "src",
                     .type = ArgType::Path,
                     .required = true,
                     .aliases = {"path"},
                     .doc = "the file to read"},
                },
        };
        return s;
    }

    Plan check(ModuleContext& ctx, const Args& args) const override {
        std::string src = args.str("src");
        FileInfo info = ctx.conn.stat(src, true);
        if (!info.exists()) throw TaskError("file not found: " + src);
        if (info.is_dir()) throw TaskError("source is a directory and must be a file: " + src);
        std::optional<std::string> bytes = ctx.conn.read_file(src);
        if (!bytes) throw TaskError("file not found: " + src);
        Plan p;
        p.result["content"] = Value(base64_encode(*bytes));
        p.result["encoding"] = Value("base64");
        p.result["source"] = Value(src);
        return p;
    }

    Value apply(ModuleContext&, const Args&, const Plan&) const override { return Value(); }
};

}  // namespace

std::unique_ptr<Module> make_slurp_module() { return std::make_unique<SlurpModule>(); }

}  // namespace upkeep
