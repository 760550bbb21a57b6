// assert: fails the task when any of the given Lua expressions is false.
#include "engine/module/module.hpp"
#include "engine/util/error.hpp"

namespace upkeep {

namespace {

class AssertModule : public Module {
public:
    const ModuleSpec& spec() const override {
        static const ModuleSpec s{
            .name = "assert",
            .summary = "Fail unless every expression is true",
            .doc =
                "Expressions are Lua (not Jinja), evaluated against the host's variables.\n"
                "Example:\n"
                "  - assert:\n"
                "      that:\n"
                "        - cloudstack_version >= '4.11'\n"
                "        - result.rc == 0\n"
                "      fail_msg: upgrade needs CloudStack 4.11 or later",
            .args =
                {
                    {.name = "that",
                     .type = ArgType::List,
                     .required = true,
                     .doc = "Lua expressions that must all be true"},
                    {.name = "fail_msg",
                     .type = ArgType::String,
                     .aliases = {"msg"},
                     .doc = "message when an expression is false"},
                    {.name = "success_msg", .type = ArgType::String, .doc = "message when all are true"},
                    {.name = "quiet",
                     .type = ArgType::Bool,
                     .default_value = Value(false),
                     .doc = "shorter output on success"},
                },
        };
        return s;
    }

    Plan check(ModuleContext& ctx, const Args& args) const override {
        Plan p;
        for (const Value& that : args.get("that").as_list()) {
            if (ctx.eval(that).truthy()) continue;
            std::string expr = that.to_string();
            throw TaskError(args.has("fail_msg") ? args.str("fail_msg") + " (assertion failed: " + expr + ")"
                                                 : "assertion failed: " + expr,
                            Value(Map{{"assertion", Value(expr)}, {"evaluated_to", Value(false)}}));
        }
        p.msg = args.has("success_msg") ? args.str("success_msg") : "All assertions passed";
        p.result["msg"] = Value(p.msg);
        if (args.flag("quiet")) p.result["quiet"] = Value(true);
        return p;
    }

    Value apply(ModuleContext&, const Args&, const Plan&) const override { return Value(); }
};

}  // namespace

std::unique_ptr<Module> make_assert_module() { return std::make_unique<AssertModule>(); }

}  // namespace upkeep
