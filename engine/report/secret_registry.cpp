#include "engine/report/secret_registry.hpp"

#include <algorithm>
#include <vector>

#include "engine/util/strings.hpp"

namespace upkeep {

void SecretRegistry::add(const std::string& secret) {
    if (secret.size() < 3) return;  // masking "1" would mangle every line
    std::lock_guard<std::mutex> lock(m_mutex);
    m_secrets.insert(secret);
}

void SecretRegistry::add_from(const Value& v) {
    if (v.secret()) {
        if (v.is_string()) add(v.as_string());
        else if (!v.is_list() && !v.is_map()) add(v.to_string());
    }
    if (v.is_list())
        for (const auto& x : v.as_list()) add_from(x);
    if (v.is_map())
        for (const auto& [k, x] : v.as_map()) add_from(x);
}

std::string SecretRegistry::mask(std::string text) const {
    std::vector<std::string> list;
    {
        std::lock_guard<std::mutex> lock(m_mutex);
        // Longest first, so a secret that contains another is masked whole.
        list.assign(m_secrets.begin(), m_secrets.end());
    }
    std::sort(list.begin(), list.end(), [](const auto& a, const auto& b) { return a.size() > b.size(); });
    return mask_secrets(std::move(text), list);
}

SecretRegistry& secrets() {
    static SecretRegistry r;
    return r;
}

}  // namespace upkeep
