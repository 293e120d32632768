#pragma once
// Flight search rules: parameter validation and the canonical form that equivalent queries
// share (one cache entry for `ruh` and `RUH`, default and explicit passengers=1, any order).
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace rihla::domain {

struct SearchQuery {
  std::string from;  // upper-case IATA
  std::string to;
  std::string date;  // YYYY-MM-DD
  std::int64_t day_start_ms = 0;
  int passengers = 1;
  std::string cabin = "economy";

  // Canonical text of the query: equal for equivalent queries.
  std::string Canonical() const;
};

// Parses the raw (percent-encoded) query string of GET /v1/flights/search.
// Throws ApiError(kInvalidRequest) listing every invalid field.
SearchQuery ParseSearchQuery(std::string_view raw_query);

// Decodes a raw query string (percent-encoding, '+' as space) into ordered key/value pairs.
// Throws ApiError(kInvalidRequest) when it is not a valid query.
std::vector<std::pair<std::string, std::string>> ParseQueryString(std::string_view raw);

bool IsIataCode(std::string_view code);  // exactly 3 ASCII letters, any case
bool IsCabin(std::string_view cabin);
std::string ToUpper(std::string_view s);

}  // namespace rihla::domain
