#pragma once
// Users: the account a person signs up with. Every function runs inside the caller's Tx and
// throws what Database::Write/Read document.
#include <cstdint>
#include <optional>
#include <string>

#include "domain/models.hpp"
#include "storage/database.hpp"

namespace rihla::storage {

// Throws DuplicateKey when the normalized email exists.
void InsertUser(Tx& tx, const domain::User& user, const std::string& email_normalized, std::int64_t now_ms);
std::optional<domain::User> FindUserByEmail(Tx& tx, const std::string& email_normalized);

}  // namespace rihla::storage
