#pragma once
// The unit of search-cache invalidation: the part of the search space one write can change.
// A write invalidates the scope of the flight it changed; a search is cached under the scope of
// its query; both constructors must agree, so that every search a write can change lies in the
// write's scope.
//
// A scope is a route + UTC departure date + cabin: a booking on RUH-JED economy on 2026-12-03
// leaves cached searches of other dates and cabins of RUH-JED valid (the number of passengers is
// not part of it: a seat change can change the answer for any party size).
//
// A route-wide scope (no date, no cabin) covers every scope of its route. Writes never produce
// it; it is what an operator purges (`rihla cache purge --route ruh-jed`) and what idempotency
// records stored before scopes were narrowed hold ("RUH-JED").
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "domain/models.hpp"
#include "domain/search.hpp"

namespace rihla::domain {

struct CacheScope {
  std::string origin;                 // upper-case IATA
  std::string destination;            // upper-case IATA
  std::optional<std::int64_t> day{};  // UTC midnight of the departure date (ms); nullopt: route-wide
  std::string cabin{};                // "economy" | "business" | "first"; empty iff route-wide

  // The scope a committed write to `flight` (seats, price, a new flight) changes.
  static CacheScope ForFlight(const Flight& flight);
  // The scope whose entries can answer `query`.
  static CacheScope ForQuery(const SearchQuery& query);
  // The route-wide scope of FROM-TO.
  static CacheScope Route(std::string origin, std::string destination);
  // An operator's "FROM-TO" (any case, e.g. `rihla cache purge --route ruh-jed`); nullopt
  // unless both are IATA codes.
  static std::optional<CacheScope> ParseRoute(std::string_view text);
  // The inverse of Key(): "RUH-JED" (route-wide) or "RUH-JED.2026-12-03.economy"; nullopt for
  // anything else.
  static std::optional<CacheScope> Parse(std::string_view text);

  bool IsRouteWide() const { return !day.has_value(); }
  // The route-wide scope this scope lies in (itself when route-wide).
  CacheScope RouteScope() const { return Route(origin, destination); }
  // Whether every search of `other` lies in this scope (a route-wide scope covers its route).
  bool Covers(const CacheScope& other) const;

  // Stable text identity: equal scopes, and only those, have equal keys; Parse(Key()) gives the
  // scope back. "RUH-JED" or "RUH-JED.2026-12-03.economy". Stored in idempotency records.
  std::string Key() const;
  // "RUH-JED": the Redis hash tag (fs:{<RouteKey()>}:...), so a Redis Cluster keeps a route's
  // keys, route-wide and narrow, in one slot.
  std::string RouteKey() const { return origin + "-" + destination; }
  // "2026-12-03.economy"; empty when route-wide. Only [0-9a-z.-].
  std::string PartKey() const;
  std::string ToString() const { return Key(); }

  auto operator<=>(const CacheScope&) const = default;
};

}  // namespace rihla::domain
