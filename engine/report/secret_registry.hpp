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
    // Registers the secret and the forms it takes in output: JSON/YAML-escaped,
    // shell-quoted, and each line of a multi-line secret.
    void add(const std::string& secret);
    // Adds every secret string inside v (recursively).
    void add_from(const Value& v);
    // Masks every form a registered secret can take in output (see add()).
    std::string mask(std::string text) const;
    // True when any form of a registered secret occurs in text (a diff holding one is hidden).
    bool appears_in(const std::string& text) const;

private:
    mutable std::mutex m_mutex;
    std::set<std::string> m_secrets;
};

// The process-wide registry used by the executor and the reporters.
SecretRegistry& secrets();

}  // namespace upkeep
