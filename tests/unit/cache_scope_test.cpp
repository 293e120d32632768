#include "domain/cache_scope.hpp"

#include <gtest/gtest.h>

#include "domain/time.hpp"

namespace rihla::domain {
namespace {

Flight MakeFlight(std::string from, std::string to, std::string departure, std::string cabin) {
  Flight flight;
  flight.origin = std::move(from);
  flight.destination = std::move(to);
  flight.departure_ms = *ParseRfc3339(departure);
  flight.cabin = std::move(cabin);
  return flight;
}

TEST(CacheScope, AFlightAndTheSearchesThatFindItShareOneScope) {
  Flight flight = MakeFlight("RUH", "JED", "2026-12-01T08:00:00Z", "business");
  SearchQuery query = ParseSearchQuery("from=ruh&to=jed&date=2026-12-01&cabin=business&passengers=2");
  EXPECT_EQ(CacheScope::ForFlight(flight), CacheScope::ForQuery(query));
  EXPECT_EQ(CacheScope::ForFlight(flight).Key(), CacheScope::ForQuery(query).Key());
  // Every party size searches the same scope: a seat change can change any of their answers.
  EXPECT_EQ(CacheScope::ForQuery(ParseSearchQuery("from=RUH&to=JED&date=2026-12-01&cabin=business&passengers=9")),
            CacheScope::ForFlight(flight));
}

// Search reads departures in the UTC day [00:00, 24:00): so does the flight's scope.
TEST(CacheScope, TheDateIsTheUtcDayOfDeparture) {
  SearchQuery day = ParseSearchQuery("from=RUH&to=JED&date=2026-12-01");
  EXPECT_EQ(CacheScope::ForFlight(MakeFlight("RUH", "JED", "2026-12-01T00:00:00Z", "economy")), CacheScope::ForQuery(day));
  EXPECT_EQ(CacheScope::ForFlight(MakeFlight("RUH", "JED", "2026-12-01T23:59:59Z", "economy")), CacheScope::ForQuery(day));
  // 01:30 in Riyadh (+03:00) on the 2nd is still the 1st in UTC.
  EXPECT_EQ(CacheScope::ForFlight(MakeFlight("RUH", "JED", "2026-12-02T01:30:00+03:00", "economy")),
            CacheScope::ForQuery(day));
  EXPECT_NE(CacheScope::ForFlight(MakeFlight("RUH", "JED", "2026-12-02T00:00:00Z", "economy")), CacheScope::ForQuery(day));
}

TEST(CacheScope, OtherDatesCabinsAndRoutesAreOtherScopes) {
  const CacheScope base = CacheScope::ForFlight(MakeFlight("RUH", "JED", "2026-12-01T08:00:00Z", "economy"));
  for (const Flight& other : {MakeFlight("RUH", "JED", "2026-12-02T08:00:00Z", "economy"),
                              MakeFlight("RUH", "JED", "2026-11-30T08:00:00Z", "economy"),
                              MakeFlight("RUH", "JED", "2026-12-01T08:00:00Z", "business"),
                              MakeFlight("RUH", "JED", "2026-12-01T08:00:00Z", "first"),
                              MakeFlight("JED", "RUH", "2026-12-01T08:00:00Z", "economy"),
                              MakeFlight("RUH", "DMM", "2026-12-01T08:00:00Z", "economy")}) {
    const CacheScope scope = CacheScope::ForFlight(other);
    EXPECT_NE(scope, base) << scope.Key();
    EXPECT_NE(scope.Key(), base.Key());
    EXPECT_FALSE(base.Covers(scope)) << scope.Key();
  }
}

// The keys are stored in idempotency records and laid out in Redis: they must not change silently.
TEST(CacheScope, KeysAreStableAndReadable) {
  const CacheScope scope = CacheScope::ForFlight(MakeFlight("RUH", "JED", "2026-12-03T08:00:00Z", "economy"));
  EXPECT_EQ(scope.Key(), "RUH-JED.2026-12-03.economy");
  EXPECT_EQ(scope.RouteKey(), "RUH-JED");
  EXPECT_EQ(scope.PartKey(), "2026-12-03.economy");
  EXPECT_EQ(scope.ToString(), "RUH-JED.2026-12-03.economy");
  const CacheScope route = CacheScope::Route("RUH", "JED");
  EXPECT_EQ(route.Key(), "RUH-JED");
  EXPECT_EQ(route.PartKey(), "");
  EXPECT_EQ(scope.RouteScope(), route);
}

TEST(CacheScope, ParseIsTheInverseOfKey) {
  for (const CacheScope& scope :
       {CacheScope::Route("RUH", "JED"), CacheScope::ForFlight(MakeFlight("RUH", "JED", "2026-12-03T08:00:00Z", "first")),
        CacheScope::ForFlight(MakeFlight("DMM", "DXB", "2027-02-28T23:00:00Z", "business"))}) {
    EXPECT_EQ(CacheScope::Parse(scope.Key()), scope) << scope.Key();
  }
  // A record stored before scopes were narrowed holds the route: it parses as route-wide.
  ASSERT_TRUE(CacheScope::Parse("RUH-JED").has_value());
  EXPECT_TRUE(CacheScope::Parse("RUH-JED")->IsRouteWide());
  for (const char* bad : {"", "RUH-JED.", "RUH-JED.2026-12-03", "RUH-JED.2026-12-03.", "RUH-JED.2026-02-30.economy",
                          "RUH-JED.2026-12-03.premium", "ruh-jed.2026-12-03.economy", "RUH-JED.2026-12-3.economy",
                          "RUH-JED.2026-12-03.economy.x", "RUH-JED..economy"}) {
    EXPECT_FALSE(CacheScope::Parse(bad).has_value()) << bad;
  }
}

TEST(CacheScope, ARouteWideScopeCoversEveryScopeOfItsRoute) {
  const CacheScope route = CacheScope::Route("RUH", "JED");
  EXPECT_TRUE(route.IsRouteWide());
  EXPECT_TRUE(route.Covers(CacheScope::ForFlight(MakeFlight("RUH", "JED", "2026-12-03T08:00:00Z", "first"))));
  EXPECT_TRUE(route.Covers(route));
  EXPECT_FALSE(route.Covers(CacheScope::ForFlight(MakeFlight("JED", "RUH", "2026-12-03T08:00:00Z", "first"))));
  const CacheScope narrow = CacheScope::ForFlight(MakeFlight("RUH", "JED", "2026-12-03T08:00:00Z", "first"));
  EXPECT_FALSE(narrow.IsRouteWide());
  EXPECT_FALSE(narrow.Covers(route));
}

TEST(CacheScope, ParsesAnOperatorsRouteInAnyCase) {
  EXPECT_EQ(CacheScope::ParseRoute("ruh-Dmm"), CacheScope::Route("RUH", "DMM"));
  for (const char* bad : {"", "RUH", "RUH-", "-JED", "RUHJED", "RUH-JEDD", "RU1-JED", "RUH-JED-DMM"}) {
    EXPECT_FALSE(CacheScope::ParseRoute(bad).has_value()) << bad;
  }
}

}  // namespace
}  // namespace rihla::domain
