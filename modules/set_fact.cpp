// set_fact: sets host variables from its arguments (any names); never changes the host.
#include "engine/module/module.hpp"
#include "engine/util/error.hpp"

namespace upkeep {

namespace {

class SetFactModule : public Module {
public:
    const ModuleSpec& spec() const override {
        static const ModuleSpec s = [] {
            ModuleSpec m{
                .name = "set_fact",
                .summary = "Set host variables",
                .doc =
                    "Every argument becomes a variable of the host for the rest of the run.\n"
                    "Example:\n"
                    "  - set_fact:\n"
                    "      agent_class: com.cloud.hypervisor.kvm.resource.LibvirtComputingResource",
                .args =
                    {
                        {.name = "cacheable",
                         .type = ArgType::Bool,
                         .doc = "accepted for compatibility (no fact cache)"},
                    },
            };
            m.any_args = true;
            return m;
        }();
        return s;
    }

    Plan check(ModuleContext&, const Args& args) const override {
        Plan p;
        Value facts = Value(Map{});
        if (args.raw().is_map())
            for (const auto& [k, v] : args.raw().as_map())
                if (k != "cacheable") facts[k] = v;
        if (facts.as_map().empty()) throw TaskError("set_fact: no variables given");
        std::vector<std::string> names;
        for (const auto& [k, v] : facts.as_map()) names.push_back(k);
        p.result["ansible_facts"] = facts;
        p.msg = "set " + std::to_string(names.size()) + " variable(s)";
        return p;
    }

    Value apply(ModuleContext&, const Args&, const Plan&) const override { return Value(); }
};

}  // namespace

std::unique_ptr<Module> make_set_fact_module() { return std::make_unique<SetFactModule>(); }

}  // namespace upkeep
