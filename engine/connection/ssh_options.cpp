#include "engine/connection/ssh_options.hpp"

#include <libssh/libssh.h>

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <optional>

#include "engine/util/error.hpp"
#include "engine/util/strings.hpp"

namespace upkeep {

namespace {

// The settings one source (arguments or variables) states explicitly; unset
// fields leave the lower layers alone.
struct Layer {
    std::optional<std::string> address, user, known_hosts_file, proxy_jump, proxy_command, ssh_config_file, password;
    std::optional<int> port, connect_timeout_s;
    std::optional<bool> password_auth, identities_only;
    std::optional<SshOptions::HostKeyChecking> host_key_checking;
    std::vector<std::string> identity_files;

    void apply_to(SshOptions& o) const {
        if (address) o.address = *address;
        if (user) o.user = *user;
        if (port) o.port = *port;
        if (known_hosts_file) o.known_hosts_file = *known_hosts_file;
        // One way through: the layer that names a jump or a command replaces
        // the other one of the layers below.
        if (proxy_jump) {
            o.proxy_jump = *proxy_jump;
            o.proxy_command.clear();
        }
        if (proxy_command) {
            o.proxy_command = *proxy_command;
            o.proxy_jump.clear();
        }
        if (password_auth) o.password_auth = *password_auth;
        if (identities_only) o.identities_only = *identities_only;
        if (ssh_config_file) o.ssh_config_file = *ssh_config_file;
        if (password) o.password = *password;
        if (connect_timeout_s) o.connect_timeout_s = *connect_timeout_s;
        if (host_key_checking) o.host_key_checking = *host_key_checking;
        // Identities are tried in order, so the stronger layer's come first.
        if (!identity_files.empty()) o.identity_files.insert(o.identity_files.begin(), identity_files.begin(), identity_files.end());
    }
};

std::optional<int> parse_int(const std::string& text) {
    std::string t = trim(text);
    if (t.empty() || t.size() > 9 || t.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
    return std::stoi(t);
}

int parse_port(const std::string& text, const Mark& mark, const std::string& what) {
    auto p = parse_int(text);
    if (!p || *p < 1 || *p > 65535) throw UserError(mark, what + ": '" + text + "' is not a port number");
    return *p;
}

bool parse_yes_no(const std::string& key, const std::string& value) {
    std::string v = to_lower(value);
    if (v == "yes" || v == "true") return true;
    if (v == "no" || v == "false") return false;
    throw UserError("ssh option " + key + ": '" + value + "' is not yes or no");
}

// -o options that only tune the OpenSSH client's own machinery (connection
// sharing, keepalives, logging, compression...): accepted, no effect here.
bool harmless_o_option(const std::string& key, const std::string& value) {
    static const char* const any_value[] = {
        "controlmaster", "controlpath", "controlpersist", "serveraliveinterval", "serveralivecountmax",
        "tcpkeepalive", "compression", "batchmode", "loglevel", "connectionattempts", "hashknownhosts",
        "checkhostip", "updatehostkeys", "visualhostkey", "requesttty", "preferredauthentications",
        "addkeystoagent", "clearallforwardings", "exitonforwardfailure", "sendenv", "escapechar",
        "numberofpasswordprompts", "stdinnull", "forkafterauthentication", "sessiontype"};
    for (const char* k : any_value)
        if (key == k) return true;
    // Features upkeep does not have are fine when the option turns them off.
    static const char* const off_only[] = {"forwardagent", "forwardx11", "forwardx11trusted", "gssapiauthentication",
                                           "gssapidelegatecredentials", "hostbasedauthentication", "permitlocalcommand"};
    std::string v = to_lower(value);
    for (const char* k : off_only)
        if (key == k && (v == "no" || v == "false")) return true;
    if (key == "pubkeyauthentication" && (v == "yes" || v == "true")) return true;
    return false;
}

// One -o option, "Key=Value" or "Key Value"; keys are case-insensitive.
void apply_o_option(Layer& l, const std::string& option) {
    size_t sep = option.find_first_of("= ");
    if (sep == std::string::npos) throw UserError("ssh option '-o " + option + "' has no value");
    std::string name = trim(option.substr(0, sep));
    std::string key = to_lower(name);
    std::string value = trim(option.substr(sep + 1));
    if (!value.empty() && value[0] == '=') value = trim(value.substr(1));
    if (key == "userknownhostsfile") {
        // OpenSSH allows several files; the first is where new keys are recorded.
        auto words = split_shell_words(value);
        l.known_hosts_file = expand_home(words.empty() ? value : words[0]);
    } else if (key == "stricthostkeychecking") {
        l.host_key_checking = parse_host_key_checking(value);
    } else if (key == "identityfile") {
        l.identity_files.push_back(expand_home(value));
    } else if (key == "proxyjump") {
        l.proxy_jump = value == "none" ? "" : value;
    } else if (key == "proxycommand") {
        l.proxy_command = value == "none" ? "" : value;
    } else if (key == "connecttimeout") {
        auto t = parse_int(value);
        if (!t) throw UserError("ssh option ConnectTimeout: '" + value + "' is not a number of seconds");
        l.connect_timeout_s = *t;
    } else if (key == "port") {
        l.port = parse_port(value, Mark{}, "ssh option Port");
    } else if (key == "user") {
        l.user = value;
    } else if (key == "hostname") {
        l.address = value;
    } else if (key == "passwordauthentication" || key == "kbdinteractiveauthentication" ||
               key == "challengeresponseauthentication") {
        // upkeep answers keyboard-interactive prompts with the password, so
        // turning off either one turns off the password.
        bool on = parse_yes_no(name, value);
        if (!on || !l.password_auth) l.password_auth = on;
    } else if (key == "identitiesonly") {
        l.identities_only = parse_yes_no(name, value);
    } else if (!harmless_o_option(key, value)) {
        throw UserError("ssh option '" + name + "=" + value + "' is not supported by upkeep's SSH client; " +
                        "refusing to run rather than ignore it (remove it, or use a supported option)");
    }
}

// OpenSSH command-line arguments ("-o StrictHostKeyChecking=no -i key"). What upkeep
// cannot honour is refused by name (a UserError), never ignored: a ProxyCommand
// silently dropped would connect directly where the user meant to go through a
// bastion. Options that only concern the OpenSSH client's own machinery
// (ControlMaster, ServerAliveInterval, -C, -q...) are accepted and have no effect;
// a missing argument is a UserError.
Layer layer_from_args(const std::string& args) {
    Layer l;
    auto words = split_shell_words(args);
    for (size_t i = 0; i < words.size(); ++i) {
        const std::string& w = words[i];
        if (w.size() < 2 || w[0] != '-')
            throw UserError("unexpected ssh argument '" + w + "' (only options are allowed here)");
        char flag = w[1];
        if (std::string("oipJlF").find(flag) == std::string::npos) {
            // Flags for the OpenSSH client's own output and terminal handling
            // (-C compression, -q/-v verbosity, -T/-t tty, -n stdin) change
            // nothing here; any other flag asks for something we do not do.
            static const std::vector<std::string> harmless = {"-C", "-q", "-v", "-vv", "-vvv", "-T", "-t", "-tt", "-n"};
            if (std::find(harmless.begin(), harmless.end(), w) != harmless.end()) continue;
            throw UserError("ssh argument '" + w + "' is not supported by upkeep's SSH client; refusing to run " +
                            "rather than ignore it");
        }
        std::string value;
        if (w.size() > 2) {
            value = w.substr(2);
        } else if (i + 1 < words.size()) {
            value = words[++i];
        } else {
            throw UserError(std::string("ssh argument -") + flag + " needs a value");
        }
        switch (flag) {
            case 'o': apply_o_option(l, value); break;
            case 'i': l.identity_files.push_back(expand_home(value)); break;
            case 'p': l.port = parse_port(value, Mark{}, "ssh argument -p"); break;
            case 'J': l.proxy_jump = value; break;
            case 'l': l.user = value; break;
            case 'F': l.ssh_config_file = expand_home(value); break;
        }
    }
    if (l.proxy_jump && !l.proxy_jump->empty() && l.proxy_command && !l.proxy_command->empty())
        throw UserError("ssh arguments give both ProxyJump and ProxyCommand; use one of them");
    return l;
}

const Value* first_var(const Value& vars, std::initializer_list<const char*> names) {
    for (const char* n : names)
        if (const Value* v = vars.find(n); v && !v->is_null()) return v;
    return nullptr;
}

Layer layer_from_vars(const Value& vars) {
    Layer l;
    if (auto v = first_var(vars, {"ansible_host", "ansible_ssh_host"})) l.address = v->to_string();
    if (auto v = first_var(vars, {"ansible_port", "ansible_ssh_port"}))
        l.port = parse_port(v->to_string(), v->mark(), "ansible_port");
    if (auto v = first_var(vars, {"ansible_user", "ansible_ssh_user"})) l.user = v->to_string();
    if (auto v = first_var(vars, {"ansible_ssh_private_key_file", "ansible_private_key_file"}))
        l.identity_files.push_back(expand_home(v->to_string()));
    if (auto v = first_var(vars, {"ansible_ssh_pass", "ansible_password", "ansible_ssh_password"}))
        l.password = v->to_string();
    if (auto v = first_var(vars, {"ansible_host_key_checking", "ansible_ssh_host_key_checking"}))
        l.host_key_checking = v->truthy() ? SshOptions::HostKeyChecking::Strict : SshOptions::HostKeyChecking::Off;
    if (auto v = first_var(vars, {"ansible_ssh_timeout", "ansible_timeout"})) {
        auto t = parse_int(v->to_string());
        if (!t) throw UserError(v->mark(), "ansible_ssh_timeout: '" + v->to_string() + "' is not a number of seconds");
        l.connect_timeout_s = *t;
    }
    return l;
}

// Reads the Host blocks matching `alias` through libssh's own parser, so the
// matching rules (patterns, negation, Match) are exactly libssh's.
Layer layer_from_ssh_config(const std::string& alias, const std::string& config_file) {
    Layer l;
    if (config_file == "none") return l;
    std::string path = config_file.empty() ? expand_home("~/.ssh/config") : config_file;
    std::unique_ptr<ssh_session_struct, void (*)(ssh_session)> s(ssh_new(), ssh_free);
    if (!s) return l;
    int no = 0;
    ssh_options_set(s.get(), SSH_OPTIONS_PROCESS_CONFIG, &no);
    ssh_options_set(s.get(), SSH_OPTIONS_HOST, alias.c_str());
    if (ssh_options_parse_config(s.get(), path.c_str()) != SSH_OK)
        throw UserError(path + ": cannot parse ssh client configuration: " + ssh_get_error(s.get()));
    auto get = [&](ssh_options_e what) -> std::optional<std::string> {
        char* v = nullptr;
        if (ssh_options_get(s.get(), what, &v) != SSH_OK || !v) return std::nullopt;
        std::string out = v;
        ssh_string_free_char(v);
        return out;
    };
    if (auto h = get(SSH_OPTIONS_HOST); h && *h != alias) l.address = *h;
    l.user = get(SSH_OPTIONS_USER);
    unsigned int port = 22;
    if (ssh_options_get_port(s.get(), &port) == SSH_OK && port != 22) l.port = static_cast<int>(port);
    // libssh seeds the identity list with its defaults (%d/id_ed25519...); the
    // first entry is the configuration's only when it is not one of those.
    if (auto id = get(SSH_OPTIONS_IDENTITY); id && !starts_with(*id, "%d/id_")) l.identity_files.push_back(expand_home(*id));
    // libssh turns ProxyJump into "ssh [-l U] [-p P] -W '[%h]:%p' HOST"; recover the jump.
    auto pc = get(SSH_OPTIONS_PROXYCOMMAND);
    if (pc && !starts_with(*pc, "ssh ") && *pc != "none") l.proxy_command = *pc;
    if (pc && starts_with(*pc, "ssh ")) {
        auto words = split_shell_words(*pc);
        std::string user, port_s, host;
        for (size_t i = 1; i < words.size(); ++i) {
            if (words[i] == "-l" && i + 1 < words.size()) user = words[++i];
            else if (words[i] == "-p" && i + 1 < words.size()) port_s = words[++i];
            else if (words[i] == "-W" && i + 1 < words.size()) ++i;
            else if (words[i] == "-J" && i + 1 < words.size()) ++i;
            else if (!words[i].empty() && words[i][0] != '-') host = words[i];
        }
        if (!host.empty()) l.proxy_jump = (user.empty() ? "" : user + "@") + host + (port_s.empty() ? "" : ":" + port_s);
    }
    return l;
}

}  // namespace

SshOptions::HostKeyChecking parse_host_key_checking(const std::string& text) {
    std::string t = to_lower(trim(text));
    if (t == "yes" || t == "true" || t == "ask" || t == "strict") return SshOptions::HostKeyChecking::Strict;
    if (t == "accept-new") return SshOptions::HostKeyChecking::AcceptNew;
    if (t == "no" || t == "off" || t == "false") return SshOptions::HostKeyChecking::Off;
    throw UserError("StrictHostKeyChecking: '" + text + "' is not one of yes, no, accept-new");
}

std::string expand_home(const std::string& path) {
    const char* home = std::getenv("HOME");
    std::string h = home ? home : "";
    if (path == "~") return h;
    if (starts_with(path, "~/")) return h + path.substr(1);
    if (starts_with(path, "%d/")) return h + "/.ssh" + path.substr(2);
    return path;
}

SshEndpoint parse_ssh_endpoint(const std::string& spec) {
    SshEndpoint e;
    std::string rest = spec;
    if (size_t at = rest.rfind('@'); at != std::string::npos) {
        e.user = rest.substr(0, at);
        rest = rest.substr(at + 1);
    }
    if (!rest.empty() && rest[0] == '[') {
        size_t close = rest.find(']');
        if (close == std::string::npos) throw UserError("bad ssh host '" + spec + "'");
        e.host = rest.substr(1, close - 1);
        if (close + 1 < rest.size() && rest[close + 1] == ':')
            e.port = parse_port(rest.substr(close + 2), Mark{}, "ssh host '" + spec + "'");
    } else if (size_t colon = rest.find(':'); colon != std::string::npos && rest.find(':', colon + 1) == std::string::npos) {
        e.host = rest.substr(0, colon);
        e.port = parse_port(rest.substr(colon + 1), Mark{}, "ssh host '" + spec + "'");
    } else {
        e.host = rest;
    }
    if (e.host.empty()) throw UserError("bad ssh host '" + spec + "'");
    return e;
}

namespace {

// ansible_ssh_common_args and ansible_ssh_extra_args, read as ssh's command line.
Layer layer_from_arg_vars(const Value& host_vars) {
    Layer args;
    for (const char* name : {"ansible_ssh_common_args", "ansible_ssh_extra_args"}) {
        const Value* v = host_vars.find(name);
        if (!v || v->is_null()) continue;
        try {
            Layer one = layer_from_args(v->to_string());
            // extra_args come after common_args on ssh's command line; for
            // OpenSSH the first value wins, except identities, which add up.
            auto keep = [](auto& mine, const auto& theirs) {
                if (!mine && theirs) mine = theirs;
            };
            keep(args.address, one.address);
            keep(args.user, one.user);
            keep(args.known_hosts_file, one.known_hosts_file);
            if (!args.proxy_jump && !args.proxy_command) {
                // The first ProxyJump or ProxyCommand wins, as in OpenSSH.
                args.proxy_jump = one.proxy_jump;
                args.proxy_command = one.proxy_command;
            }
            keep(args.password_auth, one.password_auth);
            keep(args.identities_only, one.identities_only);
            keep(args.ssh_config_file, one.ssh_config_file);
            keep(args.port, one.port);
            keep(args.connect_timeout_s, one.connect_timeout_s);
            keep(args.host_key_checking, one.host_key_checking);
            args.identity_files.insert(args.identity_files.end(), one.identity_files.begin(), one.identity_files.end());
        } catch (const UserError& e) {
            throw UserError(v->mark(), std::string(name) + ": " + e.what());
        }
    }
    return args;
}

// Command-line defaults count where they were given.
Layer layer_from_cli(const SshOptions& cli_defaults) {
    Layer cli;
    if (!cli_defaults.user.empty()) cli.user = cli_defaults.user;
    if (cli_defaults.port != 22) cli.port = cli_defaults.port;
    if (!cli_defaults.known_hosts_file.empty()) cli.known_hosts_file = cli_defaults.known_hosts_file;
    if (!cli_defaults.proxy_jump.empty()) cli.proxy_jump = cli_defaults.proxy_jump;
    if (!cli_defaults.password.empty()) cli.password = cli_defaults.password;
    cli.identity_files = cli_defaults.identity_files;
    cli.host_key_checking = cli_defaults.host_key_checking;
    cli.connect_timeout_s = cli_defaults.connect_timeout_s;
    return cli;
}

// become: the command line's, overridden by the host's ansible_become* variables.
void apply_become(SshOptions& o, const Value& host_vars, const SshOptions& cli_defaults) {
    o.become = cli_defaults.become;
    o.become_method = cli_defaults.become_method;
    o.become_user = cli_defaults.become_user;
    o.become_password = cli_defaults.become_password;
    if (auto v = first_var(host_vars, {"ansible_become"})) o.become = v->truthy();
    if (auto v = first_var(host_vars, {"ansible_become_method"})) o.become_method = v->to_string();
    if (auto v = first_var(host_vars, {"ansible_become_user"})) o.become_user = v->to_string();
    if (auto v = first_var(host_vars, {"ansible_become_pass", "ansible_become_password"}))
        o.become_password = v->to_string();
    if (o.become_method != "sudo" && o.become_method != "su") {
        const Value* v = host_vars.find("ansible_become_method");
        throw UserError(v ? v->mark() : Mark{}, "become method '" + o.become_method + "' is not supported (sudo, su)");
    }
}

// upkeep's own per-host connection settings.
void apply_upkeep_vars(SshOptions& o, const Value& host_vars) {
    if (const Value* v = host_vars.find("upkeep_run_lock"); v && !v->is_null()) {
        std::string t = v->is_bool() ? (v->as_bool() ? "true" : "false") : to_lower(trim(v->to_string()));
        if (t == "false" || t == "no" || t == "off" || t == "0") o.run_lock_required = false;
        else if (t != "true" && t != "yes" && t != "on" && t != "1")
            throw UserError(v->mark(), "upkeep_run_lock: '" + v->to_string() + "' is not true or false");
    }
    if (const Value* v = host_vars.find("upkeep_ssh_shell"); v && !v->is_null()) {
        std::string t = to_lower(trim(v->to_string()));
        if (t != "persistent" && t != "exec") throw UserError(v->mark(), "upkeep_ssh_shell: '" + v->to_string() + "' is not persistent or exec");
        o.persistent_shell = t == "persistent";
    }
    if (const Value* v = host_vars.find("upkeep_ssh_files"); v && !v->is_null()) {
        std::string t = to_lower(trim(v->to_string()));
        if (t != "auto" && t != "sftp" && t != "shell") throw UserError(v->mark(), "upkeep_ssh_files: '" + v->to_string() + "' is not auto, sftp or shell");
        o.files_via = t;
    }
}

}  // namespace

SshOptions ssh_options_from_vars(const std::string& host, const Value& host_vars, const SshOptions& cli_defaults) {
    Layer vars = layer_from_vars(host_vars);
    Layer args = layer_from_arg_vars(host_vars);

    SshOptions o;
    o.host_name = host;
    // The config file to read may itself come from the arguments (-F).
    std::string config_file = cli_defaults.ssh_config_file;
    if (args.ssh_config_file) config_file = *args.ssh_config_file;
    std::string alias = vars.address          ? *vars.address
                        : args.address          ? *args.address
                        : !cli_defaults.address.empty() ? cli_defaults.address
                                                : host;

    Layer config = layer_from_ssh_config(alias, config_file);
    o.address = alias;
    config.apply_to(o);

    layer_from_cli(cli_defaults).apply_to(o);
    o.ssh_config_file = config_file;

    args.address.reset();  // already used as the alias looked up in the config
    args.apply_to(o);
    vars.address.reset();
    vars.apply_to(o);

    apply_become(o, host_vars, cli_defaults);
    apply_upkeep_vars(o, host_vars);
    if (o.user.empty()) {
        const char* u = std::getenv("USER");
        o.user = u && *u ? u : "root";
    }
    return o;
}

}  // namespace upkeep
