// debug: prints a message or a variable's value; never changes anything.
#include "engine/module/module.hpp"
#include "engine/util/error.hpp"

namespace upkeep {
namespace {

class DebugModule : public Module {
public:
    const ModuleSpec& spec() const override {
        static const ModuleSpec s{
            "debug",
            "Print a message or the value of an expression",
            "Example:\n  - debug: msg=\"agent class is {{ agent_class }}\"\n  - debug: var=result.stdout",
            {
                {"msg", ArgType::Any, false, {}, {}, {}, false, "the message (templated)"},
                {"var", ArgType::String, false, {}, {}, {}, false, "a Lua expression whose value to print"},
                {"verbosity", ArgType::Int, false, Value(0), {}, {}, false, "print only at this -v level or above"},
            },
            false,
            {{"msg", "var"}},
            {},
        };
        return s;
    }

    Plan check(ModuleContext& ctx, const Args& args) const override {
        Plan p;
        if (args.has("var")) {
            std::string expr = args.str("var");
            Value v;
            try {
                v = ctx.eval(expr);
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
