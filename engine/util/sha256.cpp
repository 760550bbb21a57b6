#include "engine/util/sha256.hpp"

#include "engine/util/digest.hpp"
#include "engine/util/shared_text.hpp"

#include <openssl/evp.h>

#include <stdexcept>

namespace upkeep {

std::string sha256_hex(std::string_view bytes) {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    if (EVP_Digest(bytes.data(), bytes.size(), md, &n, EVP_sha256(), nullptr) != 1)
        throw std::runtime_error("SHA-256 failed");
    return hex_encode(std::string_view(reinterpret_cast<const char*>(md), n));
}

struct Sha256::Impl {
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    ~Impl() { EVP_MD_CTX_free(ctx); }
};

Sha256::Sha256() : m(std::make_unique<Impl>()) {
    if (!m->ctx || EVP_DigestInit_ex(m->ctx, EVP_sha256(), nullptr) != 1) throw std::runtime_error("SHA-256 failed");
}

Sha256::~Sha256() = default;

void Sha256::update(std::string_view bytes) {
    if (EVP_DigestUpdate(m->ctx, bytes.data(), bytes.size()) != 1) throw std::runtime_error("SHA-256 failed");
}

std::string Sha256::hex() {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    if (EVP_DigestFinal_ex(m->ctx, md, &n) != 1) throw std::runtime_error("SHA-256 failed");
    return hex_encode(std::string_view(reinterpret_cast<const char*>(md), n));
}

}  // namespace upkeep

// Here rather than in shared_text.hpp: only this file needs OpenSSL.
namespace upkeep {

const std::string& SharedText::sha256() const {
    static const std::string none;
    if (!m_p) return none;
    std::call_once(m_p->sha_once, [&] { m_p->sha = sha256_hex(m_p->bytes); });
    return m_p->sha;
}

}  // namespace upkeep
