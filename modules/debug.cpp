// debug: prints a message or a variable's value; never changes anything.
#include "engine/module/module.hpp"
#include "engine/util/error.hpp"

namespace upkeep {
namespace {

class DebugModule : public Module {
public:
    const ModuleSpec& spec() const override {
        static const ModuleSpec s{
            .name = "debug",
            .summary = "Print a message or the value of an expression",
            .doc = "Example:\n  - debug: msg=\"agent class is {{ agent_class }}\"\n  - debug: var=result.stdout",
            .args =
                {
                    {.name = "msg", .type = ArgType::Any, .doc = "the message (templated)"},
                    {.name = "var", .type = ArgType::String, .doc = "a Lua expression whose value to print"},
                    {.name = "verbosity",
                     .type = ArgType::Int,
                     .default_value = Value(0),
                     .doc = "print only at this -v level or above"},
                },
            .mutually_exclusive = {{"msg", "var"}},
        };
        return s;
    }

    Plan check(ModuleContext& ctx, const Args& args) const override {
        Plan p;
        if (args.has("var") && args.get("var").untrusted()) {
            // `var: "{{ r.stdout }}"`: the host's text is shown as the text it is, never
            // evaluated (it could read any host's variables).
            Value text = args.get("var");
            p.result["var"] = text;
            p.msg = text.to_json() + " (data from a managed host: shown, not evaluated)";
        } else if (args.has("var")) {
            std::string expr = args.str("var");
            Value v;
            try {
                v = ctx.eval(args.get("var"));
            } catch (const UserError& e) {
                // As Ansible: an undefined var is shown, not a failure.
                if (std::string(e.what()).find("is undefined") == std::string::npos) throw;
                v = Value("VARIABLE IS NOT DEFINED!");
            }
            p.result[expr] = v;
            p.msg = expr + ": " + v.to_json();
        } else {
            Value msg = args.has("msg") ? args.get("msg") : Value("Hello world!");
            p.result["msg"] = msg;
            p.msg = msg.secret() ? k_masked : msg.to_string();
        }
        p.result["verbosity"] = Value(args.integer("verbosity"));
        return p;
    }

    Value apply(ModuleContext&, const Args&, const Plan&) const override { return Value(); }
};

}  // namespace

std::unique_ptr<Module> make_debug_module() { return std::make_unique<DebugModule>(); }

}  // namespace upkeep
