// `upkeep vault encrypt_string|encrypt|decrypt|view`: ansible-vault's everyday
// subcommands (format 1.1, or 1.2 with a vault id label), so a repository needs no
// Python to keep its secrets; and the --vault-* options of `upkeep play`.
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

namespace upkeep {

struct VaultArgs {
    std::string action;                 // encrypt_string, encrypt, decrypt, view
    std::vector<std::string> operands;  // files, or the string (better: stdin)
    std::vector<std::string> password_files, ids;
    std::string name;    // encrypt_string --name
    std::string output;  // --output FILE ("-" for stdout)
    bool ask = false;
};

CLI::App* add_vault_command(CLI::App& app, VaultArgs& args);
int run_vault_command(VaultArgs& args);

// Fills VaultKeyring::global() from --vault-password-file and --vault-id; refuses
// --ask-vault-pass (upkeep runs unattended). Throws UserError.
void load_vault_secrets(const std::vector<std::string>& password_files, const std::vector<std::string>& ids, bool ask);

}  // namespace upkeep
