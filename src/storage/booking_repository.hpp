#pragma once
// Users, tokens, bookings, passengers, payment events. Every function runs inside the caller's
// Tx and throws what Database::Write/Read document.
#include <optional>
#include <string>
#include <vector>

#include "domain/models.hpp"
#include "storage/database.hpp"

namespace rihla::storage {

// Throws DuplicateKey when the normalized email exists.
void InsertUser(Tx& tx, const domain::User& user, const std::string& email_normalized, std::int64_t now_ms);
std::optional<domain::User> FindUserByEmail(Tx& tx, const std::string& email_normalized);
void InsertToken(Tx& tx, const std::string& token_hash, const std::string& user_id, std::int64_t now_ms);
// The user id owning the token hash, or empty.
std::string UserForTokenHash(Tx& tx, const std::string& token_hash);

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

struct PaymentEventRow {
  std::string id, type, booking_id, currency, result, reason;
  std::int64_t amount_minor = 0;
};
bool PaymentEventExists(Tx& tx, const std::string& id);
void InsertPaymentEvent(Tx& tx, const PaymentEventRow& event, std::int64_t now_ms);

}  // namespace rihla::storage
