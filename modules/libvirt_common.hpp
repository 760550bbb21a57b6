// Shared by the libvirt_* modules: which URI a task talks to, and domain lists
// as Values for results and facts.
#pragma once

#include <string>
#include <vector>

#include "engine/module/module.hpp"
#include "engine/virt/libvirt_client.hpp"
#include "engine/virt/libvirt_uri.hpp"

namespace upkeep {

// The task's `uri`, else the host variable libvirt_uri, else derived from the
// connection (see libvirt_uri.hpp).
LibvirtTarget libvirt_target_for(ModuleContext& ctx, const Args& args);

Value domains_value(const std::vector<LibvirtDomain>& domains);

// The running (active) domains only.
std::vector<LibvirtDomain> active_domains(const std::vector<LibvirtDomain>& domains);

}  // namespace upkeep
