#pragma once
// Bearer tokens, stored only as their SHA-256 hash. A token is its own aggregate: issued at
// signup and at every login, resolved by hash without loading its user, and bound to the user
// only by id. Every function runs inside the caller's Tx and throws what Database::Write/Read
// document.
#include <cstdint>
#include <string>

#include "storage/database.hpp"

namespace rihla::storage {

void InsertToken(Tx& tx, const std::string& token_hash, const std::string& user_id, std::int64_t now_ms);
// The user id owning the token hash, or empty.
std::string UserForTokenHash(Tx& tx, const std::string& token_hash);

}  // namespace rihla::storage
