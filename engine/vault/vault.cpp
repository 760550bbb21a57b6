#include "engine/vault/vault.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>

#include "engine/util/digest.hpp"
#include "engine/util/error.hpp"
#include "engine/util/strings.hpp"

namespace upkeep {

namespace {

constexpr int k_iterations = 10000;
constexpr size_t k_salt_len = 32;

// Hex to bytes; false on an odd length or a non-hex character.
bool from_hex(const std::string& hex, std::string& out) {
    std::optional<std::string> bytes = hex_decode(hex);
    if (!bytes) return false;
    out = std::move(*bytes);
    return true;
}

struct Keys {
    std::array<unsigned char, 32> cipher_key, hmac_key;
    std::array<unsigned char, 16> iv;
};

Keys derive(const std::string& password, const std::string& salt) {
    unsigned char buf[80];
    if (PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()),
                          reinterpret_cast<const unsigned char*>(salt.data()), static_cast<int>(salt.size()),
                          k_iterations, EVP_sha256(), sizeof buf, buf) != 1)
        throw std::runtime_error("vault: PBKDF2 failed");
    Keys k;
    std::copy(buf, buf + 32, k.cipher_key.begin());
    std::copy(buf + 32, buf + 64, k.hmac_key.begin());
    std::copy(buf + 64, buf + 80, k.iv.begin());
    OPENSSL_cleanse(buf, sizeof buf);
    return k;
}

std::string hmac(const Keys& k, const std::string& data) {
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    HMAC(EVP_sha256(), k.hmac_key.data(), static_cast<int>(k.hmac_key.size()),
         reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &len);
    return std::string(reinterpret_cast<char*>(out), len);
}

// AES-256-CTR is its own inverse.
std::string ctr(const Keys& k, const std::string& in) {
    std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)> ctx(EVP_CIPHER_CTX_new(), EVP_CIPHER_CTX_free);
    std::string out(in.size() + 16, '\0');
    int len = 0, fin = 0;
    if (!ctx || EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_ctr(), nullptr, k.cipher_key.data(), k.iv.data()) != 1 ||
        EVP_EncryptUpdate(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), &len,
                          reinterpret_cast<const unsigned char*>(in.data()), static_cast<int>(in.size())) != 1 ||
        EVP_EncryptFinal_ex(ctx.get(), reinterpret_cast<unsigned char*>(out.data()) + len, &fin) != 1)
        throw std::runtime_error("vault: AES-256-CTR failed");
    out.resize(static_cast<size_t>(len + fin));
    return out;
}

struct Envelope {
    std::string version, cipher, label;
    std::string salt, mac, ciphertext;
};

// Parses the header and the hex body; false (with `why`) when it is not a vault.
bool parse_envelope(const std::string& text, Envelope& e, std::string& why) {
    std::string t = trim(text);
    size_t nl = t.find('\n');
    std::string header = trim(t.substr(0, nl));
    std::vector<std::string> parts = split(header, ';');
    if (parts.size() < 3 || parts[0] != "$ANSIBLE_VAULT") return why = "not a vault header: " + header, false;
    e.version = trim(parts[1]);
    e.cipher = trim(parts[2]);
    if (parts.size() > 3) e.label = trim(parts[3]);
    if (e.version != "1.1" && e.version != "1.2") return why = "unsupported vault format " + e.version, false;
    if (e.cipher != "AES256") return why = "unsupported vault cipher " + e.cipher + " (only AES256)", false;
    std::string hex;
    if (nl != std::string::npos)
        for (char c : t.substr(nl + 1))
            if (!std::isspace(static_cast<unsigned char>(c))) hex += c;
    std::string body;
    if (!from_hex(hex, body)) return why = "the vault body is not hex", false;
    std::vector<std::string> f = split(body, '\n');
    if (f.size() != 3 || !from_hex(f[0], e.salt) || !from_hex(f[1], e.mac) || !from_hex(f[2], e.ciphertext))
        return why = "the vault body is malformed", false;
    return true;
}

std::string unpad(const std::string& padded) {
    if (padded.empty()) return padded;
    unsigned char n = static_cast<unsigned char>(padded.back());
    if (n == 0 || n > 16 || n > padded.size()) throw std::runtime_error("bad padding");
    for (size_t i = padded.size() - n; i < padded.size(); ++i)
        if (static_cast<unsigned char>(padded[i]) != n) throw std::runtime_error("bad padding");
    return padded.substr(0, padded.size() - n);
}

}  // namespace

VaultKeyring& VaultKeyring::global() {
    static VaultKeyring k;
    return k;
}

bool is_vault_text(const std::string& text) {
    size_t i = text.find_first_not_of(" \t\r\n");
    return i != std::string::npos && text.compare(i, 15, "$ANSIBLE_VAULT;") == 0;
}

std::string vault_decrypt(const std::string& text, const Mark& where) {
    return vault_decrypt(text, VaultKeyring::global().secrets(), where);
}

std::string vault_decrypt(const std::string& text, const std::vector<VaultSecret>& secrets, const Mark& where) {
    Envelope e;
    std::string why;
    if (!parse_envelope(text, e, why)) throw UserError(where, "cannot decrypt vault data: " + why);
    if (secrets.empty())
        throw UserError(where, "vault-encrypted data found but no vault password was given "
                               "(--vault-password-file FILE or --vault-id LABEL@FILE)");
    // A 1.2 label picks its password first; every password is tried after that.
    std::vector<const VaultSecret*> order;
    for (const auto& s : secrets)
        if (!e.label.empty() && s.label == e.label) order.push_back(&s);
    for (const auto& s : secrets)
        if (e.label.empty() || s.label != e.label) order.push_back(&s);
    for (const auto* s : order) {
        Keys k = derive(s->password, e.salt);
        std::string mac = hmac(k, e.ciphertext);
        if (mac.size() != e.mac.size() || CRYPTO_memcmp(mac.data(), e.mac.data(), mac.size()) != 0) continue;
        try {
            return unpad(ctr(k, e.ciphertext));
        } catch (const std::exception&) {
            continue;
        }
    }
    throw UserError(where, "cannot decrypt vault data" + (e.label.empty() ? std::string() : " (vault id '" + e.label + "')") +
                               ": none of the " + std::to_string(secrets.size()) +
                               " vault password(s) given matches, or the data was altered");
}

std::string vault_encrypt(const std::string& plaintext, const std::string& password, const std::string& label) {
    std::string salt(k_salt_len, '\0');
    if (RAND_bytes(reinterpret_cast<unsigned char*>(salt.data()), static_cast<int>(salt.size())) != 1)
        throw std::runtime_error("vault: no random bytes");
    Keys k = derive(password, salt);
    size_t pad = 16 - plaintext.size() % 16;
    std::string padded = plaintext + std::string(pad, static_cast<char>(pad));
    std::string ct = ctr(k, padded);
    OPENSSL_cleanse(padded.data(), padded.size());
    std::string body = hex_encode(hex_encode(salt) + "\n" + hex_encode(hmac(k, ct)) + "\n" + hex_encode(ct));
    bool labelled = !label.empty() && label != "default";
    std::string out = labelled ? "$ANSIBLE_VAULT;1.2;AES256;" + label + "\n" : "$ANSIBLE_VAULT;1.1;AES256\n";
    for (size_t i = 0; i < body.size(); i += 80) out += body.substr(i, 80) + "\n";
    return out;
}

std::string read_vault_password_file(const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) throw UserError("vault password file not found: " + path);
    std::string content;
    if (st.st_mode & S_IXUSR) {
        // A password script: its standard output is the password.
        std::unique_ptr<FILE, int (*)(FILE*)> p(::popen(shell_quote(path).c_str(), "r"), ::pclose);
        if (!p) throw UserError("cannot run vault password script " + path);
        char buf[4096];
        size_t n;
        while ((n = std::fread(buf, 1, sizeof buf, p.get())) > 0) content.append(buf, n);
        int rc = ::pclose(p.release());
        if (rc != 0) throw UserError("vault password script " + path + " failed (exit status " + std::to_string(rc) + ")");
    } else {
        std::ifstream in(path, std::ios::binary);
        if (!in) throw UserError("cannot read vault password file " + path);
        std::stringstream ss;
        ss << in.rdbuf();
        content = ss.str();
    }
    // Ansible strips surrounding whitespace, so a trailing newline is not part of the password.
    std::string pw = trim(content);
    if (pw.empty()) throw UserError("vault password file " + path + " is empty");
    return pw;
}

VaultSecret parse_vault_id(const std::string& spec) {
    VaultSecret s;
    std::string source = spec;
    size_t at = spec.find('@');
    s.label = "default";
    if (at != std::string::npos) {
        s.label = spec.substr(0, at);
        source = spec.substr(at + 1);
    }
    if (source == "prompt" || source.empty())
        throw UserError("--vault-id " + spec + ": upkeep never prompts for vault passwords; give a password file (LABEL@FILE)");
    s.password = read_vault_password_file(source);
    return s;
}

}  // namespace upkeep
