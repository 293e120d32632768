#include "domain/flight_rules.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <algorithm>
#include <string>
#include <vector>

#include "domain/errors.hpp"
#include "domain/json_input.hpp"
#include "domain/time.hpp"

namespace rihla::domain {
namespace {

boost::json::object ValidFlight() {
  return ParseJsonObject(R"({
    "flight_number": "SV1020", "from": "ruh", "to": "JED",
    "departure_time": "2026-12-01T08:00:00Z", "arrival_time": "2026-12-01T09:45:00Z",
    "cabin": "economy", "price": {"amount": "450.00", "currency": "SAR"}, "seats_total": 120})");
}

std::vector<std::string> FlightErrors(const boost::json::object& body) {
  try {
    ParseNewFlight(body);
  } catch (const ApiError& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidRequest);
    std::vector<std::string> out;
    for (const auto& f : e.fields()) out.push_back(f.field);
    return out;
  }
  ADD_FAILURE() << "flight accepted: " << boost::json::serialize(body);
  return {};
}

std::vector<std::string> PatchErrors(std::string_view body) {
  try {
    ParseFlightPatch(ParseJsonObject(body));
  } catch (const ApiError& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidRequest);
    std::vector<std::string> out;
    for (const auto& f : e.fields()) out.push_back(f.field);
    return out;
  }
  ADD_FAILURE() << "patch accepted: " << body;
  return {};
}

bool Has(const std::vector<std::string>& v, std::string_view s) { return std::find(v.begin(), v.end(), s) != v.end(); }

TEST(NewFlight, ParsesAValidFlight) {
  Flight f = ParseNewFlight(ValidFlight());
  EXPECT_TRUE(f.id.empty());
  EXPECT_EQ(f.flight_number, "SV1020");
  EXPECT_EQ(f.origin, "RUH");
  EXPECT_EQ(f.destination, "JED");
  EXPECT_EQ(f.departure_ms, *ParseRfc3339("2026-12-01T08:00:00Z"));
  EXPECT_EQ(f.arrival_ms, *ParseRfc3339("2026-12-01T09:45:00Z"));
  EXPECT_EQ(f.cabin, "economy");
  EXPECT_EQ(f.price, (Money{45000, "SAR"}));
  EXPECT_EQ(f.seats_total, 120);
  EXPECT_EQ(f.seats_available, 120);
}

TEST(NewFlight, TruncatesTimesToWholeSeconds) {
  auto body = ValidFlight();
  body["departure_time"] = "2026-12-01T08:00:00.750Z";
  Flight f = ParseNewFlight(body);
  EXPECT_EQ(f.departure_ms, *ParseRfc3339("2026-12-01T08:00:00Z"));
}

TEST(NewFlight, NeverReturnsAnArrivalThatIsNotAfterTheDeparture) {
  // Both times fall in the same second: arrival is 800 ms after departure before truncation.
  auto body = ValidFlight();
  body["departure_time"] = "2026-12-01T08:00:00.100Z";
  body["arrival_time"] = "2026-12-01T08:00:00.900Z";
  // Stored to the second, they are equal: the request must be rejected, not fail at the CHECK.
  EXPECT_TRUE(Has(FlightErrors(body), "arrival_time"));
}

TEST(NewFlight, ReportsEveryMissingField) {
  auto fields = FlightErrors(ParseJsonObject("{}"));
  for (const char* name :
       {"flight_number", "from", "to", "departure_time", "arrival_time", "cabin", "price", "seats_total"}) {
    EXPECT_TRUE(Has(fields, name)) << name;
  }
}

TEST(NewFlight, RejectsArrivalNotAfterDeparture) {
  auto body = ValidFlight();
  body["arrival_time"] = "2026-12-01T08:00:00Z";
  EXPECT_TRUE(Has(FlightErrors(body), "arrival_time"));
  body["arrival_time"] = "2026-12-01T07:00:00Z";
  EXPECT_TRUE(Has(FlightErrors(body), "arrival_time"));
}

TEST(NewFlight, ComparesTimesAcrossOffsets) {
  auto body = ValidFlight();
  // 10:00+03:00 is 07:00Z, before the 08:00Z departure.
  body["arrival_time"] = "2026-12-01T10:00:00+03:00";
  EXPECT_TRUE(Has(FlightErrors(body), "arrival_time"));
}

TEST(NewFlight, RejectsSameOriginAndDestinationInAnyCase) {
  auto body = ValidFlight();
  body["to"] = "RuH";
  EXPECT_TRUE(Has(FlightErrors(body), "to"));
}

TEST(NewFlight, RejectsInvalidFields) {
  struct Case {
    const char* field;
    boost::json::value value;
    const char* error_field;
  };
  std::vector<Case> cases = {
      {"flight_number", "sv1020", "flight_number"},
      {"flight_number", "SV", "flight_number"},
      {"flight_number", "SV-1020", "flight_number"},
      {"from", "RU1", "from"},
      {"to", 123, "to"},
      {"departure_time", "tomorrow", "departure_time"},
      {"cabin", "premium", "cabin"},
      {"price", boost::json::object{{"amount", "1.234"}, {"currency", "SAR"}}, "price"},
      {"price", boost::json::object{{"amount", "10.00"}, {"currency", "XXX"}}, "price"},
      {"price", boost::json::object{{"amount", 10}, {"currency", "SAR"}}, "price.amount"},
      {"price", boost::json::object{{"amount", "10.00"}}, "price.currency"},
      {"price", "450.00", "price"},
      {"seats_total", 0, "seats_total"},
      {"seats_total", 1001, "seats_total"},
      {"seats_total", "10", "seats_total"},
  };
  for (const auto& c : cases) {
    auto body = ValidFlight();
    body[c.field] = c.value;
    EXPECT_TRUE(Has(FlightErrors(body), c.error_field)) << c.field << "=" << boost::json::serialize(c.value);
  }
}

TEST(NewFlight, AcceptsSeatBoundsOneAndAThousand) {
  auto body = ValidFlight();
  body["seats_total"] = 1;
  EXPECT_EQ(ParseNewFlight(body).seats_total, 1);
  body["seats_total"] = 1000;
  EXPECT_EQ(ParseNewFlight(body).seats_total, 1000);
}

TEST(FlightPatch, ParsesPriceOnly) {
  FlightPatch p = ParseFlightPatch(ParseJsonObject(R"({"price": {"amount": "99.5", "currency": "USD"}})"));
  ASSERT_TRUE(p.price);
  EXPECT_EQ(*p.price, (Money{9950, "USD"}));
  EXPECT_FALSE(p.seats_total);
}

TEST(FlightPatch, ParsesSeatsOnlyIncludingZero) {
  FlightPatch p = ParseFlightPatch(ParseJsonObject(R"({"seats_total": 0})"));
  EXPECT_FALSE(p.price);
  EXPECT_EQ(p.seats_total, 0);
}

TEST(FlightPatch, RequiresAtLeastOneField) { EXPECT_FALSE(PatchErrors("{}").empty()); }

TEST(FlightPatch, RejectsFieldsThatCannotBeChanged) {
  EXPECT_TRUE(Has(PatchErrors(R"({"seats_total": 5, "cabin": "first"})"), "cabin"));
}

TEST(FlightPatch, RejectsInvalidValues) {
  EXPECT_TRUE(Has(PatchErrors(R"({"seats_total": -1})"), "seats_total"));
  EXPECT_TRUE(Has(PatchErrors(R"({"seats_total": 1001})"), "seats_total"));
  EXPECT_TRUE(Has(PatchErrors(R"({"price": {"amount": "-1", "currency": "SAR"}})"), "price"));
}

}  // namespace
}  // namespace rihla::domain
