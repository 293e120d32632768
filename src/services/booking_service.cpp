#include "services/booking_service.hpp"

#include <boost/json.hpp>

#include "domain/errors.hpp"
#include "http/problem.hpp"
#include "domain/render.hpp"
#include "domain/time.hpp"
#include "security/crypto.hpp"
#include "storage/booking_repository.hpp"
#include "storage/flight_repository.hpp"

namespace rihla::services {
namespace {

std::string RouteOf(const domain::Flight& f) { return f.origin + "-" + f.destination; }

}  // namespace

idempotency::Result BookingService::Create(RequestContext& ctx, const idempotency::Request& key,
                                           const domain::NewBooking& input) {
  auto result = idem_.Run(ctx, key, [&](storage::Tx& tx) {
    auto flight = storage::FindFlight(tx, input.flight_id);
    if (!flight) throw ApiError(ErrorCode::kNotFound, "no flight with this id");
    int seats = static_cast<int>(input.passengers.size());
    if (!storage::HoldSeats(tx, flight->id, seats)) {
      throw ApiError(ErrorCode::kSoldOut, "not enough seats left for " + std::to_string(seats) + " passenger(s)");
    }
    std::int64_t now = domain::NowMs();
    domain::Booking b;
    b.id = "bk_" + RandomHex(12);
    b.user_id = ctx.user_id;
    b.flight_id = flight->id;
    b.status = domain::BookingStatus::kPendingPayment;
    b.passengers = input.passengers;
    b.total = domain::BookingTotal(flight->price, input.passengers.size());
    b.created_ms = now;
    b.expires_ms = now + std::chrono::duration_cast<std::chrono::milliseconds>(hold_).count();
    storage::InsertBooking(tx, b, now);
    ctx.Log(LogLevel::kInfo, "booking created", {{"booking_id", b.id}, {"flight_id", b.flight_id}, {"seats", seats}});
    return idempotency::Outcome{201, boost::json::serialize(domain::BookingJson(b)), RouteOf(*flight)};
  });
  if (!result.changed_route.empty()) flights_.RouteChanged(ctx, result.changed_route);
  return result;
}

std::optional<std::string> BookingService::ExpireInTx(storage::Tx& tx, const std::string& booking_id,
                                                      std::int64_t now_ms) {
  auto booking = storage::FindBooking(tx, booking_id);
  if (!booking) return std::nullopt;
  storage::TransitionGuard guard{{domain::BookingStatus::kPendingPayment}, now_ms, std::nullopt};
  if (!storage::TransitionBooking(tx, booking_id, guard, domain::BookingStatus::kExpired, now_ms)) return std::nullopt;
  storage::ReleaseSeats(tx, booking->flight_id, static_cast<int>(booking->passengers.size()));
  auto flight = storage::FindFlight(tx, booking->flight_id);
  return flight ? std::optional<std::string>(RouteOf(*flight)) : std::nullopt;
}

idempotency::Result BookingService::Cancel(RequestContext& ctx, const idempotency::Request& key,
                                           const std::string& booking_id) {
  auto result = idem_.Run(ctx, key, [&](storage::Tx& tx) {
    std::int64_t now = domain::NowMs();
    auto booking = storage::FindBooking(tx, booking_id);
    if (!booking || booking->user_id != ctx.user_id) throw ApiError(ErrorCode::kNotFound, "no booking with this id");
    std::string route;
    if (auto expired_route = ExpireInTx(tx, booking_id, now)) {
      // The hold ended before the cancel: it expired (and released its seats) instead.
      return idempotency::Outcome{409,
                                  http::ProblemResponse(ApiError(ErrorCode::kInvalidState, "the booking has expired"),
                                                        ctx.correlation_id)
                                      .body,
                                  *expired_route};
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
                                flight ? RouteOf(*flight) : std::string()};
  });
  if (!result.changed_route.empty()) flights_.RouteChanged(ctx, result.changed_route);
  return result;
}

domain::Booking BookingService::Get(RequestContext& ctx, const std::string& booking_id) {
  std::optional<domain::Booking> booking;
  db_.Read([&](storage::Tx& tx) { booking = storage::FindBooking(tx, booking_id); });
  if (!booking || booking->user_id != ctx.user_id) throw ApiError(ErrorCode::kNotFound, "no booking with this id");
  std::int64_t now = domain::NowMs();
  if (domain::EffectiveStatus(*booking, now) != booking->status) {
    std::optional<std::string> route;
    db_.Write([&](storage::Tx& tx) { route = ExpireInTx(tx, booking_id, now); });
    if (route) flights_.RouteChanged(ctx, *route);
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
  std::vector<std::string> due;
  db_.Read([&](storage::Tx& tx) { due = storage::BookingsDueForExpiry(tx, now_ms, batch); });
  std::size_t expired = 0;
  for (const auto& id : due) {
    std::optional<std::string> route;
    db_.Write([&](storage::Tx& tx) { route = ExpireInTx(tx, id, now_ms); });
    if (route) {
      ++expired;
      flights_.RouteChanged(ctx, *route);
      ctx.Log(LogLevel::kInfo, "booking expired", {{"booking_id", id}});
    }
  }
  return expired;
}

}  // namespace rihla::services
