// SecretRegistry: every secret string the run has seen (vault-like !secret
// values, passwords, secret module arguments, no_log results). Reporters pass
// all text through mask() so a secret echoed by a command is masked too.
#pragma once

#include <mutex>
#include <set>
#include <string>

#include "engine/value/value.hpp"

namespace upkeep {

class SecretRegistry {
public:
    void add(const std::string& secret);
    // Adds every secret string inside v (recursively).
    void add_from(const Value& v);
    std::string mask(std::string text) const;

private:
    mutable std::mutex m_mutex;
    std::set<std::string> m_secrets;
};

// The process-wide registry used by the executor and the reporters.
SecretRegistry& secrets();

}  // namespace upkeep
