// SHA-256 (OpenSSL's EVP), as lowercase hex: of a buffer, or fed in pieces so a
// large file is hashed without holding it whole (Connection::file_sha256).
#pragma once

#include <memory>
#include <string>
#include <string_view>

namespace upkeep {

std::string sha256_hex(std::string_view bytes);

class Sha256 {
public:
    Sha256();
    ~Sha256();
    Sha256(const Sha256&) = delete;
    Sha256& operator=(const Sha256&) = delete;
    void update(std::string_view bytes);
    std::string hex();  // finishes the digest

private:
    struct Impl;
    std::unique_ptr<Impl> m;
};

}  // namespace upkeep
