#pragma once
// Payment provider events, recorded once per event id so that a redelivered webhook is
// recognised. Every function runs inside the caller's Tx and throws what Database::Write/Read
// document.
#include <cstdint>
#include <string>

#include "storage/database.hpp"

namespace rihla::storage {

// Empty booking_id, currency and reason are stored as NULL (currency also nulls the amount).
struct PaymentEventRow {
  std::string id, type, booking_id, currency, result, reason;
  std::int64_t amount_minor = 0;
};
bool PaymentEventExists(Tx& tx, const std::string& id);
// Throws DuplicateKey when the event id exists.
void InsertPaymentEvent(Tx& tx, const PaymentEventRow& event, std::int64_t now_ms);

}  // namespace rihla::storage
