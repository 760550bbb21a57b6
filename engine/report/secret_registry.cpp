#include "engine/report/secret_registry.hpp"

#include <algorithm>
#include <vector>

#include "engine/util/strings.hpp"

namespace upkeep {

void SecretRegistry::add(const std::string& secret) {
    if (secret.size() < 3) return;  // masking "1" would mangle every line
    std::vector<std::string> forms{secret};
    // Escaped for JSON (and YAML double quotes, which escape the same way), without the quotes.
    std::string json = json_quote(secret);
    forms.push_back(json.substr(1, json.size() - 2));
    // Shell-quoted: 'it'\''s' as a whole, and the inner text between the outer quotes.
    std::string shell = shell_quote(secret);
    forms.push_back(shell);
    if (shell.size() > 2 && shell.front() == '\'' && shell.back() == '\'') forms.push_back(shell.substr(1, shell.size() - 2));
    // Each line of a multi-line secret on its own (a diff or log shows them one per line).
    if (secret.find('\n') != std::string::npos)
        for (std::string line : split(secret, '\n')) {
            if (!line.empty() && line.back() == '\r') line.pop_back();
            forms.push_back(line);
        }
    std::lock_guard<std::mutex> lock(m_mutex);
    for (const std::string& f : forms)
        if (f.size() >= 3) m_secrets.insert(f);
}

bool SecretRegistry::appears_in(const std::string& text) const {
    std::lock_guard<std::mutex> lock(m_mutex);
    for (const std::string& s : m_secrets)
        if (text.find(s) != std::string::npos) return true;
    return false;
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
