#pragma once
// The unit of search-cache invalidation: the part of the search space one write can change.
// A write invalidates the scope of the flight it changed; a search is cached under the scope of
// its query; both constructors must agree, so that every search a write can change lies in the
// write's scope.
//
// Today a scope is an airport pair. To narrow it (e.g. route + departure date + cabin), add the
// fields here and fill them in ForFlight / ForQuery / Key: no cache or service changes.
#include <compare>
#include <optional>
#include <string>
#include <string_view>

#include "domain/models.hpp"
#include "domain/search.hpp"

namespace rihla::domain {

struct CacheScope {
  std::string origin;       // upper-case IATA
  std::string destination;  // upper-case IATA

  // The scope a committed write to `flight` (seats, price, a new flight) changes.
  static CacheScope ForFlight(const Flight& flight);
  // The scope whose entries can answer `query`.
  static CacheScope ForQuery(const SearchQuery& query);
  // An operator's "FROM-TO" (any case, e.g. `rihla cache purge --route ruh-jed`); nullopt
  // unless both are IATA codes.
  static std::optional<CacheScope> ParseRoute(std::string_view text);

  // Stable text identity, e.g. "RUH-JED": equal scopes, and only those, have equal keys. It is
  // part of the shared Redis key layout (fs:{<Key()>}:...), so changing it orphans every shared
  // entry (harmless: they expire) and must keep to [A-Za-z0-9._-] to stay a readable hash tag.
  std::string Key() const;
  std::string ToString() const { return Key(); }

  auto operator<=>(const CacheScope&) const = default;
};

}  // namespace rihla::domain
