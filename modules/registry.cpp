#include "modules/registry.hpp"

#include <algorithm>
#include <filesystem>
#include <set>
#include <map>
#include <memory>

#include "engine/util/error.hpp"
#include "engine/util/strings.hpp"
#include "modules/lua_module.hpp"

namespace upkeep {

// Each module file defines one factory; declare it here and add its row below.
std::unique_ptr<Module> make_apt_module();
std::unique_ptr<Module> make_apt_repository_module();
std::unique_ptr<Module> make_assert_module();
std::unique_ptr<Module> make_authorized_key_module();
std::unique_ptr<Module> make_blockinfile_module();
std::unique_ptr<Module> make_command_module();
std::unique_ptr<Module> make_config_merge_module();
std::unique_ptr<Module> make_copy_module();
std::unique_ptr<Module> make_cron_module();
std::unique_ptr<Module> make_debug_module();
std::unique_ptr<Module> make_dnf_module();
std::unique_ptr<Module> make_fail_module();
std::unique_ptr<Module> make_fetch_module();
std::unique_ptr<Module> make_file_module();
std::unique_ptr<Module> make_find_module();
std::unique_ptr<Module> make_get_url_module();
std::unique_ptr<Module> make_group_module();
std::unique_ptr<Module> make_include_vars_module();
std::unique_ptr<Module> make_ini_file_module();
std::unique_ptr<Module> make_jasypt_db_secret_module();
std::unique_ptr<Module> make_libvirt_facts_module();
std::unique_ptr<Module> make_libvirt_hook_module();
std::unique_ptr<Module> make_libvirt_restart_module();
std::unique_ptr<Module> make_lineinfile_module();
std::unique_ptr<Module> make_meta_module();
std::unique_ptr<Module> make_mysql_db_module();
std::unique_ptr<Module> make_mysql_query_module();
std::unique_ptr<Module> make_package_facts_module();
std::unique_ptr<Module> make_package_module();
std::unique_ptr<Module> make_pause_module();
std::unique_ptr<Module> make_properties_module();
std::unique_ptr<Module> make_reboot_module();
std::unique_ptr<Module> make_replace_module();
std::unique_ptr<Module> make_service_facts_module();
std::unique_ptr<Module> make_service_module();
std::unique_ptr<Module> make_set_fact_module();
std::unique_ptr<Module> make_shell_module();
std::unique_ptr<Module> make_slurp_module();
std::unique_ptr<Module> make_stat_module();
std::unique_ptr<Module> make_sysctl_module();
std::unique_ptr<Module> make_systemd_module();
std::unique_ptr<Module> make_systemd_service_module();
std::unique_ptr<Module> make_template_module();
std::unique_ptr<Module> make_timezone_module();
std::unique_ptr<Module> make_unarchive_module();
std::unique_ptr<Module> make_uri_module();
std::unique_ptr<Module> make_user_module();
std::unique_ptr<Module> make_wait_for_module();
std::unique_ptr<Module> make_xml_module();
std::unique_ptr<Module> make_yum_module();
std::unique_ptr<Module> make_yum_repository_module();

namespace {

struct Row {
    const char* name;
    std::unique_ptr<Module> (*make)();
};

// One row per module, sorted by name.
const Row k_modules[] = {
    {"apt", make_apt_module},
    {"apt_repository", make_apt_repository_module},
    {"assert", make_assert_module},
    {"authorized_key", make_authorized_key_module},
    {"blockinfile", make_blockinfile_module},
    {"command", make_command_module},
    {"config_merge", make_config_merge_module},
    {"copy", make_copy_module},
    {"cron", make_cron_module},
    {"debug", make_debug_module},
    {"dnf", make_dnf_module},
    {"fail", make_fail_module},
    {"fetch", make_fetch_module},
    {"file", make_file_module},
    {"find", make_find_module},
    {"get_url", make_get_url_module},
    {"group", make_group_module},
    {"include_vars", make_include_vars_module},
    {"ini_file", make_ini_file_module},
    {"jasypt_db_secret", make_jasypt_db_secret_module},
    {"libvirt_facts", make_libvirt_facts_module},
    {"libvirt_hook", make_libvirt_hook_module},
    {"libvirt_restart", make_libvirt_restart_module},
    {"lineinfile", make_lineinfile_module},
    {"meta", make_meta_module},
    {"mysql_db", make_mysql_db_module},
    {"mysql_query", make_mysql_query_module},
    {"package", make_package_module},
    {"package_facts", make_package_facts_module},
    {"pause", make_pause_module},
    {"properties", make_properties_module},
    {"reboot", make_reboot_module},
    {"replace", make_replace_module},
    {"service", make_service_module},
    {"service_facts", make_service_facts_module},
    {"set_fact", make_set_fact_module},
    {"shell", make_shell_module},
    {"slurp", make_slurp_module},
    {"stat", make_stat_module},
    {"sysctl", make_sysctl_module},
    {"systemd", make_systemd_module},
    {"systemd_service", make_systemd_service_module},
    {"template", make_template_module},
    {"timezone", make_timezone_module},
    {"unarchive", make_unarchive_module},
    {"uri", make_uri_module},
    {"user", make_user_module},
    {"wait_for", make_wait_for_module},
    {"xml", make_xml_module},
    {"yum", make_yum_module},
    {"yum_repository", make_yum_repository_module},
};

const std::map<std::string, std::unique_ptr<Module>>& table() {
    static const auto* t = [] {
        auto* m = new std::map<std::string, std::unique_ptr<Module>>();
        for (const auto& row : k_modules) (*m)[row.name] = row.make();
        return m;
    }();
    return *t;
}

}  // namespace

const Module* find_module(const std::string& name) {
    std::string n = name;
    for (const char* prefix : {"ansible.builtin.", "ansible.legacy.", "community.general.", "ansible.posix.", "community.mysql."})
        if (starts_with(n, prefix)) n = n.substr(std::char_traits<char>::length(prefix));
    auto it = table().find(n);
    if (it != table().end()) return it->second.get();
    // Then the Lua modules shipped with upkeep (its lua/modules/).
    return find_lua_module(n, lua_module_dirs({}));
}

std::vector<std::string> module_names() {
    std::vector<std::string> out;
    for (const auto& [k, v] : table()) out.push_back(k);
    for (auto& n : lua_module_names(lua_module_dirs({})))
        if (!table().count(n)) out.push_back(n);
    std::sort(out.begin(), out.end());
    return out;
}

namespace {
class BuiltinModules : public ModuleCatalog {
public:
    const Module* find(const std::string& name) const override { return find_module(name); }
    std::vector<std::string> names() const override { return module_names(); }
    // A task also sees the Lua modules of its role and playbook (lua/modules/, library/).
    const Module* find_in(const std::string& name, const std::vector<std::string>& search_dirs,
                          const Mark& where) const override {
        if (const Module* m = find_module(name)) return m;
        return find_lua_module(name, lua_module_dirs(search_dirs), where);
    }
    std::vector<std::string> names_in(const std::vector<std::string>& search_dirs) const override {
        std::vector<std::string> out = module_names();
        for (auto& n : lua_module_names(lua_module_dirs(search_dirs))) out.push_back(n);
        return out;
    }
    std::vector<ModuleFile> module_files(const std::vector<std::string>& search_dirs) const override {
        std::vector<ModuleFile> out;
        std::set<std::string> dirs_seen;
        for (const auto& dir : lua_module_dirs(search_dirs)) {
            std::error_code ec;
            std::string canon = std::filesystem::weakly_canonical(dir, ec).string();
            if (ec || !std::filesystem::is_directory(canon, ec) || !dirs_seen.insert(canon).second) continue;
            for (const auto& name : lua_module_names({canon})) {
                ModuleFile f;
                f.name = name;
                f.path = canon + "/" + name + ".lua";
                try {
                    f.module = find_lua_module(name, {canon});
                } catch (const UserError& e) {
                    f.error = e.what();
                }
                // What a task of this playbook gets by this name (compiled-in modules first).
                try {
                    const Module* winner = find_in(name, search_dirs, Mark{});
                    f.shadowed = f.module && winner != f.module;
                } catch (const UserError&) {
                    f.shadowed = false;
                }
                out.push_back(std::move(f));
            }
        }
        return out;
    }
};
}  // namespace

const ModuleCatalog& builtin_modules() {
    static const BuiltinModules catalog;
    return catalog;
}

}  // namespace upkeep
