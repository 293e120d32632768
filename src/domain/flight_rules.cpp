#include "domain/flight_rules.hpp"

#include "domain/errors.hpp"
#include "domain/json_input.hpp"
#include "domain/money.hpp"
#include "domain/search.hpp"
#include "domain/time.hpp"

namespace rihla::domain {
namespace {

constexpr int kMaxSeats = 1000;

std::optional<Money> ReadMoney(FieldReader& r, std::string_view name, bool required) {
  const auto* obj = r.Object(name, required);
  if (obj == nullptr) return std::nullopt;
  FieldReader inner(*obj, r.Path(name) + ".");
  auto amount = inner.String("amount", true, 20);
  auto currency = inner.String("currency", true, 3);
  for (auto& e : inner.errors()) r.errors().push_back(std::move(e));
  if (!amount || !currency) return std::nullopt;
  auto money = ParseMoney(*amount, *currency);
  if (!money) r.Fail(name, "must be a decimal amount string with a supported ISO 4217 currency, e.g. {\"amount\": \"450.00\", \"currency\": \"SAR\"}");
  return money;
}

bool IsFlightNumber(std::string_view s) {
  if (s.size() < 3 || s.size() > 10) return false;
  for (char c : s) {
    if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))) return false;
  }
  return true;
}

std::int64_t StartOfSecond(std::int64_t ms) { return ms >= 0 ? ms / 1000 * 1000 : (ms - 999) / 1000 * 1000; }

}  // namespace

Flight ParseNewFlight(const boost::json::object& body) {
  FieldReader r(body);
  Flight f;
  auto number = r.String("flight_number", true, 10);
  if (number && !IsFlightNumber(*number)) r.Fail("flight_number", "must be 3-10 upper-case letters and digits");
  auto from = r.String("from", true, 3);
  auto to = r.String("to", true, 3);
  if (from && !IsIataCode(*from)) r.Fail("from", "must be a 3-letter IATA airport code");
  if (to && !IsIataCode(*to)) r.Fail("to", "must be a 3-letter IATA airport code");
  if (from && to && ToUpper(*from) == ToUpper(*to)) r.Fail("to", "must differ from 'from'");
  auto dep_text = r.String("departure_time", true, 40);
  auto arr_text = r.String("arrival_time", true, 40);
  std::optional<std::int64_t> dep, arr;
  if (dep_text && !(dep = ParseRfc3339(*dep_text))) r.Fail("departure_time", "must be an RFC 3339 time");
  if (arr_text && !(arr = ParseRfc3339(*arr_text))) r.Fail("arrival_time", "must be an RFC 3339 time");
  // Times are kept to the second (the wire format has no fractions): compare what is stored.
  if (dep) dep = StartOfSecond(*dep);
  if (arr) arr = StartOfSecond(*arr);
  if (dep && arr && *arr <= *dep) r.Fail("arrival_time", "must be after departure_time");
  auto cabin = r.String("cabin", true, 10);
  if (cabin && !IsCabin(*cabin)) r.Fail("cabin", "must be economy, business or first");
  auto price = ReadMoney(r, "price", true);
  auto seats = r.Integer("seats_total", true, 1, kMaxSeats);
  r.ThrowIfErrors("invalid flight");
  f.flight_number = *number;
  f.origin = ToUpper(*from);
  f.destination = ToUpper(*to);
  f.departure_ms = *dep;
  f.arrival_ms = *arr;
  f.cabin = *cabin;
  f.price = *price;
  f.seats_total = static_cast<int>(*seats);
  f.seats_available = f.seats_total;
  return f;
}

FlightPatch ParseFlightPatch(const boost::json::object& body) {
  FieldReader r(body);
  FlightPatch p;
  for (const auto& kv : body) {
    if (kv.key() != "price" && kv.key() != "seats_total") r.Fail(kv.key(), "cannot be changed");
  }
  p.price = ReadMoney(r, "price", false);
  if (auto seats = r.Integer("seats_total", false, 0, kMaxSeats)) p.seats_total = static_cast<int>(*seats);
  if (r.errors().empty() && !p.price && !p.seats_total) r.Fail("price", "give price and/or seats_total");
  r.ThrowIfErrors("invalid flight patch");
  return p;
}

}  // namespace rihla::domain
