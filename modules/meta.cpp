// meta: executor actions (flush_handlers, end_play, ...). The play executor carries
// them out; this module gives `meta:` its argument spec and its `upkeep doc` text.
#include "engine/module/module.hpp"
#include "engine/util/error.hpp"

namespace upkeep {

namespace {

class MetaModule : public Module {
public:
    const ModuleSpec& spec() const override {
        static const ModuleSpec s{
            .name = "meta",
            .summary = "Executor actions: flush_handlers, end_play, end_host, clear_facts, noop...",
            .doc = "Example:\n  - meta: flush_handlers",
            .args =
                {
                    {.name = "cmd", .type = ArgType::String, .required = true, .doc = "the action (the free form)"},
                },
            .free_form = true,
        };
        return s;
    }

    // The play executor carries out meta tasks itself (playbook.hpp's meta_actions()
    // is the one list; the loader checks names against it): no meta task reaches here.
    Plan check(ModuleContext&, const Args&) const override {
        throw ContractError("meta: carried out by the play executor, never run as a module");
    }

    Value apply(ModuleContext&, const Args&, const Plan&) const override { return Value(); }
};

}  // namespace

std::unique_ptr<Module> make_meta_module() { return std::make_unique<MetaModule>(); }

}  // namespace upkeep
