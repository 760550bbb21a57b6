#include "engine/exec/ssh_factory.hpp"

#include "engine/connection/ssh_connection.hpp"
#include "engine/connection/ssh_options.hpp"
#include "engine/lua/lua_env.hpp"
#include "engine/lua/lua_pool.hpp"
#include "engine/util/error.hpp"

namespace upkeep {

ConnectionPtr make_ssh_connection(const std::string& host, const Value& vars, const RunOptions& opts) {
    SshOptions defaults;
    defaults.user = opts.remote_user;
    if (!opts.private_key.empty()) defaults.identity_files.push_back(opts.private_key);
    defaults.password = opts.ssh_password;
    defaults.known_hosts_file = opts.known_hosts;
    if (opts.host_key_checking == "accept-new")
        defaults.host_key_checking = SshOptions::HostKeyChecking::AcceptNew;
    else if (opts.host_key_checking == "off")
        defaults.host_key_checking = SshOptions::HostKeyChecking::Off;
    defaults.connect_timeout_s = opts.timeout_s;
    defaults.become = opts.become.value_or(false);
    defaults.become_password = opts.become_password;
    // Connection variables may be templates ("{{ mgmt_net }}.11"): render them first.
    Value rendered(Map{});
    for (const auto& [k, v] : vars.as_map())
        if (k.rfind("ansible_", 0) == 0 || k.rfind("upkeep_", 0) == 0) rendered[k] = lua_lease()->render(v, vars);
    return std::make_unique<SshConnection>(ssh_options_from_vars(host, rendered, defaults));
}

}  // namespace upkeep
