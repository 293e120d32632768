#include "services/booking_service.hpp"

#include <boost/json.hpp>

#include <cstdio>
#include <map>
#include <set>
#include <stdexcept>

#include "domain/cache_scope.hpp"
#include "domain/errors.hpp"
#include "domain/render.hpp"
#include "domain/time.hpp"
#include "security/crypto.hpp"
#include "storage/booking_repository.hpp"
#include "storage/flight_repository.hpp"

namespace rihla::services {

// "bk_" + 24 hex digits: the creation millisecond (12), a per-instance sequence (4) and 32
// random bits (8). Lists are ordered by (created_at, id), so bookings made on one instance in
// the same millisecond still list in the order they were made; across instances such ties are
// ordered arbitrarily but stably.
std::string BookingService::NewBookingId(std::int64_t now_ms) {
  char prefix[17];
  std::snprintf(prefix, sizeof prefix, "%012llx%04x", static_cast<unsigned long long>(now_ms) & 0xffffffffffffULL,
                static_cast<unsigned>(id_sequence_.fetch_add(1, std::memory_order_relaxed) & 0xffffu));
  return "bk_" + std::string(prefix) + RandomHex(4);
}

idempotency::Result BookingService::Create(RequestContext& ctx, const idempotency::Request& key,
                                           const domain::NewBooking& input) {
  auto result = idem_.Run(ctx, key, [&](storage::Tx& tx) {
    int seats = static_cast<int>(input.passengers.size());
    // Hold first, then read the flight: the guarded UPDATE locks the row until commit, so the
    // price read next is the one in force when the seats were taken. Reading it before the
    // hold let a price PATCH commit in between and give this booking the old total.
    TriggerFault(fault_, FaultPoint::kPauseBeforeHold);
    auto [held, flight] = storage::HoldSeatsAndRead(tx, input.flight_id, seats);
    if (!flight) throw ApiError(ErrorCode::kNotFound, "no flight with this id");
    if (!held) {
      throw ApiError(ErrorCode::kSoldOut, "not enough seats left for " + std::to_string(seats) + " passenger(s)");
    }
    std::int64_t now = domain::NowMs();
    domain::Booking b;
    b.id = NewBookingId(now);
    b.user_id = ctx.user_id;
    b.flight_id = flight->id;
    b.status = domain::BookingStatus::kPendingPayment;
    b.passengers = input.passengers;
    b.total = domain::BookingTotal(flight->price, input.passengers.size());
    b.created_ms = now;
    b.expires_ms = now + std::chrono::duration_cast<std::chrono::milliseconds>(hold_).count();
    storage::InsertBooking(tx, b, now);
    ctx.Log(LogLevel::kInfo, "booking created", {{"booking_id", b.id}, {"flight_id", b.flight_id}, {"seats", seats}});
    return idempotency::Outcome{201, boost::json::serialize(domain::BookingJson(b)), domain::CacheScope::ForFlight(*flight)};
  });
  if (result.changed_scope) flights_.ScopeChanged(ctx, *result.changed_scope);
  return result;
}

std::optional<domain::CacheScope> BookingService::ExpireInTx(storage::Tx& tx, const std::string& booking_id,
                                                      std::int64_t now_ms) {
  auto booking = storage::FindBooking(tx, booking_id);
  if (!booking) return std::nullopt;
  storage::TransitionGuard guard{{domain::BookingStatus::kPendingPayment}, now_ms, std::nullopt};
  if (!storage::TransitionBooking(tx, booking_id, guard, domain::BookingStatus::kExpired, now_ms)) return std::nullopt;
  storage::ReleaseSeats(tx, booking->flight_id, static_cast<int>(booking->passengers.size()));
  auto flight = storage::FindFlight(tx, booking->flight_id);
  return flight ? std::optional(domain::CacheScope::ForFlight(*flight)) : std::nullopt;
}

idempotency::Result BookingService::Cancel(RequestContext& ctx, const idempotency::Request& key,
                                           const std::string& booking_id) {
  auto result = idem_.Run(ctx, key, [&](storage::Tx& tx) {
    std::int64_t now = domain::NowMs();
    auto booking = storage::FindBooking(tx, booking_id);
    if (!booking || booking->user_id != ctx.user_id) throw ApiError(ErrorCode::kNotFound, "no booking with this id");
    if (auto expired_scope = ExpireInTx(tx, booking_id, now)) {
      // The hold ended before the cancel: it expired (and released its seats) instead.
      // Answer with the error but commit the expiry: the executor stores the rendered problem.
      return idempotency::Outcome{.changed_scope = *expired_scope,
                                  .error = ApiError(ErrorCode::kInvalidState, "the booking has expired")};
    }
    storage::TransitionGuard guard{domain::CancellableStatuses(), std::nullopt, std::nullopt};
    if (!storage::TransitionBooking(tx, booking_id, guard, domain::BookingStatus::kCancelled, now)) {
      throw ApiError(ErrorCode::kInvalidState,
                     "the booking is " + std::string(domain::StatusName(booking->status)) + " and cannot be cancelled");
    }
    storage::ReleaseSeats(tx, booking->flight_id, static_cast<int>(booking->passengers.size()));
    if (FaultActive(fault_, FaultPoint::kDoubleRelease))
      storage::ReleaseSeats(tx, booking->flight_id, static_cast<int>(booking->passengers.size()));
    auto flight = storage::FindFlight(tx, booking->flight_id);
    booking->status = domain::BookingStatus::kCancelled;
    ctx.Log(LogLevel::kInfo, "booking cancelled", {{"booking_id", booking_id}});
    return idempotency::Outcome{200, boost::json::serialize(domain::BookingJson(*booking)),
                                flight ? std::optional(domain::CacheScope::ForFlight(*flight)) : std::nullopt};
  });
  if (result.changed_scope) flights_.ScopeChanged(ctx, *result.changed_scope);
  return result;
}

domain::Booking BookingService::Get(RequestContext& ctx, const std::string& booking_id) {
  std::optional<domain::Booking> booking;
  db_.Read([&](storage::Tx& tx) { booking = storage::FindBooking(tx, booking_id); });
  if (!booking || booking->user_id != ctx.user_id) throw ApiError(ErrorCode::kNotFound, "no booking with this id");
  std::int64_t now = domain::NowMs();
  if (domain::EffectiveStatus(*booking, now) != booking->status) {
    std::optional<domain::CacheScope> scope;
    db_.Write([&](storage::Tx& tx) { scope = ExpireInTx(tx, booking_id, now); });
    if (scope) flights_.ScopeChanged(ctx, *scope);
    booking->status = domain::BookingStatus::kExpired;
  }
  return *booking;
}

BookingPage BookingService::List(RequestContext& ctx, int limit, const std::optional<std::string>& cursor) {
  std::optional<storage::BookingCursor> after;
  if (cursor) {
    auto [created, id] = domain::ParseCursor(*cursor);
    after = storage::BookingCursor{created, id};
  }
  BookingPage page;
  db_.Read([&](storage::Tx& tx) { page.bookings = storage::ListBookings(tx, ctx.user_id, after, limit + 1); });
  if (static_cast<int>(page.bookings.size()) > limit) {
    page.bookings.resize(static_cast<std::size_t>(limit));
    const auto& last = page.bookings.back();
    page.next_cursor = domain::MakeCursor(last.created_ms, last.id);
  }
  std::int64_t now = domain::NowMs();
  for (auto& b : page.bookings) b.status = domain::EffectiveStatus(b, now);
  return page;
}

std::size_t BookingService::ExpireDue(RequestContext& ctx, std::int64_t now_ms, int batch) {
  std::optional<std::int64_t> oldest;
  db_.Read([&](storage::Tx& tx) { oldest = storage::OldestDueExpiry(tx, now_ms); });
  oldest_due_ms_.store(oldest.value_or(0));
  if (!oldest) return 0;
  std::size_t expired = 0;
  for (;;) {
    std::size_t claimed = 0;
    std::set<domain::CacheScope> scopes;
    db_.Write([&](storage::Tx& tx) {
      scopes.clear();  // Write may re-run this function after a deadlock
      auto due = storage::ClaimDueBookings(tx, now_ms, batch);
      claimed = due.size();
      if (due.empty()) return;
      std::vector<std::string> ids;
      std::map<std::string, int> seats_by_flight;  // ordered: every sweeper locks flights in id order
      for (const auto& d : due) {
        ids.push_back(d.id);
        seats_by_flight[d.flight_id] += d.seats;
      }
      // The claim locked these rows (or holds the single writer): none can have changed since.
      if (storage::ExpireBookings(tx, ids, now_ms) != ids.size()) {
        throw std::runtime_error("expiry sweep: a claimed booking changed under its lock");
      }
      for (const auto& [flight_id, seats] : seats_by_flight) {
        storage::ReleaseSeats(tx, flight_id, seats);
        if (auto flight = storage::FindFlight(tx, flight_id)) scopes.insert(domain::CacheScope::ForFlight(*flight));
      }
      oldest_due_ms_.store(due.front().expires_ms);
    });
    for (const auto& scope : scopes) flights_.ScopeChangedInBackground(ctx, scope);
    expired += claimed;
    if (claimed > 0) ctx.Log(LogLevel::kInfo, "bookings expired", {{"count", claimed}, {"flights", scopes.size()}});
    if (claimed < static_cast<std::size_t>(batch)) break;
  }
  // What is still due now is held by another instance's sweep (or became due meanwhile).
  db_.Read([&](storage::Tx& tx) { oldest = storage::OldestDueExpiry(tx, now_ms); });
  oldest_due_ms_.store(oldest.value_or(0));
  return expired;
}

double BookingService::ExpiryLagSeconds(std::int64_t now_ms) const {
  std::int64_t oldest = oldest_due_ms_.load();
  return oldest == 0 || oldest >= now_ms ? 0.0 : static_cast<double>(now_ms - oldest) / 1000.0;
}

}  // namespace rihla::services
