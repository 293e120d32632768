#include "domain/search.hpp"

#include <boost/url/parse_query.hpp>

#include "domain/errors.hpp"
#include "domain/parse_int.hpp"
#include "domain/time.hpp"

namespace rihla::domain {

std::string ToUpper(std::string_view s) {
  std::string out(s);
  for (auto& c : out) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return out;
}

bool IsIataCode(std::string_view code) {
  if (code.size() != 3) return false;
  for (char c : code) {
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'))) return false;
  }
  return true;
}

bool IsCabin(std::string_view cabin) { return cabin == "economy" || cabin == "business" || cabin == "first"; }

std::string SearchQuery::Canonical() const {
  return from + "|" + to + "|" + date + "|" + std::to_string(passengers) + "|" + cabin;
}

std::vector<std::pair<std::string, std::string>> ParseQueryString(std::string_view raw) {
  // Boost.URL 1.81 parse_query() takes the extent of the query from strlen(raw.data()), not
  // raw.size(): an over-read unless the text is NUL-terminated (found by
  // tests/fuzz/search_query_fuzz). A valid query has no literal NUL, so a copy is exact.
  const std::string text(raw);
  auto params = boost::urls::parse_query(text);
  if (!params) throw ApiError(ErrorCode::kInvalidRequest, "the query string is not valid");
  boost::urls::encoding_opts opts;
  opts.space_as_plus = true;
  std::vector<std::pair<std::string, std::string>> out;
  for (auto p : *params) {
    out.emplace_back(p.key.decode(opts), p.has_value ? p.value.decode(opts) : std::string());
  }
  return out;
}

SearchQuery ParseSearchQuery(std::string_view raw_query) {
  std::vector<FieldError> errors;
  std::optional<std::string> from, to, date, passengers, cabin;
  for (auto& [key, value] : ParseQueryString(raw_query)) {
    std::optional<std::string>* slot = key == "from"         ? &from
                                       : key == "to"         ? &to
                                       : key == "date"       ? &date
                                       : key == "passengers" ? &passengers
                                       : key == "cabin"      ? &cabin
                                                             : nullptr;
    if (slot == nullptr) {
      continue;  // unknown parameters are ignored (and not part of the cache key)
    } else if (slot->has_value()) {
      errors.push_back({key, "given more than once"});
    } else {
      *slot = std::move(value);
    }
  }
  SearchQuery q;
  if (!from) errors.push_back({"from", "required"});
  else if (!IsIataCode(*from)) errors.push_back({"from", "must be a 3-letter IATA airport code"});
  else q.from = ToUpper(*from);
  if (!to) errors.push_back({"to", "required"});
  else if (!IsIataCode(*to)) errors.push_back({"to", "must be a 3-letter IATA airport code"});
  else q.to = ToUpper(*to);
  if (!q.from.empty() && q.from == q.to) errors.push_back({"to", "must differ from 'from'"});
  if (!date) {
    errors.push_back({"date", "required"});
  } else if (auto day = ParseDate(*date)) {
    q.date = *date;
    q.day_start_ms = *day;
  } else {
    errors.push_back({"date", "must be a valid date YYYY-MM-DD"});
  }
  if (passengers) {
    if (auto n = ParseInteger<int>(*passengers, 1, 9)) {
      q.passengers = *n;
    } else {
      errors.push_back({"passengers", "must be an integer from 1 to 9"});
    }
  }
  if (cabin) {
    if (IsCabin(*cabin)) q.cabin = *cabin;
    else errors.push_back({"cabin", "must be economy, business or first"});
  }
  if (!errors.empty()) throw ApiError(ErrorCode::kInvalidRequest, "invalid search parameters", std::move(errors));
  return q;
}

}  // namespace rihla::domain
