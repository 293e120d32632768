#include "services/flight_service.hpp"

#include "domain/errors.hpp"
#include "domain/render.hpp"
#include "domain/time.hpp"
#include "security/crypto.hpp"
#include "storage/flight_repository.hpp"

namespace rihla::services {

std::vector<domain::Airport> FlightService::Airports(RequestContext& ctx) {
  std::vector<domain::Airport> out;
  db_.Read([&](storage::Tx& tx) { out = storage::ListAirports(tx); });
  return out;
}

bool FlightService::IsKnownAirport(const std::string& code) {
  {
    std::shared_lock lock(airports_mu_);
    if (airports_.contains(code)) return true;
  }
  std::unique_lock lock(airports_mu_);
  auto now = std::chrono::steady_clock::now();
  if (airports_loaded_ != std::chrono::steady_clock::time_point{} && now - airports_loaded_ < kAirportsReload) {
    return airports_.contains(code);
  }
  std::vector<domain::Airport> listed;
  db_.Read([&](storage::Tx& tx) { listed = storage::ListAirports(tx); });
  airports_.clear();
  for (const auto& a : listed) airports_.insert(a.code);
  airports_loaded_ = now;
  return airports_.contains(code);
}

void FlightService::RequireKnownAirports(const domain::SearchQuery& q) {
  std::vector<FieldError> errors;
  if (!IsKnownAirport(q.from)) errors.push_back({"from", "unknown airport (see GET /v1/airports)"});
  if (!IsKnownAirport(q.to)) errors.push_back({"to", "unknown airport (see GET /v1/airports)"});
  if (!errors.empty()) throw ApiError(ErrorCode::kInvalidRequest, "unknown airport", std::move(errors));
}

cache::Lookup FlightService::Search(RequestContext& ctx, const domain::SearchQuery& q) {
  RequireKnownAirports(q);
  const domain::CacheScope scope = domain::CacheScope::ForQuery(q);
  return cache_.GetOrLoad(scope, q.Canonical(), [&] {
    std::vector<domain::Flight> flights;
    db_queries_.Increment();
    db_.Read([&](storage::Tx& tx) {
      flights = storage::SearchFlights(tx, q.from, q.to, q.cabin, q.day_start_ms, q.day_start_ms + domain::kDayMs,
                                       q.passengers);
    });
    if (fault_ == FaultPoint::kPauseFill) {
      ctx.Log(LogLevel::kInfo, "search fill paused after database read", {{"scope", scope.ToString()}});
      TriggerFault(fault_, FaultPoint::kPauseFill);
    }
    return domain::SearchResultBody(flights);
  });
}

std::optional<std::string> FlightService::PeekSearch(const domain::SearchQuery& q) {
  if (!cache_.PeekIsNonBlocking()) return std::nullopt;
  return cache_.Peek(domain::CacheScope::ForQuery(q), q.Canonical());
}

domain::Flight FlightService::Get(RequestContext& ctx, const std::string& id) {
  std::optional<domain::Flight> flight;
  db_.Read([&](storage::Tx& tx) { flight = storage::FindFlight(tx, id); });
  if (!flight) throw ApiError(ErrorCode::kNotFound, "no flight with this id");
  return *flight;
}

domain::Flight FlightService::Create(RequestContext& ctx, domain::Flight flight) {
  flight.id = "fl_" + RandomHex(8);
  try {
    db_.Write([&](storage::Tx& tx) {
      std::vector<FieldError> errors;
      if (!storage::AirportExists(tx, flight.origin)) errors.push_back({"from", "unknown airport"});
      if (!storage::AirportExists(tx, flight.destination)) errors.push_back({"to", "unknown airport"});
      if (!errors.empty()) throw ApiError(ErrorCode::kInvalidRequest, "unknown airport", std::move(errors));
      storage::InsertFlight(tx, flight, domain::NowMs());
    });
  } catch (const DuplicateKey&) {
    throw ApiError(ErrorCode::kInvalidState, "a flight with this flight_number, departure_time and cabin exists");
  }
  ScopeChanged(ctx, domain::CacheScope::ForFlight(flight));
  ctx.Log(LogLevel::kInfo, "flight created", {{"flight_id", flight.id}});
  return flight;
}

domain::Flight FlightService::Patch(RequestContext& ctx, const std::string& id, const domain::FlightPatch& patch) {
  std::optional<domain::Flight> before, result;
  db_.Write([&](storage::Tx& tx) {
    before = storage::FindFlight(tx, id);
    if (!before) throw ApiError(ErrorCode::kNotFound, "no flight with this id");
    if (patch.seats_total && !storage::UpdateSeatsTotal(tx, id, *patch.seats_total)) {
      throw ApiError(ErrorCode::kInvalidState, "seats_total is below the seats already held");
    }
    if (patch.price) storage::UpdateFlightPrice(tx, id, *patch.price);
    result = storage::FindFlight(tx, id);
  });
  // The searches that listed the flight and those that list it now (the same scope unless the
  // patch moved its route, date or cabin).
  const domain::CacheScope old_scope = domain::CacheScope::ForFlight(*before);
  const domain::CacheScope new_scope = domain::CacheScope::ForFlight(*result);
  ScopeChanged(ctx, old_scope);
  if (new_scope != old_scope) ScopeChanged(ctx, new_scope);
  ctx.Log(LogLevel::kInfo, "flight updated", {{"flight_id", id}});
  return *result;
}

void FlightService::ScopeChanged(RequestContext& ctx, const domain::CacheScope& scope) {
  if (FaultActive(fault_, FaultPoint::kSkipInvalidation)) return;
  cache_.Invalidate(scope);
  ctx.Log(LogLevel::kDebug, "cache scope invalidated", {{"scope", scope.ToString()}});
}

void FlightService::ScopeChangedInBackground(RequestContext& ctx, const domain::CacheScope& scope) {
  if (FaultActive(fault_, FaultPoint::kSkipInvalidation)) return;
  cache_.InvalidateInBackground(scope);
  ctx.Log(LogLevel::kDebug, "cache scope invalidated", {{"scope", scope.ToString()}});
}

}  // namespace rihla::services
