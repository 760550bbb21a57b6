#include "modules/formats/jasypt.hpp"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <cstring>
#include <memory>
#include <vector>

#include "modules/formats/text_pos.hpp"

namespace upkeep::jasypt {
namespace {

constexpr int k_iterations = 1000;  // jasypt's DEFAULT_KEY_OBTENTION_ITERATIONS
constexpr size_t k_block = 8;       // DES block size, also jasypt's salt size

using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;

const char k_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// PBKDF1 with MD5, as in PKCS #5 v1.5: 16 bytes, the DES key followed by the IV.
std::array<unsigned char, 16> derive(std::string_view password, const Salt& salt) {
    std::array<unsigned char, 16> d{};
    std::string first(password);
    first.append(reinterpret_cast<const char*>(salt.data()), salt.size());
    unsigned int len = 0;
    if (!EVP_Digest(first.data(), first.size(), d.data(), &len, EVP_md5(), nullptr))
        throw JasyptError("MD5 is not available from OpenSSL");
    for (int i = 1; i < k_iterations; ++i)
        if (!EVP_Digest(d.data(), d.size(), d.data(), &len, EVP_md5(), nullptr))
            throw JasyptError("MD5 is not available from OpenSSL");
    return d;
}

// Single DES in CBC mode, run as three-key 3DES with the same key three times:
// EDE with k1 = k2 = k3 is E_k(D_k(E_k(x))) = E_k(x), exactly single DES. OpenSSL 3
// only offers single DES through its "legacy" provider, which would have to be
// loaded process-wide (and may be missing); DES-EDE3 is in the default provider.
// Padding is PKCS #5/#7 with 8-byte blocks, the same as Java's PKCS5Padding.
std::string des_cbc(bool encrypt, const std::array<unsigned char, 16>& d, std::string_view in) {
    unsigned char key[24];
    for (int i = 0; i < 3; ++i) std::copy(d.begin(), d.begin() + 8, key + 8 * i);
    CipherCtx ctx(EVP_CIPHER_CTX_new(), &EVP_CIPHER_CTX_free);
    if (!ctx || !EVP_CipherInit_ex(ctx.get(), EVP_des_ede3_cbc(), nullptr, key, d.data() + 8, encrypt ? 1 : 0))
        throw JasyptError("DES-EDE3-CBC is not available from OpenSSL");
    std::string out(in.size() + k_block, '\0');
    int n1 = 0, n2 = 0;
    auto* o = reinterpret_cast<unsigned char*>(out.data());
    if (!EVP_CipherUpdate(ctx.get(), o, &n1, reinterpret_cast<const unsigned char*>(in.data()),
                          static_cast<int>(in.size())))
        throw JasyptError("DES-CBC failed");
    if (!EVP_CipherFinal_ex(ctx.get(), o + n1, &n2))
        throw JasyptError("cannot decrypt: wrong key (the padding of the decrypted value is invalid)");
    out.resize(static_cast<size_t>(n1 + n2));
    return out;
}

std::string_view strip(std::string_view s) {
    const char* ws = " \t\r\n";
    size_t b = s.find_first_not_of(ws);
    if (b == std::string_view::npos) return {};
    return s.substr(b, s.find_last_not_of(ws) - b + 1);
}

}  // namespace

void validate_password(std::string_view password) {
    if (password.empty()) throw JasyptError("the encryption password (key) is empty");
    for (char c : password)
        if (c < 0x20 || c > 0x7e)
            throw JasyptError("the encryption password (key) must be printable ASCII (Java's PBEWithMD5AndDES "
                              "refuses anything else); check for a stray newline or non-ASCII character");
}

std::optional<std::string> base64_decode(std::string_view text) {
    // EVP_DecodeBlock skips blanks and decodes '=' as zero bits: check the shape
    // first so that only canonical base64 passes, then drop the padding bytes.
    if (text.size() % 4 != 0) return std::nullopt;
    size_t pad = 0;
    if (!text.empty() && text.back() == '=') pad = text.size() >= 2 && text[text.size() - 2] == '=' ? 2 : 1;
    for (size_t i = 0; i + pad < text.size(); ++i)
        if (text[i] == '\0' || !std::strchr(k_alphabet, text[i])) return std::nullopt;
    std::string out(text.size() / 4 * 3, '\0');
    int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                            reinterpret_cast<const unsigned char*>(text.data()), static_cast<int>(text.size()));
    if (n < 0 || static_cast<size_t>(n) != out.size()) return std::nullopt;
    out.resize(out.size() - pad);
    return out;
}

std::string encrypt(std::string_view plaintext, std::string_view password, const Salt& salt) {
    validate_password(password);
    std::string body(reinterpret_cast<const char*>(salt.data()), salt.size());
    body += des_cbc(true, derive(password, salt), plaintext);
    return base64_encode(body);
}

std::string encrypt(std::string_view plaintext, std::string_view password) {
    Salt salt{};
    if (RAND_bytes(salt.data(), static_cast<int>(salt.size())) != 1)
        throw JasyptError("the random generator of OpenSSL failed to produce a salt");
    return encrypt(plaintext, password, salt);
}

std::string decrypt(std::string_view ciphertext, std::string_view password) {
    validate_password(password);
    auto raw = base64_decode(strip(ciphertext));
    if (!raw) throw JasyptError("cannot decrypt: the value is not base64 (not jasypt output)");
    if (raw->size() < 2 * k_block || raw->size() % k_block != 0)
        throw JasyptError("cannot decrypt: " + std::to_string(raw->size()) +
                          " bytes after base64 decoding is not an 8-byte salt plus whole 8-byte DES blocks "
                          "(not jasypt output)");
    Salt salt{};
    std::copy(raw->begin(), raw->begin() + k_block, salt.begin());
    std::string plain = des_cbc(false, derive(password, salt), std::string_view(*raw).substr(k_block));
    if (!valid_utf8(plain)) throw JasyptError("cannot decrypt: wrong key (the decrypted value is not UTF-8 text)");
    return plain;
}

std::optional<std::string> try_decrypt(std::string_view ciphertext, std::string_view password) {
    try {
        return decrypt(ciphertext, password);
    } catch (const JasyptError&) {
        return std::nullopt;
    }
}

bool looks_encrypted(std::string_view text) {
    auto raw = base64_decode(strip(text));
    return raw && raw->size() >= 2 * k_block && raw->size() % k_block == 0;
}

}  // namespace upkeep::jasypt
