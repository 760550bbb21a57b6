#include "engine/cli/doc_command.hpp"

#include <cstdio>

#include "engine/util/strings.hpp"
#include "engine/module/module.hpp"

namespace upkeep {

namespace {
const char* type_name(ArgType t) {
    switch (t) {
        case ArgType::Any: return "any";
        case ArgType::String: return "str";
        case ArgType::Bool: return "bool";
        case ArgType::Int: return "int";
        case ArgType::List: return "list";
        case ArgType::Map: return "map";
        case ArgType::Path: return "path";
        case ArgType::Mode: return "mode";
    }
    return "?";
}
}  // namespace

int run_doc_command(const std::string& module, const ModuleCatalog& modules) {
    if (module.empty()) {
        for (const auto& name : modules.names())
            std::printf("%-18s %s\n", name.c_str(), modules.find(name)->spec().summary.c_str());
        return 0;
    }
    const Module* m = modules.find(module);
    if (!m) {
        std::string hint = closest_match(module, modules.names());
        std::fprintf(stderr, "ERROR: unknown module '%s'%s\n", module.c_str(),
                     hint.empty() ? "" : (" (did you mean '" + hint + "'?)").c_str());
        return 1;
    }
    const ModuleSpec& s = m->spec();
    std::printf("%s: %s\n\nARGUMENTS\n", s.name.c_str(), s.summary.c_str());
    if (s.free_form) std::printf("  %-22s %s\n", "(free form)", "the command line, as text after the module name");
    for (const auto& a : s.args) {
        std::string head = a.name + (a.required ? " (required)" : "");
        std::string extra = std::string("[") + type_name(a.type) + "]";
        if (!a.default_value.is_null()) extra += " default: " + a.default_value.to_string();
        if (!a.choices.empty()) extra += " choices: " + join(a.choices, ", ");
        if (!a.aliases.empty()) extra += " aliases: " + join(a.aliases, ", ");
        if (a.secret) extra += " (secret: masked in all output)";
        std::printf("  %-22s %s\n  %-22s %s\n", head.c_str(), a.doc.c_str(), "", extra.c_str());
    }
    if (!s.doc.empty()) std::printf("\n%s\n", s.doc.c_str());
    return 0;
}

}  // namespace upkeep
