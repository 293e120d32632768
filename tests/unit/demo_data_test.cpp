#include "storage/demo_data.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <vector>

namespace rihla::storage {
namespace {

constexpr std::int64_t kDayMs = 24LL * 60 * 60 * 1000;
constexpr std::int64_t kStart = 1767225600000;  // 2026-01-01T00:00:00Z (a Thursday)
constexpr int kDays = 7;

std::set<std::string> AirportCodes() {
  std::set<std::string> codes;
  for (const DemoAirport& a : DemoAirports()) codes.emplace(a.code);
  return codes;
}

auto Key(const DemoFlight& f) {
  return std::tie(f.id, f.flight_number, f.origin, f.destination, f.departure_ms, f.arrival_ms, f.cabin,
                  f.price_minor, f.currency, f.seats_total);
}

bool IsRuhJed(const DemoFlight& f) { return f.origin == "RUH" && f.destination == "JED"; }

TEST(DemoAirportsTest, AtLeastFortyWithValidSortedUniqueCodes) {
  const auto airports = DemoAirports();
  ASSERT_GE(airports.size(), 40u);
  for (std::size_t i = 0; i < airports.size(); ++i) {
    const DemoAirport& a = airports[i];
    ASSERT_EQ(a.code.size(), 3u) << a.code;
    for (char c : a.code) EXPECT_TRUE(c >= 'A' && c <= 'Z') << a.code;
    ASSERT_EQ(a.country.size(), 2u) << a.code;
    for (char c : a.country) EXPECT_TRUE(c >= 'A' && c <= 'Z') << a.code;
    EXPECT_FALSE(a.name.empty()) << a.code;
    EXPECT_FALSE(a.city.empty()) << a.code;
    if (i > 0) {
      EXPECT_LT(airports[i - 1].code, a.code) << "not sorted or duplicate at " << a.code;
    }
  }
  EXPECT_EQ(AirportCodes().size(), airports.size());
}

TEST(DemoAirportsTest, ContainsMainSaudiGulfAndInternationalAirports) {
  const auto codes = AirportCodes();
  for (const char* code : {"RUH", "JED", "DMM", "MED", "AHB", "TIF", "TUU", "GIZ", "ELQ", "AJF", "HOF", "YNB",
                           "DXB", "AUH", "DOH", "KWI", "BAH", "MCT", "SHJ", "CAI", "AMM", "IST", "LHR", "CDG",
                           "FRA", "AMS", "JFK", "SIN", "KUL", "BOM", "DEL", "KHI", "ISB", "CMB", "NBO", "ADD"}) {
    EXPECT_TRUE(codes.contains(code)) << code;
  }
}

TEST(DemoScheduleTest, EmptyForNonPositiveDays) {
  EXPECT_TRUE(DemoSchedule(kStart, 0).empty());
  EXPECT_TRUE(DemoSchedule(kStart, -3).empty());
}

TEST(DemoScheduleTest, FlightsAreWellFormed) {
  const auto codes = AirportCodes();
  const auto flights = DemoSchedule(kStart, kDays);
  ASSERT_FALSE(flights.empty());
  for (const DemoFlight& f : flights) {
    EXPECT_TRUE(codes.contains(f.origin)) << f.flight_number << " " << f.origin;
    EXPECT_TRUE(codes.contains(f.destination)) << f.flight_number << " " << f.destination;
    EXPECT_NE(f.origin, f.destination) << f.flight_number;
    EXPECT_GT(f.arrival_ms, f.departure_ms) << f.flight_number;
    EXPECT_LE(f.arrival_ms - f.departure_ms, 16 * 60 * 60 * 1000LL) << f.flight_number;
    EXPECT_GE(f.departure_ms, kStart) << f.flight_number;
    EXPECT_LT(f.departure_ms, kStart + kDays * kDayMs) << f.flight_number;
    EXPECT_GT(f.price_minor, 0) << f.flight_number;
    EXPECT_EQ(f.currency, "SAR");
    EXPECT_TRUE(f.cabin == "economy" || f.cabin == "business" || f.cabin == "first") << f.cabin;
    if (f.cabin == "economy") {
      EXPECT_TRUE(f.seats_total >= 150 && f.seats_total <= 180) << f.seats_total;
    } else if (f.cabin == "business") {
      EXPECT_TRUE(f.seats_total >= 20 && f.seats_total <= 30) << f.seats_total;
    } else {
      EXPECT_EQ(f.seats_total, 8);
    }
    // Airline designator (2 alphanumerics) followed by 1-4 digits.
    ASSERT_GE(f.flight_number.size(), 3u);
    ASSERT_LE(f.flight_number.size(), 6u);
    EXPECT_TRUE(std::isupper(static_cast<unsigned char>(f.flight_number[0]))) << f.flight_number;
    EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(f.flight_number[1]))) << f.flight_number;
    EXPECT_TRUE(std::all_of(f.flight_number.begin() + 2, f.flight_number.end(),
                            [](unsigned char c) { return std::isdigit(c); }))
        << f.flight_number;
  }
}

TEST(DemoScheduleTest, OrderedByDepartureFlightNumberCabin) {
  const auto flights = DemoSchedule(kStart, kDays);
  EXPECT_TRUE(std::is_sorted(flights.begin(), flights.end(), [](const DemoFlight& a, const DemoFlight& b) {
    return std::tie(a.departure_ms, a.flight_number, a.cabin) < std::tie(b.departure_ms, b.flight_number, b.cabin);
  }));
}

TEST(DemoScheduleTest, Deterministic) {
  const auto a = DemoSchedule(kStart, kDays);
  const auto b = DemoSchedule(kStart, kDays);
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) EXPECT_TRUE(Key(a[i]) == Key(b[i])) << i;
}

TEST(DemoScheduleTest, WindowsAgreeOnOverlappingDays) {
  // The second day of a two-day schedule is exactly the one-day schedule that starts a day later.
  const auto two = DemoSchedule(kStart, 2);
  const auto next = DemoSchedule(kStart + kDayMs, 1);
  std::vector<DemoFlight> second_day;
  for (const DemoFlight& f : two)
    if (f.departure_ms >= kStart + kDayMs) second_day.push_back(f);
  ASSERT_EQ(second_day.size(), next.size());
  ASSERT_EQ(two.size(), 2 * next.size());
  for (std::size_t i = 0; i < next.size(); ++i) EXPECT_TRUE(Key(second_day[i]) == Key(next[i])) << i;
}

TEST(DemoScheduleTest, RuhJedIsBusyAndHasAllCabinsEveryDay) {
  const auto flights = DemoSchedule(kStart, kDays);
  for (int day = 0; day < kDays; ++day) {
    const std::int64_t begin = kStart + day * kDayMs;
    std::set<std::int64_t> departures;
    std::set<std::string> cabins;
    for (const DemoFlight& f : flights) {
      if (!IsRuhJed(f) || f.departure_ms < begin || f.departure_ms >= begin + kDayMs) continue;
      departures.insert(f.departure_ms);
      cabins.insert(f.cabin);
      EXPECT_GE(f.arrival_ms - f.departure_ms, 90 * 60 * 1000LL);
      EXPECT_LE(f.arrival_ms - f.departure_ms, 130 * 60 * 1000LL);
    }
    EXPECT_GE(departures.size(), 6u) << "day " << day;
    EXPECT_EQ(cabins, (std::set<std::string>{"business", "economy", "first"})) << "day " << day;
  }
}

TEST(DemoScheduleTest, MainRoutesFlyDailyInBothDirections) {
  const auto flights = DemoSchedule(kStart, 1);
  std::set<std::pair<std::string, std::string>> routes;
  for (const DemoFlight& f : flights) routes.emplace(f.origin, f.destination);
  const std::vector<std::pair<std::string, std::string>> required = {
      {"RUH", "JED"}, {"RUH", "DMM"}, {"JED", "DMM"}, {"RUH", "MED"}, {"JED", "MED"}, {"RUH", "DXB"},
      {"RUH", "DOH"}, {"RUH", "BAH"}, {"RUH", "KWI"}, {"RUH", "AUH"}, {"RUH", "MCT"}, {"RUH", "CAI"},
      {"RUH", "AMM"}, {"RUH", "IST"}, {"JED", "DXB"}, {"JED", "CAI"}, {"DMM", "DXB"}, {"RUH", "LHR"},
      {"RUH", "CDG"}, {"RUH", "FRA"}, {"RUH", "KUL"}, {"RUH", "JFK"}, {"RUH", "SIN"}, {"JED", "LHR"}};
  for (const auto& [a, b] : required) {
    EXPECT_TRUE(routes.contains({a, b})) << a << "-" << b;
    EXPECT_TRUE(routes.contains({b, a})) << b << "-" << a;
  }
  // Every route that is flown is flown in both directions.
  for (const auto& [a, b] : routes) EXPECT_TRUE(routes.contains({b, a})) << a << "-" << b;
}

TEST(DemoScheduleTest, IdsUniqueAndWellFormed) {
  const auto flights = DemoSchedule(kStart, kDays);
  std::set<std::string> ids;
  for (const DemoFlight& f : flights) {
    ASSERT_EQ(f.id.size(), 19u) << f.id;
    EXPECT_EQ(f.id.rfind("fl_", 0), 0u) << f.id;
    EXPECT_TRUE(std::all_of(f.id.begin() + 3, f.id.end(),
                            [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }))
        << f.id;
    EXPECT_TRUE(ids.insert(f.id).second) << "duplicate id " << f.id;
  }
}

TEST(DemoScheduleTest, FlightNumberIdentifiesOneDeparturePerDay) {
  const auto flights = DemoSchedule(kStart, kDays);
  // (day, flight_number) -> (origin, destination, departure_ms)
  std::map<std::pair<std::int64_t, std::string>, std::tuple<std::string, std::string, std::int64_t>> seen;
  for (const DemoFlight& f : flights) {
    const auto key = std::make_pair((f.departure_ms - kStart) / kDayMs, f.flight_number);
    const auto value = std::make_tuple(f.origin, f.destination, f.departure_ms);
    const auto [it, inserted] = seen.emplace(key, value);
    if (!inserted) {
      EXPECT_EQ(it->second, value) << f.flight_number << " reused on day " << key.first;
    }
  }
}

TEST(DemoScheduleTest, CabinPricesAreOrdered) {
  const auto flights = DemoSchedule(kStart, kDays);
  // (flight_number, departure_ms) -> cabin -> price
  std::map<std::pair<std::string, std::int64_t>, std::map<std::string, std::int64_t>> prices;
  for (const DemoFlight& f : flights) prices[{f.flight_number, f.departure_ms}][f.cabin] = f.price_minor;
  int compared = 0;
  for (const auto& [departure, by_cabin] : prices) {
    ASSERT_TRUE(by_cabin.contains("economy")) << departure.first;
    if (by_cabin.contains("business")) {
      EXPECT_GT(by_cabin.at("business"), by_cabin.at("economy")) << departure.first;
      ++compared;
    }
    if (by_cabin.contains("first")) {
      ASSERT_TRUE(by_cabin.contains("business")) << departure.first;
      EXPECT_GT(by_cabin.at("first"), by_cabin.at("business")) << departure.first;
    }
  }
  EXPECT_GT(compared, 0);
}

TEST(DemoScheduleTest, PricesVaryByDay) {
  const auto flights = DemoSchedule(kStart, kDays);
  std::set<std::int64_t> ruh_jed_economy;
  for (const DemoFlight& f : flights)
    if (IsRuhJed(f) && f.cabin == "economy" && f.flight_number == "SV1020") ruh_jed_economy.insert(f.price_minor);
  EXPECT_GT(ruh_jed_economy.size(), 1u);
}

TEST(DemoScheduleTest, SixtyDaysStayUnderRowBudget) {
  const auto flights = DemoSchedule(kStart, 60);
  EXPECT_LT(flights.size(), 40'000u);
  EXPECT_EQ(flights.size(), 60 * DemoSchedule(kStart, 1).size());
}

}  // namespace
}  // namespace rihla::storage
