// fail: fails the task with a message (usually under a `when:`).
#include "engine/module/module.hpp"
#include "engine/util/error.hpp"

namespace upkeep {

namespace {

class FailModule : public Module {
public:
    const ModuleSpec& spec() const override {
        static const ModuleSpec s{
            .name = "fail",
            .summary = "Fail the task with a message",
            .doc =
                "Example:\n"
                "  - fail: msg=\"the management server is still running\"\n"
                "    when: ms_status.rc == 0",
            .args =
                {
                    {.name = "msg",
                     .type = ArgType::Any,
                     .default_value = Value("Failed as requested from task"),
                     .doc = "the message"},
                },
        };
        return s;
    }

    Plan check(ModuleContext&, const Args& args) const override {
        Value msg = args.get("msg");
        // The shown text is masked; the registered msg keeps its secret flag.
        throw TaskError(msg.secret() ? k_masked : msg.to_string(), Value(Map{{"msg", msg}}));
    }

    Value apply(ModuleContext&, const Args&, const Plan&) const override { return Value(); }
};

}  // namespace

std::unique_ptr<Module> make_fail_module() { return std::make_unique<FailModule>(); }

}  // namespace upkeep
