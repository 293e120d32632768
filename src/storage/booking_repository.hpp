#pragma once
// Bookings with their passengers: one aggregate, written together by InsertBooking and always
// loaded together. Every function runs inside the caller's Tx and throws what
// Database::Write/Read document.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "domain/models.hpp"
#include "storage/database.hpp"

namespace rihla::storage {

// The booking and one row per passenger, as writes sent with the COMMIT where the engine can
// (commit_writes.hpp): not readable in the same transaction.
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

// A pending booking whose hold ended, as the expiry sweep claims it.
struct DueBooking {
  std::string id;
  std::string flight_id;
  int seats = 0;
  std::int64_t expires_ms = 0;
};
// Inside a Write transaction: claims up to `limit` pending bookings whose hold ended at or
// before `now_ms`, oldest first, and locks them until the transaction ends. On engines with
// SKIP LOCKED (Dialect::claim_rows_suffix) rows another transaction holds are skipped, so
// concurrent sweepers claim disjoint batches; on SQLite the write transaction is exclusive.
std::vector<DueBooking> ClaimDueBookings(Tx& tx, std::int64_t now_ms, int limit);
// Moves the bookings `ids` from pending_payment to expired in one statement, only those still
// pending and due at `now_ms`. Returns how many changed.
std::size_t ExpireBookings(Tx& tx, const std::vector<std::string>& ids, std::int64_t now_ms);
// expires_at of the oldest pending booking whose hold ended at or before `now_ms`; nullopt
// when none is due.
std::optional<std::int64_t> OldestDueExpiry(Tx& tx, std::int64_t now_ms);

}  // namespace rihla::storage
