#include "engine/exec/connection_factory.hpp"

#include <filesystem>

#include "engine/connection/local_connection.hpp"
#include "engine/exec/ssh_factory.hpp"
#include "engine/lua/lua_env.hpp"
#include "engine/lua/lua_pool.hpp"
#include "engine/util/error.hpp"

namespace fs = std::filesystem;

namespace upkeep {

namespace {
std::string var(const Value& vars, std::initializer_list<const char*> names) {
    for (const char* n : names) {
        const Value& v = vars.get(n);
        if (!v.is_null()) return lua_lease()->render(v, vars).to_string();
    }
    return "";
}
}  // namespace

ConnectionPtr make_connection(const std::string& host, const Value& vars, const RunOptions& opts) {
    std::string kind = var(vars, {"upkeep_connection", "ansible_connection"});
    if (kind.empty()) kind = "ssh";
    if (kind == "local") return std::make_unique<LocalConnection>(host);
    if (kind == "sandbox") {
        std::string root = var(vars, {"upkeep_sandbox_root"});
        if (root.empty()) throw ConnectionError(host + ": sandbox connection needs upkeep_sandbox_root");
        fs::path p(root);
        if (p.is_relative() && !opts.inventory_dir.empty()) p = fs::path(opts.inventory_dir) / p;
        std::error_code ec;
        fs::create_directories(p, ec);
        if (ec) throw ConnectionError(host + ": cannot create sandbox root " + p.string() + ": " + ec.message());
        return std::make_unique<LocalConnection>(host, fs::absolute(p).lexically_normal().string());
    }
    if (kind == "ssh" || kind == "paramiko" || kind == "smart") return make_ssh_connection(host, vars, opts);
    throw ConnectionError(host + ": unknown connection type '" + kind + "' (use local, sandbox or ssh)");
}

std::string connection_key(const Value& vars) {
    static const char* const k_names[] = {
        "ansible_connection", "upkeep_connection", "upkeep_sandbox_root", "ansible_host", "ansible_ssh_host",
        "ansible_port", "ansible_ssh_port", "ansible_user", "ansible_ssh_user", "ansible_ssh_private_key_file",
        "ansible_private_key_file", "ansible_password", "ansible_ssh_pass", "ansible_ssh_password", "ansible_become",
        "ansible_become_method", "ansible_become_user", "ansible_become_pass", "ansible_become_password",
        "ansible_ssh_common_args", "ansible_ssh_extra_args", "ansible_host_key_checking",
        "ansible_ssh_host_key_checking", "ansible_ssh_timeout", "ansible_timeout"};
    std::string key;
    for (const char* n : k_names) {
        const Value& v = vars.get(n);
        if (!v.is_null()) key += std::string(n) + "=" + v.to_json(true) + "\n";  // in memory only, never shown
    }
    return key;
}

}  // namespace upkeep
