#pragma once
// Bearer tokens, stored only as their SHA-256 hash. A token is its own aggregate: issued at
// signup and at every login, resolved by hash without loading its user, and bound to the user
// only by id. Every function runs inside the caller's Tx and throws what Database::Write/Read
// document.
#include <cstdint>
#include <optional>
#include <string>

#include "storage/database.hpp"

namespace rihla::storage {

struct TokenRow {
  std::string user_id;
  std::int64_t created_ms = 0;  // when it was issued: it expires RIHLA_TOKEN_TTL_SECONDS later
};

void InsertToken(Tx& tx, const std::string& token_hash, const std::string& user_id, std::int64_t now_ms);
// The token with this hash, or nullopt (unknown or revoked).
std::optional<TokenRow> FindToken(Tx& tx, const std::string& token_hash);
// Revokes the token (logout). Returns false when there was none.
bool DeleteToken(Tx& tx, const std::string& token_hash);

}  // namespace rihla::storage
