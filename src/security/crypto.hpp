#pragma once
// Cryptographic primitives (OpenSSL 3, libsodium). Thread-safe.
#include <cstddef>
#include <string>
#include <string_view>

namespace rihla {

// Cryptographically secure random bytes; aborts if the CSPRNG fails.
void RandomBytes(unsigned char* out, std::size_t n);
// n random bytes, lowercase hex encoded (2n chars).
std::string RandomHex(std::size_t n);
// n random bytes, base64url without padding.
std::string RandomToken(std::size_t n);

std::string Sha256Hex(std::string_view data);
// HMAC-SHA256(key, data), lowercase hex.
std::string HmacSha256Hex(std::string_view key, std::string_view data);
// Compares in time that depends only on the lengths.
bool ConstantTimeEquals(std::string_view a, std::string_view b);

// argon2id via libsodium (19 MiB, 2 passes: OWASP's minimum). Throws on out-of-memory.
std::string HashPassword(std::string_view password);
bool VerifyPassword(std::string_view hash, std::string_view password);

std::string HexEncode(const unsigned char* data, std::size_t n);
std::string Base64UrlEncode(std::string_view data);
// Returns false for any character outside the base64url alphabet.
bool Base64UrlDecode(std::string_view text, std::string& out);

}  // namespace rihla
