// Hex text of bytes and message digests by OpenSSL name: one copy for the vault's
// hex envelope, Jinja's hash filter, the plan's sha256 and the modules' checksums.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace upkeep {

// Lower-case hex, two digits a byte.
std::string hex_encode(std::string_view bytes);
// Hex (either case) to bytes; nullopt on an odd length or a non-hex character.
std::optional<std::string> hex_decode(std::string_view hex);
// Lower-case hex digest of `data` by OpenSSL's name of the algorithm ("md5",
// "sha1", "sha256"...); nullopt for a name OpenSSL does not know. Callers say
// which error that is in their context.
std::optional<std::string> digest_hex_of(const std::string& algo, std::string_view data);
// Standard base64 with padding, no line breaks.
std::string base64_encode(std::string_view bytes);
// Standard base64 (whitespace ignored) to bytes; nullopt when it is not base64.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace upkeep
