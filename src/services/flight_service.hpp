#pragma once
// Flight use cases: airports, search (through the cache), flight by id, admin create/patch.
// Writes invalidate their cache scope's entries (domain::CacheScope: the flight's route, UTC
// departure date and cabin) after commit and before returning, so once the caller has answered,
// no search shows data from before the write; searches of other dates and cabins stay cached.
// Blocking: call on worker threads (PeekSearch excepted, see below).
#include <chrono>
#include <optional>
#include <shared_mutex>
#include <string>
#include <unordered_set>
#include <vector>

#include "cache/search_cache.hpp"
#include "domain/cache_scope.hpp"
#include "domain/flight_rules.hpp"
#include "domain/models.hpp"
#include "domain/search.hpp"
#include "observability/fault_point.hpp"
#include "observability/metric_families.hpp"
#include "observability/request_context.hpp"
#include "storage/database.hpp"

namespace rihla::services {

class FlightService {
 public:
  FlightService(storage::Database& db, cache::SearchCache& cache, Metrics& metrics,
                FaultPoint fault = FaultPoint::kNone)
      : db_(db), cache_(cache), db_queries_(metrics.Family(metric::kSearchDbQueries).WithLabels()), fault_(fault) {}

  std::vector<domain::Airport> Airports(RequestContext& ctx);
  // Cached search body; `hit` tells whether the database was read for this request.
  cache::Lookup Search(RequestContext& ctx, const domain::SearchQuery& query);
  // Non-blocking cache probe for an I/O thread; nullopt when it would block or missed.
  std::optional<std::string> PeekSearch(const domain::SearchQuery& query);
  // Throws ApiError(kNotFound).
  domain::Flight Get(RequestContext& ctx, const std::string& id);
  // Throws ApiError kInvalidRequest (unknown airport) or kInvalidState (duplicate flight).
  domain::Flight Create(RequestContext& ctx, domain::Flight flight);
  // Throws kNotFound, or kInvalidState when seats_total < seats held.
  domain::Flight Patch(RequestContext& ctx, const std::string& id, const domain::FlightPatch& patch);

  // After a committed write that changed seats or prices of flights in `scope`.
  // Returns once no instance can serve a search of `scope` from before the write.
  void ScopeChanged(RequestContext& ctx, const domain::CacheScope& scope);
  // The same for a write no client waits on (the expiry sweep): may return before other
  // instances stop serving older entries (they do within a second).
  void ScopeChangedInBackground(RequestContext& ctx, const domain::CacheScope& scope);

 private:
  // Throws ApiError(kInvalidRequest) naming `from`/`to` when GET /v1/airports does not list it,
  // before any cache state is made: junk airport pairs cannot grow the cache.
  void RequireKnownAirports(const domain::SearchQuery& query);
  // Whether `code` is a listed airport. Answers from a set read from the database, re-read at
  // most every kAirportsReload when asked about an unknown code (airports change only by seed).
  bool IsKnownAirport(const std::string& code);

  static constexpr std::chrono::seconds kAirportsReload{10};

  storage::Database& db_;
  cache::SearchCache& cache_;
  const Counter db_queries_;
  FaultPoint fault_;
  std::shared_mutex airports_mu_;
  std::unordered_set<std::string> airports_;                  // guarded by airports_mu_
  std::chrono::steady_clock::time_point airports_loaded_{};   // guarded by airports_mu_; epoch: never
};

}  // namespace rihla::services
