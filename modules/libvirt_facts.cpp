// libvirt_facts: the host's libvirt daemon as facts (libvirt_version,
// libvirt_hypervisor, libvirt_domains), read through the libvirt C API.
#include "engine/util/error.hpp"
#include "modules/libvirt_common.hpp"

namespace upkeep {

namespace {

class LibvirtFactsModule : public Module {
public:
    const ModuleSpec& spec() const override {
        static const ModuleSpec s{
            .name = "libvirt_facts",
            .summary = "Read the host's libvirt version and domains into facts (libvirt C API)",
            .doc =
                "Sets libvirt_version (\"9.0.0\"), libvirt_hypervisor (\"QEMU 7.2.0\"), libvirt_domains\n"
                "(list of {name, uuid, state, id}; id -1 when not running) and libvirt_uri.\n"
                "The daemon is reached at `uri`, else the host variable libvirt_uri, else qemu:///system\n"
                "for a local host and qemu+libssh://USER@HOST:PORT/system (the inventory's key and\n"
                "known_hosts) for an SSH host. A sandbox host has no daemon: the task fails.\n"
                "Example:\n"
                "  - libvirt_facts:\n"
                "  - debug: msg=\"{{ libvirt_domains | map(attribute='name') | list }}\"",
            .args =
                {
                    {.name = "uri", .type = ArgType::String, .doc = "libvirt connection URI"},
                },
        };
        return s;
    }

    Plan check(ModuleContext& ctx, const Args& args) const override {
        LibvirtTarget t = libvirt_target_for(ctx, args);
        if (!t.uri) throw TaskError("libvirt_facts: " + t.why_none);
        LibvirtClient client(*t.uri);
        Value facts;
        facts["libvirt_version"] = Value(client.lib_version());
        facts["libvirt_hypervisor"] = Value(client.hypervisor());
        auto domains = client.domains();
        facts["libvirt_domains"] = domains_value(domains);
        facts["libvirt_uri"] = Value(*t.uri);
        Plan p;
        p.msg = "libvirt " + facts.get("libvirt_version").as_string() + ", " + std::to_string(domains.size()) +
                " domain(s), " + std::to_string(active_domains(domains).size()) + " running";
        p.result["ansible_facts"] = facts;
        return p;
    }

    Value apply(ModuleContext&, const Args&, const Plan&) const override { return Value(); }
};

}  // namespace

std::unique_ptr<Module> make_libvirt_facts_module() { return std::make_unique<LibvirtFactsModule>(); }

}  // namespace upkeep
