#pragma once
// Bookings with their passengers: one aggregate, written together by InsertBooking and always
// loaded together. Every function runs inside the caller's Tx and throws what
// Database::Write/Read document.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "domain/models.hpp"
#include "storage/database.hpp"

namespace rihla::storage {

void InsertBooking(Tx& tx, const domain::Booking& booking, std::int64_t now_ms);
std::optional<domain::Booking> FindBooking(Tx& tx, const std::string& id);

struct BookingCursor {
  std::int64_t created_ms = 0;
  std::string id;
};
// The user's bookings, newest first (created_at DESC, id DESC), strictly after `after` if set.
std::vector<domain::Booking> ListBookings(Tx& tx, const std::string& user_id, const std::optional<BookingCursor>& after,
                                          int limit);

// Moves booking `id` from one of `from` to `to`, only if it is still in one of `from` (and, when
// expired_before is set, only if expires_at <= expired_before; when valid_after is set, only
// if expires_at > valid_after). Returns true when this call made the change.
struct TransitionGuard {
  std::vector<domain::BookingStatus> from;
  std::optional<std::int64_t> expired_before;
  std::optional<std::int64_t> valid_after;
};
bool TransitionBooking(Tx& tx, const std::string& id, const TransitionGuard& guard, domain::BookingStatus to,
                       std::int64_t now_ms);

// Ids of pending bookings whose hold ended at or before `now_ms`, oldest first.
std::vector<std::string> BookingsDueForExpiry(Tx& tx, std::int64_t now_ms, int limit);

}  // namespace rihla::storage
