#pragma once
// Booking use cases. Creation and cancellation run through the idempotency executor, so the
// seat change, the booking row and the stored response commit together. Every committed seat
// change invalidates the route's cached searches before the call returns.
// Blocking: call on worker threads.
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "domain/booking_rules.hpp"
#include "domain/models.hpp"
#include "idempotency/idempotency.hpp"
#include "observability/request_context.hpp"
#include "services/flight_service.hpp"
#include "storage/database.hpp"

namespace rihla::services {

struct BookingPage {
  std::vector<domain::Booking> bookings;
  std::optional<std::string> next_cursor;
};

class BookingService {
 public:
  BookingService(storage::Database& db, idempotency::Executor& idem, FlightService& flights,
                 std::chrono::seconds hold, FaultPoint fault = FaultPoint::kNone)
      : db_(db), idem_(idem), flights_(flights), hold_(hold), fault_(fault) {}

  // Stored/replayed response of POST /v1/bookings (201, or a 404 / 409 sold-out problem).
  idempotency::Result Create(RequestContext& ctx, const idempotency::Request& key, const domain::NewBooking& input);
  // Stored/replayed response of POST /v1/bookings/{id}/cancel.
  idempotency::Result Cancel(RequestContext& ctx, const idempotency::Request& key, const std::string& booking_id);
  // The caller's booking (404 for anyone else's). A pending booking past its hold is expired here.
  domain::Booking Get(RequestContext& ctx, const std::string& booking_id);
  BookingPage List(RequestContext& ctx, int limit, const std::optional<std::string>& cursor);

  // Expires pending bookings whose hold ended, releasing their seats. Safe to run concurrently
  // in several processes: each expiry is a conditional update, so seats are released once.
  // Returns how many this call expired.
  std::size_t ExpireDue(RequestContext& ctx, std::int64_t now_ms, int batch = 200);

  // Runs inside a write transaction: expires `booking_id` if it is pending and due, releasing
  // its seats. Returns the flight's route when it did.
  static std::optional<std::string> ExpireInTx(storage::Tx& tx, const std::string& booking_id, std::int64_t now_ms);

 private:
  storage::Database& db_;
  idempotency::Executor& idem_;
  FlightService& flights_;
  std::chrono::seconds hold_;
  FaultPoint fault_;
};

}  // namespace rihla::services
