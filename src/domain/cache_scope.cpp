#include "domain/cache_scope.hpp"

namespace rihla::domain {

CacheScope CacheScope::ForFlight(const Flight& flight) { return CacheScope{flight.origin, flight.destination}; }

CacheScope CacheScope::ForQuery(const SearchQuery& query) { return CacheScope{query.from, query.to}; }

std::optional<CacheScope> CacheScope::ParseRoute(std::string_view text) {
  auto dash = text.find('-');
  if (dash == std::string_view::npos) return std::nullopt;
  std::string_view from = text.substr(0, dash), to = text.substr(dash + 1);
  if (!IsIataCode(from) || !IsIataCode(to)) return std::nullopt;
  return CacheScope{ToUpper(from), ToUpper(to)};
}

std::string CacheScope::Key() const { return origin + "-" + destination; }

}  // namespace rihla::domain
