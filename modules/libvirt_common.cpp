#include "modules/libvirt_common.hpp"

namespace upkeep {

LibvirtTarget libvirt_target_for(ModuleContext& ctx, const Args& args) {
    std::string uri = args.str("uri");
    if (uri.empty() && !ctx.vars.get("libvirt_uri").is_null()) {
        Value v = ctx.eval ? ctx.eval("libvirt_uri") : ctx.vars.get("libvirt_uri");
        if (!v.is_null()) uri = v.to_string();
    }
    std::string socket;
    if (!ctx.vars.get("libvirt_socket").is_null())
        socket = (ctx.eval ? ctx.eval("libvirt_socket") : ctx.vars.get("libvirt_socket")).to_string();
    return libvirt_target(ctx.conn, uri, socket);
}

Value domains_value(const std::vector<LibvirtDomain>& domains) {
    List out;
    for (const auto& d : domains) {
        Value v;
        v["name"] = Value(d.name);
        v["uuid"] = Value(d.uuid);
        v["state"] = Value(d.state);
        v["id"] = Value(static_cast<int64_t>(d.id));
        out.push_back(std::move(v));
    }
    return Value(std::move(out));
}

std::vector<LibvirtDomain> active_domains(const std::vector<LibvirtDomain>& domains) {
    std::vector<LibvirtDomain> out;
    for (const auto& d : domains)
        if (d.active) out.push_back(d);
    return out;
}

}  // namespace upkeep
