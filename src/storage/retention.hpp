#pragma once
// Set-based removal of rows past their retention, for the cleanup job (src/app). Every
// function runs inside the caller's Tx (one autocommitted statement suffices) and throws what
// Database::WriteStatement documents.
#include <chrono>
#include <cstddef>
#include <cstdint>

#include "storage/database.hpp"

namespace rihla::storage {

// How long a failed login counts towards the login throttle (migration 0002); older rows are
// kept no longer.
inline constexpr std::chrono::minutes kLoginFailureRetention{15};

// Deletes at most `limit` login_failures rows with failed_at before `cutoff_ms`, oldest first,
// in one statement; returns how many.
std::size_t DeleteLoginFailuresBefore(Tx& tx, std::int64_t cutoff_ms, int limit);

}  // namespace rihla::storage
