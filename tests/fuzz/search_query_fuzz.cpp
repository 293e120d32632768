// Search query strings: the raw query of GET /v1/flights/search -> domain::ParseSearchQuery.
// Invariants: only ApiError(kInvalidRequest) with field errors escapes; an accepted query has
// two different upper-case IATA codes, a real date whose midnight is day_start_ms, 1..9
// passengers and a known cabin; the explicit rendering of the query parses to the same
// canonical form (the cache key), also with keys in another order and lower-case codes.
#include <cstddef>
#include <cstdint>
#include <string>

#include "domain/cache_scope.hpp"
#include "domain/search.hpp"
#include "domain/time.hpp"
#include "fuzz_check.hpp"

namespace {

bool UpperIata(const std::string& s) {
  if (s.size() != 3) return false;
  for (char c : s) {
    if (c < 'A' || c > 'Z') return false;
  }
  return true;
}

std::string Lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  return s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace rihla;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  try {
    domain::ParseQueryString(in);
  } catch (const ApiError& e) {
    fuzz::CheckInvalidRequest(e);
  }
  domain::SearchQuery q;
  try {
    q = domain::ParseSearchQuery(in);
  } catch (const ApiError& e) {
    fuzz::CheckInvalidRequest(e);
    return 0;
  }
  FUZZ_CHECK(UpperIata(q.from) && UpperIata(q.to) && q.from != q.to);
  auto day = domain::ParseDate(q.date);
  FUZZ_CHECK(day && *day == q.day_start_ms && q.day_start_ms % domain::kDayMs == 0);
  FUZZ_CHECK(q.passengers >= 1 && q.passengers <= 9);
  FUZZ_CHECK(domain::IsCabin(q.cabin));
  const domain::CacheScope scope = domain::CacheScope::ForQuery(q);
  FUZZ_CHECK(scope.RouteKey() == q.from + "-" + q.to && !scope.IsRouteWide() && scope.cabin == q.cabin);
  FUZZ_CHECK(domain::CacheScope::Parse(scope.Key()) == scope);
  std::string explicit_query = "from=" + q.from + "&to=" + q.to + "&date=" + q.date +
                               "&passengers=" + std::to_string(q.passengers) + "&cabin=" + q.cabin;
  FUZZ_CHECK(domain::ParseSearchQuery(explicit_query).Canonical() == q.Canonical());
  std::string shuffled = "cabin=" + q.cabin + "&date=" + q.date + "&to=" + Lower(q.to) +
                         "&passengers=" + std::to_string(q.passengers) + "&from=" + Lower(q.from);
  FUZZ_CHECK(domain::ParseSearchQuery(shuffled).Canonical() == q.Canonical());
  return 0;
}
