#include "engine/cli/doc_command.hpp"

#include <algorithm>
#include <cstdio>
#include <filesystem>

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
// A default as a playbook writes it (true, not Python's True).
std::string default_text(const Value& v) {
    if (v.is_bool()) return v.as_bool() ? "true" : "false";
    return v.to_string();
}

// "name [type] default: x" for each declared argument, on one line.
std::string arg_line(const ModuleSpec& s) {
    std::vector<std::string> parts;
    for (const auto& a : s.args) {
        std::string p = a.name + (a.required ? "*" : "");
        if (a.type != ArgType::String) p += std::string(" [") + type_name(a.type) + "]";
        if (!a.default_value.is_null()) p += "=" + default_text(a.default_value);
        if (a.secret) p += " (secret)";
        parts.push_back(p);
    }
    return parts.empty() ? "(no arguments)" : join(parts, ", ");
}

// The Lua modules a playbook's tasks can use, from which file, with their arguments.
void print_module_files(const ModuleCatalog& modules, const std::vector<std::string>& dirs) {
    std::vector<ModuleFile> files = modules.module_files(dirs);
    if (files.empty()) return;
    std::printf("\nLUA MODULES (file; arguments, * = required)\n");
    for (const auto& f : files) {
        std::printf("%-18s %s%s\n", f.name.c_str(), f.path.c_str(), f.shadowed ? "  (not used: another module has this name)" : "");
        if (f.module)
            std::printf("%-18s %s\n", "", arg_line(f.module->spec()).c_str());
        else
            std::printf("%-18s cannot be loaded: %s\n", "", f.error.c_str());
    }
}

}  // namespace

std::vector<std::string> playbook_module_dirs(const std::string& playbook) {
    namespace fs = std::filesystem;
    if (playbook.empty()) return {};
    std::error_code ec;
    fs::path dir = fs::is_directory(playbook, ec) ? fs::path(playbook) : fs::path(playbook).parent_path();
    if (dir.empty()) dir = ".";
    std::vector<std::string> out{dir.string()};
    std::vector<std::string> roles;
    for (const auto& e : fs::directory_iterator(dir / "roles", ec))
        if (e.is_directory(ec)) roles.push_back(e.path().string());
    std::sort(roles.begin(), roles.end());
    out.insert(out.end(), roles.begin(), roles.end());
    return out;
}

int run_doc_command(const std::string& module, const ModuleCatalog& modules, const std::string& playbook) {
    if (!playbook.empty() && !std::filesystem::exists(playbook)) {
        std::fprintf(stderr, "ERROR: %s does not exist (give a playbook or its directory)\n", playbook.c_str());
        return 1;
    }
    std::vector<std::string> dirs = playbook_module_dirs(playbook);
    if (module.empty()) {
        for (const auto& name : modules.names())
            std::printf("%-18s %s\n", name.c_str(), modules.find(name)->spec().summary.c_str());
        print_module_files(modules, dirs);
        return 0;
    }
    const Module* m = nullptr;
    try {
        m = modules.find_in(module, dirs, Mark{});
    } catch (const std::exception& e) {
        std::fprintf(stderr, "ERROR: %s\n", e.what());
        return 1;
    }
    if (!m) {
        std::string hint = closest_match(module, modules.names_in(dirs));
        std::fprintf(stderr, "ERROR: unknown module '%s'%s\n", module.c_str(),
                     hint.empty() ? "" : (" (did you mean '" + hint + "'?)").c_str());
        return 1;
    }
    const ModuleSpec& s = m->spec();
    std::printf("%s: %s\n", s.name.c_str(), s.summary.c_str());
    for (const auto& f : modules.module_files(dirs))
        if (f.module == m) {
            std::printf("(Lua module: %s)\n", f.path.c_str());
            break;
        }
    std::printf("\nARGUMENTS\n");
    if (s.free_form) std::printf("  %-22s %s\n", "(free form)", "the command line, as text after the module name");
    for (const auto& a : s.args) {
        std::string head = a.name + (a.required ? " (required)" : "");
        std::string extra = std::string("[") + type_name(a.type) + "]";
        if (!a.default_value.is_null()) extra += " default: " + default_text(a.default_value);
        if (!a.choices.empty()) extra += " choices: " + join(a.choices, ", ");
        if (!a.aliases.empty()) extra += " aliases: " + join(a.aliases, ", ");
        if (a.secret) extra += " (secret: masked in all output)";
        std::printf("  %-22s %s\n  %-22s %s\n", head.c_str(), a.doc.c_str(), "", extra.c_str());
    }
    if (!s.doc.empty()) std::printf("\n%s\n", s.doc.c_str());
    return 0;
}

}  // namespace upkeep
