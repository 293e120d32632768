#include "domain/cache_scope.hpp"

#include <gtest/gtest.h>

namespace rihla::domain {
namespace {

TEST(CacheScope, AFlightAndTheSearchesThatFindItShareOneScope) {
  Flight flight;
  flight.origin = "RUH";
  flight.destination = "JED";
  flight.cabin = "business";
  SearchQuery query = ParseSearchQuery("from=ruh&to=jed&date=2026-12-01&cabin=business&passengers=2");
  EXPECT_EQ(CacheScope::ForFlight(flight), CacheScope::ForQuery(query));
  EXPECT_EQ(CacheScope::ForFlight(flight).Key(), CacheScope::ForQuery(query).Key());
}

TEST(CacheScope, KeyIsTheRouteAsTheRedisLayoutExpects) {
  CacheScope scope{"RUH", "JED"};
  EXPECT_EQ(scope.Key(), "RUH-JED");  // fs:{RUH-JED}:... in Redis: must not change silently
  EXPECT_EQ(scope.ToString(), "RUH-JED");
}

TEST(CacheScope, DifferentRoutesAreDifferentScopes) {
  EXPECT_NE(CacheScope({"RUH", "JED"}), CacheScope({"JED", "RUH"}));
  EXPECT_NE(CacheScope({"RUH", "JED"}).Key(), CacheScope({"JED", "RUH"}).Key());
}

TEST(CacheScope, ParsesAnOperatorsRouteInAnyCase) {
  EXPECT_EQ(CacheScope::ParseRoute("ruh-Dmm"), CacheScope({"RUH", "DMM"}));
  for (const char* bad : {"", "RUH", "RUH-", "-JED", "RUHJED", "RUH-JEDD", "RU1-JED", "RUH-JED-DMM"}) {
    EXPECT_FALSE(CacheScope::ParseRoute(bad).has_value()) << bad;
  }
}

}  // namespace
}  // namespace rihla::domain
