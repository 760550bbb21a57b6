#include "engine/cli/vault_command.hpp"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "engine/util/error.hpp"
#include "engine/util/strings.hpp"
#include "engine/vault/vault.hpp"

namespace upkeep {

namespace {

std::string read_all(std::istream& in) {
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

std::string read_path(const std::string& path) {
    if (path == "-") return read_all(std::cin);
    std::ifstream in(path, std::ios::binary);
    if (!in) throw UserError(path + ": cannot read file");
    return read_all(in);
}

// Writes next to the file and renames over it, keeping its mode (no half-written secrets).
void write_path(const std::string& path, const std::string& content) {
    if (path == "-") {
        std::fwrite(content.data(), 1, content.size(), stdout);
        return;
    }
    std::string tmp = path + ".upkeep-vault.tmp";
    {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        if (!out) throw UserError(tmp + ": cannot write file");
        out << content;
        if (!out.flush()) throw UserError(tmp + ": write failed");
    }
    std::error_code ec;
    auto perms = std::filesystem::status(path, ec).permissions();
    if (!ec) std::filesystem::permissions(tmp, perms, ec);
    if (std::rename(tmp.c_str(), path.c_str()) != 0) {
        std::remove(tmp.c_str());
        throw UserError(path + ": cannot replace file");
    }
}

}  // namespace

void load_vault_secrets(const std::vector<std::string>& password_files, const std::vector<std::string>& ids, bool ask) {
    if (ask)
        throw UserError("--ask-vault-pass: upkeep never prompts for vault passwords (it runs unattended); "
                        "use --vault-password-file FILE or --vault-id LABEL@FILE");
    VaultKeyring& k = VaultKeyring::global();
    k.clear();
    for (const auto& id : ids) k.add(parse_vault_id(id));
    for (const auto& f : password_files) k.add({"default", read_vault_password_file(f)});
}

CLI::App* add_vault_command(CLI::App& app, VaultArgs& a) {
    CLI::App* v = app.add_subcommand("vault", "encrypt and decrypt Ansible Vault data (encrypt_string, encrypt, decrypt, view)");
    v->add_option("action", a.action, "encrypt_string, encrypt, decrypt or view")
        ->required()
        ->check(CLI::IsMember({"encrypt_string", "encrypt", "decrypt", "view"}));
    v->add_option("operands", a.operands, "files (encrypt/decrypt/view); for encrypt_string the text is read from stdin");
    v->add_option("--vault-password-file,--vault-pass-file", a.password_files, "file (or script) holding the password")
        ->allow_extra_args(false);
    v->add_option("--vault-id", a.ids, "LABEL@FILE (encrypting uses the first and writes its label: format 1.2)")
        ->allow_extra_args(false);
    v->add_option("-n,--name", a.name, "encrypt_string: the variable name to print");
    v->add_option("--output", a.output, "write here instead of in place (- for stdout)");
    v->add_flag("-J,--ask-vault-pass,--ask-vault-password", a.ask, "refused: upkeep never prompts");
    return v;
}

int run_vault_command(VaultArgs& a) {
    try {
        load_vault_secrets(a.password_files, a.ids, a.ask);
        const auto& secrets = VaultKeyring::global().secrets();
        if (secrets.empty()) throw UserError("no vault password given (--vault-password-file FILE or --vault-id LABEL@FILE)");
        const VaultSecret& first = secrets.front();
        if (a.action == "encrypt_string") {
            // The plaintext comes from stdin so it never shows in a process list; an
            // operand is accepted for ansible-vault compatibility.
            std::string text = a.operands.empty() ? read_all(std::cin) : a.operands.front();
            if (a.operands.empty() && ends_with(text, "\n")) text.pop_back();
            std::string enc = vault_encrypt(text, first.password, first.label);
            std::string out = (a.name.empty() ? std::string() : a.name + ": ") + "!vault |\n";
            for (const auto& line : split(enc, '\n'))
                if (!line.empty()) out += "          " + line + "\n";
            write_path(a.output.empty() ? "-" : a.output, out);
            return 0;
        }
        if (a.operands.empty()) throw UserError("vault " + a.action + ": name at least one file");
        for (const auto& f : a.operands) {
            std::string text = read_path(f);
            Mark where{std::make_shared<const std::string>(f), 1, 1};
            if (a.action == "encrypt") {
                if (is_vault_text(text)) throw UserError(f + ": already vault-encrypted");
                write_path(a.output.empty() ? f : a.output, vault_encrypt(text, first.password, first.label));
            } else if (a.action == "decrypt") {
                if (!is_vault_text(text)) throw UserError(f + ": not vault-encrypted");
                write_path(a.output.empty() ? f : a.output, vault_decrypt(text, where));
            } else {
                std::string plain = vault_decrypt(text, where);
                std::fwrite(plain.data(), 1, plain.size(), stdout);
            }
        }
        return 0;
    } catch (const UserError& e) {
        std::fprintf(stderr, "ERROR: %s\n", e.describe().c_str());
        return 1;
    }
}

}  // namespace upkeep
