#pragma once
// Booking use cases. Creation and cancellation run through the idempotency executor, so the
// seat change, the booking row and the stored response commit together. Every committed seat
// change invalidates the route's cached searches before the call returns.
// Blocking: call on worker threads.
#include <atomic>
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "domain/booking_rules.hpp"
#include "domain/models.hpp"
#include "idempotency/idempotency.hpp"
#include "observability/fault_point.hpp"
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

  // Bookings one expiry transaction claims: large enough that 10,000 bookings due in the same
  // second are released within the 5 s promise, small enough that one transaction holds its
  // locks (and SQLite's single writer) for milliseconds only.
  static constexpr int kExpiryBatch = 500;

  // Expires every pending booking whose hold ended at or before `now_ms`, releasing its seats.
  // Loops in batches until a claim comes back short: each batch is one write transaction that
  // claims up to `batch` due bookings (storage::ClaimDueBookings: rows that another instance's
  // sweep holds are skipped, so instances split the work), expires them with one UPDATE and
  // releases their seats with one UPDATE per flight, in flight-id order; after its commit each
  // changed cache scope is invalidated once. Seats are released exactly once however many
  // processes sweep. Also records the expiry lag (see ExpiryLagSeconds). Returns how many this
  // call expired; throws what Database::Write throws (batches committed before stay committed).
  // Called by one thread at a time per process (the sweeper); safe beside request threads.
  std::size_t ExpireDue(RequestContext& ctx, std::int64_t now_ms, int batch = kExpiryBatch);

  // Age in seconds, at `now_ms`, of the oldest booking that was due but still pending when the
  // last ExpireDue looked (0 when none was). Reads an atomic only; safe from any thread.
  double ExpiryLagSeconds(std::int64_t now_ms) const;

  // Runs inside a write transaction: expires `booking_id` if it is pending and due, releasing
  // its seats. Returns the flight's cache scope when it did.
  static std::optional<domain::CacheScope> ExpireInTx(storage::Tx& tx, const std::string& booking_id, std::int64_t now_ms);

 private:
  storage::Database& db_;
  idempotency::Executor& idem_;
  FlightService& flights_;
  std::string NewBookingId(std::int64_t now_ms);

  std::chrono::seconds hold_;
  FaultPoint fault_;  // test builds only
  // Orders the ids of bookings made in the same millisecond on this instance (see NewBookingId).
  std::atomic<std::uint32_t> id_sequence_{0};
  // expires_at of the oldest due-but-pending booking ExpireDue last saw; 0 when none.
  std::atomic<std::int64_t> oldest_due_ms_{0};
};

}  // namespace rihla::services
