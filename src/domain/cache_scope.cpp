#include "domain/cache_scope.hpp"

#include "domain/time.hpp"

namespace rihla::domain {

CacheScope CacheScope::ForFlight(const Flight& flight) {
  return CacheScope{flight.origin, flight.destination, StartOfUtcDay(flight.departure_ms), flight.cabin};
}

// Search reads departures in [day_start_ms, day_start_ms + kDayMs): the same UTC day ForFlight
// takes from a flight's departure.
CacheScope CacheScope::ForQuery(const SearchQuery& query) {
  return CacheScope{query.from, query.to, query.day_start_ms, query.cabin};
}

CacheScope CacheScope::Route(std::string origin, std::string destination) {
  return CacheScope{std::move(origin), std::move(destination)};
}

std::optional<CacheScope> CacheScope::ParseRoute(std::string_view text) {
  auto dash = text.find('-');
  if (dash == std::string_view::npos) return std::nullopt;
  std::string_view from = text.substr(0, dash), to = text.substr(dash + 1);
  if (!IsIataCode(from) || !IsIataCode(to)) return std::nullopt;
  return Route(ToUpper(from), ToUpper(to));
}

std::optional<CacheScope> CacheScope::Parse(std::string_view text) {
  auto dot = text.find('.');
  if (dot == std::string_view::npos) return ParseRoute(text);
  auto scope = ParseRoute(text.substr(0, dot));
  if (!scope || scope->RouteKey() != text.substr(0, dot)) return std::nullopt;  // Key() is upper-case
  std::string_view rest = text.substr(dot + 1);
  auto dot2 = rest.find('.');
  if (dot2 == std::string_view::npos) return std::nullopt;
  std::string_view date = rest.substr(0, dot2), cabin = rest.substr(dot2 + 1);
  auto day = ParseDate(date);
  if (!day || !IsCabin(cabin)) return std::nullopt;
  scope->day = *day;
  scope->cabin = std::string(cabin);
  if (scope->Key() != text) return std::nullopt;  // only the canonical spelling
  return scope;
}

bool CacheScope::Covers(const CacheScope& other) const {
  if (IsRouteWide()) return origin == other.origin && destination == other.destination;
  return *this == other;
}

std::string CacheScope::PartKey() const {
  if (IsRouteWide()) return {};
  return FormatRfc3339(*day).substr(0, 10) + "." + cabin;
}

std::string CacheScope::Key() const { return IsRouteWide() ? RouteKey() : RouteKey() + "." + PartKey(); }

}  // namespace rihla::domain
