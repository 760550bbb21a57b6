// Which libvirt URI reaches a host's daemon, for the libvirt_* modules.
//
// Order: the task's `uri` argument, then the host variable `libvirt_uri`, then a
// URI derived from how upkeep reaches the host:
//   local connection   qemu:///system (the daemon's local socket)
//   ssh connection     qemu+libssh://USER@ADDRESS:PORT/system?keyfile=K&known_hosts=F
//                      &known_hosts_verify=normal|auto|ignore&sshauth=privkey
//                      -- the same user, key and known_hosts file as the inventory's
//                      SSH settings, so libvirt's own SSH transport trusts exactly the
//                      host keys upkeep trusts (StrictHostKeyChecking maps to
//                      known_hosts_verify). A ProxyJump cannot be expressed: set libvirt_uri.
//   The host variable libvirt_socket names a daemon socket other than the default
//   (qemu+unix:///system?socket=S locally, &socket=S over SSH, where libvirt then
//   relays through `nc -U S` on the host).
//   sandbox            none: a directory tree has no daemon; the restart goes through
//                      the service only and the result says why it was not verified.
#pragma once

#include <optional>
#include <string>

#include "engine/connection/connection.hpp"
#include "engine/connection/ssh_options.hpp"

namespace upkeep {

struct LibvirtTarget {
    std::optional<std::string> uri;  // nullopt: no daemon to talk to
    std::string why_none;            // for the result/message when uri is unset
};

LibvirtTarget libvirt_target(Connection& conn, const std::string& explicit_uri, const std::string& socket = "");
// The qemu+libssh URI for an SSH host (exposed for the unit tests).
std::string libvirt_ssh_uri(const SshOptions& opts, const std::string& socket = "");
// Percent-encodes a URI query value (RFC 3986 unreserved and '/' pass).
std::string uri_escape(const std::string& s);

}  // namespace upkeep
