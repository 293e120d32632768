#include "storage/payment_event_repository.hpp"

#include <soci/soci.h>

#include "storage/statement.hpp"

namespace rihla::storage {
namespace {

constexpr const char* kEventExists = "SELECT COUNT(*) FROM payment_events WHERE id = :id";
constexpr const char* kInsertEvent =
    "INSERT INTO payment_events (id, type, booking_id, amount_minor, currency, result, reason, received_at)"
    " VALUES (:id, :ty, :b, :a, :c, :r, :re, :t)";

}  // namespace

bool PaymentEventExists(Tx& tx, const std::string& id) {
  long long n = 0;
  Execute(tx, kEventExists, soci::use(id), soci::into(n));
  return n > 0;
}

void InsertPaymentEvent(Tx& tx, const PaymentEventRow& e, std::int64_t now_ms) {
  long long amount = e.amount_minor, now = now_ms;
  soci::indicator b_ind = e.booking_id.empty() ? soci::i_null : soci::i_ok;
  soci::indicator c_ind = e.currency.empty() ? soci::i_null : soci::i_ok;
  soci::indicator a_ind = e.currency.empty() ? soci::i_null : soci::i_ok;
  soci::indicator r_ind = e.reason.empty() ? soci::i_null : soci::i_ok;
  Execute(tx, kInsertEvent, soci::use(e.id), soci::use(e.type), soci::use(e.booking_id, b_ind),
          soci::use(amount, a_ind), soci::use(e.currency, c_ind), soci::use(e.result), soci::use(e.reason, r_ind),
          soci::use(now));
}

}  // namespace rihla::storage
