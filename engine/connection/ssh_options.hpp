// SshOptions: everything needed to reach one host over SSH, resolved from the
// inventory's Ansible variables, OpenSSH-style arguments and ~/.ssh/config.
#pragma once

#include "engine/util/strings.hpp"

#include <string>
#include <vector>

#include "engine/value/value.hpp"

namespace upkeep {

struct SshOptions {
    enum class HostKeyChecking { Strict, AcceptNew, Off };

    std::string host_name;  // the inventory name (what reports show)
    std::string address;    // what we connect to; "" means host_name
    std::string user;       // "" means the local user's name
    int port = 22;
    std::vector<std::string> identity_files;
    std::string password;  // secret: used for password authentication only
    std::string known_hosts_file;  // "" means ~/.ssh/known_hosts
    HostKeyChecking host_key_checking = HostKeyChecking::Strict;
    int connect_timeout_s = 10;
    std::string proxy_jump;  // [user@]host[:port][,...] as in OpenSSH's -J
    // OpenSSH's ProxyCommand (%h, %p, %r expanded by libssh, run by /bin/sh);
    // at most one of proxy_jump and proxy_command is set.
    std::string proxy_command;
    bool password_auth = true;   // PasswordAuthentication / KbdInteractiveAuthentication
    bool identities_only = false;  // IdentitiesOnly: no keys from ssh-agent
    // The OpenSSH client configuration read for Host blocks: "" means
    // ~/.ssh/config, "none" reads none (tests, reproducible runs).
    std::string ssh_config_file;
    // upkeep_run_lock=false: a host that cannot give the per-host run lock
    // (see run_lock.hpp) runs without it, with a warning, instead of failing.
    bool run_lock_required = true;
    // upkeep_ssh_shell: "persistent" runs every command in one long-lived
    // shell per host and become user (shell_channel.hpp); "exec" opens an exec
    // channel per command, as ssh does.
    bool persistent_shell = true;
    // upkeep_ssh_files: how file operations travel without become: "sftp",
    // "shell" (one command on the persistent shell, one round trip each), or
    // "auto": the shell when a round trip to the host is slow (> 20 ms).
    std::string files_via = "auto";

    bool become = false;
    std::string become_method = "sudo";  // or "su"
    std::string become_user = "root";
    std::string become_password;  // secret: sent on stdin, never in argv
};

// Resolves the options for one host. Precedence, highest first: the host's
// ansible_* variables, then ansible_ssh_common_args / ansible_ssh_extra_args
// (OpenSSH -o Key=Value, -i, -p, -J, -l, -F), then cli_defaults where they are
// set (non-empty, or a port other than 22), then the matching Host blocks of
// the OpenSSH client configuration (parsed by libssh), then built-in defaults.
// Throws UserError (with the variable's mark) for values that make no sense.
SshOptions ssh_options_from_vars(const std::string& host, const Value& host_vars, const SshOptions& cli_defaults);

// "yes"/"no"/"accept-new"/"off"... as OpenSSH spells StrictHostKeyChecking.
SshOptions::HostKeyChecking parse_host_key_checking(const std::string& text);

// "~/x" and "%d/x" (libssh's spelling of ~/.ssh) expanded with $HOME.
std::string expand_home(const std::string& path);

// Splits "[user@]host[:port]" (also "[v6addr]:port"); port 0 when absent.
struct SshEndpoint {
    std::string user, host;
    int port = 0;
};
SshEndpoint parse_ssh_endpoint(const std::string& spec);

}  // namespace upkeep
