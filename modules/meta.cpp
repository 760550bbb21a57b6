// meta: executor actions (flush_handlers, end_play, ...). The executor acts on
// the `meta` result field; the module only validates the action's name.
#include <algorithm>

#include "engine/module/module.hpp"
#include "engine/util/error.hpp"
#include "engine/util/strings.hpp"

namespace upkeep {

namespace {

const std::vector<std::string>& actions() {
    static const std::vector<std::string> a = {"clear_facts", "clear_host_errors", "end_batch", "end_host",
                                               "end_play", "flush_handlers", "noop", "refresh_inventory",
                                               "reset_connection", "role_complete"};
    return a;
}

class MetaModule : public Module {
public:
    const ModuleSpec& spec() const override {
        static const ModuleSpec s{
            "meta",
            "Executor actions: flush_handlers, end_play, end_host, clear_facts, noop...",
            "Example:\n  - meta: flush_handlers",
            {
                {"cmd", ArgType::String, true, {}, {}, {}, false, "the action (the free form)"},
            },
            true,
            {},
            {},
        };
        return s;
    }

    Plan check(ModuleContext&, const Args& args) const override {
        std::string action = trim(args.str("cmd"));
        if (std::find(actions().begin(), actions().end(), action) == actions().end()) {
            std::string hint = closest_match(action, actions());
            throw UserError(args.get("cmd").mark(), "meta: unknown action '" + action + "'" +
                                                        (hint.empty() ? "" : " (did you mean '" + hint + "'?)"));
        }
        Plan p;
        p.result["meta"] = Value(action);
        p.msg = action;
        return p;
    }

    Value apply(ModuleContext&, const Args&, const Plan&) const override { return Value(); }
};

}  // namespace

std::unique_ptr<Module> make_meta_module() { return std::make_unique<MetaModule>(); }

}  // namespace upkeep
