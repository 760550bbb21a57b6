// ModuleContext's one behaviour: secrets a module registers go to the run's registry.
#include "engine/module/module.hpp"
#include "engine/report/secret_registry.hpp"

namespace upkeep {

void ModuleContext::add_secret(const std::string& secret) const {
    if (secrets) secrets->add(secret);
}

}  // namespace upkeep
