// Ansible Vault (format 1.1 and 1.2, AES256): decrypting `!vault |` values and
// vault-encrypted files with the passwords given on the command line, and
// encrypting (`upkeep vault`). Cipher as Ansible's VaultAES256: PBKDF2-HMAC-SHA256
// (10000 iterations, 32-byte salt) -> AES-256 key, HMAC-SHA256 key and CTR IV;
// PKCS#7 padding; HMAC over the ciphertext checked before decrypting.
#pragma once

#include <string>
#include <vector>

#include "engine/value/mark.hpp"

namespace upkeep {

struct VaultSecret {
    std::string label;  // vault id ("default" when none was given)
    std::string password;
};

// The passwords of this run, tried in order (a matching 1.2 label first).
// Set once by the command line before anything is loaded.
class VaultKeyring {
public:
    static VaultKeyring& global();
    void add(VaultSecret s) { m_secrets.push_back(std::move(s)); }
    void clear() { m_secrets.clear(); }
    const std::vector<VaultSecret>& secrets() const { return m_secrets; }

private:
    std::vector<VaultSecret> m_secrets;
};

// True when `text` starts with a vault header ("$ANSIBLE_VAULT;").
bool is_vault_text(const std::string& text);

// Decrypts vault text with the global keyring. Throws UserError at `where` when
// no password is set or none decrypts it (wrong password or tampered data).
std::string vault_decrypt(const std::string& text, const Mark& where);
// Same with an explicit list of secrets.
std::string vault_decrypt(const std::string& text, const std::vector<VaultSecret>& secrets, const Mark& where);

// Encrypts `plaintext` as ansible-vault does: format 1.1, or 1.2 with `label`
// when it is not empty or "default"; hex lines of 80 characters, final newline.
std::string vault_encrypt(const std::string& plaintext, const std::string& password, const std::string& label = "");

// Reads a vault password file: its first line without trailing whitespace; an
// executable file is run and its output used (Ansible's password scripts).
std::string read_vault_password_file(const std::string& path);

// Parses --vault-id "label@source" / "source"; source is a file or script
// ("prompt" is refused: upkeep never prompts for vault passwords).
VaultSecret parse_vault_id(const std::string& spec);

}  // namespace upkeep
