#include "engine/virt/libvirt_uri.hpp"

#include <pwd.h>
#include <unistd.h>

#include <filesystem>

#include "engine/connection/local_connection.hpp"
#include "engine/connection/ssh_connection.hpp"
#include "engine/util/error.hpp"

namespace upkeep {

std::string uri_escape(const std::string& s) {
    static const char* hex = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : s) {
        if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || c == '/') {
            out += static_cast<char>(c);
        } else {
            out += '%';
            out += hex[c >> 4];
            out += hex[c & 15];
        }
    }
    return out;
}

std::string libvirt_ssh_uri(const SshOptions& o, const std::string& socket) {
    if (!o.proxy_jump.empty())
        throw TaskError("libvirt's SSH transport cannot follow ProxyJump " + o.proxy_jump +
                        ": set the host variable libvirt_uri (or the task's uri)");
    std::string user = o.user;
    if (user.empty()) {
        if (const passwd* pw = ::getpwuid(::getuid())) user = pw->pw_name;
    }
    std::string host = o.address.empty() ? o.host_name : o.address;
    if (host.find(':') != std::string::npos) host = "[" + host + "]";
    std::string uri = "qemu+libssh://" + uri_escape(user) + "@" + host + ":" + std::to_string(o.port) + "/system";
    std::string key;
    for (const auto& id : o.identity_files)
        if (std::filesystem::exists(id)) {
            key = id;
            break;
        }
    const char* verify = o.host_key_checking == SshOptions::HostKeyChecking::Strict      ? "normal"
                         : o.host_key_checking == SshOptions::HostKeyChecking::AcceptNew ? "auto"
                                                                                         : "ignore";
    std::string known = o.known_hosts_file.empty() ? expand_home("~/.ssh/known_hosts") : o.known_hosts_file;
    uri += "?";
    if (!key.empty()) uri += "keyfile=" + uri_escape(key) + "&";
    uri += "known_hosts=" + uri_escape(known) + "&known_hosts_verify=" + verify;
    uri += std::string("&sshauth=") + (key.empty() ? "agent,privkey" : "privkey");
    if (!socket.empty()) uri += "&socket=" + uri_escape(socket);
    return uri;
}

LibvirtTarget libvirt_target(Connection& conn, const std::string& explicit_uri, const std::string& socket) {
    LibvirtTarget t;
    if (!explicit_uri.empty()) {
        t.uri = explicit_uri;
        return t;
    }
    Connection& real = conn.underlying();
    if (auto* ssh = dynamic_cast<SshConnection*>(&real)) {
        t.uri = libvirt_ssh_uri(ssh->options(), socket);
    } else if (auto* local = dynamic_cast<LocalConnection*>(&real)) {
        if (local->root().empty())
            t.uri = socket.empty() ? "qemu:///system" : "qemu+unix:///system?socket=" + uri_escape(socket);
        else t.why_none = "a sandbox host has no libvirtd of its own (set libvirt_uri to verify one)";
    } else {
        t.why_none = "no libvirt URI known for this kind of connection (set libvirt_uri)";
    }
    return t;
}

}  // namespace upkeep
