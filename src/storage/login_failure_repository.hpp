#pragma once
// Failed logins per normalized email (table login_failures), shared by every instance on the
// database: the login throttle counts them before any password is hashed. Every function runs
// inside the caller's Tx and throws what Database::Write/Read document.
#include <cstdint>
#include <string>
#include <vector>

#include "storage/database.hpp"

namespace rihla::storage {

void InsertLoginFailure(Tx& tx, const std::string& email_normalized, std::int64_t now_ms);
// Times of the email's failures after `since_ms`, newest first, at most `limit`.
std::vector<std::int64_t> RecentLoginFailures(Tx& tx, const std::string& email_normalized, std::int64_t since_ms,
                                              int limit);

}  // namespace rihla::storage
