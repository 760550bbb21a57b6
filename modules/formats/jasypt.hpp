// Jasypt's default string encryption as CloudStack uses it for the secrets in its
// database (cluster_details, vmware_data_center, configuration) and in
// db.properties ENC(...): StandardPBEStringEncryptor with PBEWithMD5AndDES, 1000
// iterations, an 8-byte random salt and base64 output.
//
//   d = MD5^1000(password || salt)       (MD5 applied 1000 times, PBKDF1)
//   DES key = d[0:8], IV = d[8:16]
//   output = base64(salt || DES-CBC(PKCS5-pad(UTF-8 bytes of the message)))
//
// The password must be printable ASCII: Java's PBEWithMD5AndDES refuses anything
// else, so a value encrypted with another password could never be read by
// CloudStack.
#pragma once

#include <array>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "engine/util/digest.hpp"

namespace upkeep::jasypt {

using Salt = std::array<unsigned char, 8>;

// A value cannot be encrypted or decrypted; the message says why in words a
// person can act on (wrong key, not base64, too short...). Never contains the
// password or the plaintext.
class JasyptError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// Throws JasyptError when `password` cannot be a jasypt password (empty, or not
// printable ASCII: Java's PBEWithMD5AndDES refuses it).
void validate_password(std::string_view password);

// Encrypts `plaintext` (UTF-8) with a fresh random salt, as jasypt's CLI would.
std::string encrypt(std::string_view plaintext, std::string_view password);
// The same with a given salt: deterministic, for tests and known vectors.
std::string encrypt(std::string_view plaintext, std::string_view password, const Salt& salt);

// Decrypts jasypt output (surrounding whitespace is ignored). Throws JasyptError
// when the text is not base64, is too short or badly sized, or when the padding
// or the UTF-8 of the result is wrong, which in practice means a different
// password (as with jasypt itself, a wrong password goes unnoticed about once
// in 256 tries when the padding happens to look right; the UTF-8 check catches
// most of those).
std::string decrypt(std::string_view ciphertext, std::string_view password);
// decrypt() that returns nullopt instead of throwing.
std::optional<std::string> try_decrypt(std::string_view ciphertext, std::string_view password);

// True when `text` has the shape of jasypt output: base64 of at least two
// 8-byte blocks (salt + one cipher block) and a whole number of blocks.
bool looks_encrypted(std::string_view text);

// Base64 (RFC 4648, with padding, no line breaks): the engine's one encoder.
using upkeep::base64_encode;
// Strict base64 decoding; nullopt on any character outside the alphabet or bad padding.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace upkeep::jasypt
