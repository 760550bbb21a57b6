// include_vars: loads variables from a YAML file on the controller (a role's
// vars/ first, then the playbook's) into the host's variables, like set_fact.
// Vault-encrypted files are decrypted (and their values are secrets).
#include "engine/module/module.hpp"
#include "engine/util/error.hpp"
#include "engine/value/yaml.hpp"

namespace upkeep {

namespace {

class IncludeVarsModule : public Module {
public:
    const ModuleSpec& spec() const override {
        static const ModuleSpec s = [] {
            ModuleSpec m{
                .name = "include_vars",
                .summary = "Load variables from a YAML file on the controller",
                .doc =
                    "Ansible's include_vars (file form): a relative name is looked up in the role's vars/,\n"
                    "the role directory, then the playbook's vars/ and directory. name: puts them under one key.\n"
                    "Example:\n"
                    "  - include_vars: \"{{ ansible_facts.os_family }}.yml\"",
                .args =
                    {
                        {.name = "file", .type = ArgType::String, .doc = "the vars file"},
                        {.name = "cmd", .type = ArgType::String, .doc = "the free-form file name"},
                        {.name = "name", .type = ArgType::String, .doc = "put the variables under this one name"},
                    },
                .free_form = true,
            };
            return m;
        }();
        return s;
    }

    Plan check(ModuleContext& ctx, const Args& args) const override {
        std::string file = args.has("file") ? args.str("file") : args.str("cmd");
        if (file.empty()) throw TaskError("include_vars: name a file (dir:, depth: and files_matching: are not supported)");
        std::string path = find_controller_file(ctx, "vars", file);
        Value v = load_yaml_file(path);
        if (v.is_null()) v = Value(Map{});
        if (!v.is_map()) throw TaskError("include_vars: " + path + " must hold a map of variables");
        Value facts(Map{});
        if (args.has("name")) facts[args.str("name")] = v;
        else facts = v;
        Plan p;
        p.result["ansible_facts"] = facts;
        p.result["ansible_included_var_files"] = Value(List{Value(path)});
        p.msg = "loaded " + path;
        return p;
    }

    Value apply(ModuleContext&, const Args&, const Plan&) const override { return Value(); }
};

}  // namespace

std::unique_ptr<Module> make_include_vars_module() { return std::make_unique<IncludeVarsModule>(); }

}  // namespace upkeep
