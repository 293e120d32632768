// Airports, search (validation, ordering, cache headers, freshness) and the admin flight API.
#include <gtest/gtest.h>

#include "support/api.hpp"
#include "support/shared_server.hpp"

namespace rihla::test {
namespace {

class FlightsTest : public SharedServerTest<FlightsTest> {
 public:
  static ServerConfig Config() { return ServerConfig{.seed_days = 3}; }

 protected:
  Headers admin_{{"Authorization", std::string("Bearer ") + ServerProcess::kAdminToken}};
};

TEST_F(FlightsTest, AirportsListsAtLeastFortyRealAirports) {
  auto r = client_.Get("/v1/airports");
  ASSERT_EQ(r.status, 200);
  auto airports = r.Json().at("airports").as_array();
  EXPECT_GE(airports.size(), 40u);
  bool ruh = false;
  for (const auto& a : airports) {
    if (a.at("code") == "RUH") {
      ruh = true;
      EXPECT_EQ(a.at("country").as_string(), "SA");
      EXPECT_FALSE(a.at("name").as_string().empty());
    }
  }
  EXPECT_TRUE(ruh);
}

TEST_F(FlightsTest, SearchReturnsSeededFlightsOrderedByDeparture) {
  auto r = client_.Get("/v1/flights/search?from=RUH&to=JED&date=" + FutureDate());
  ASSERT_EQ(r.status, 200) << r.body;
  auto body = r.Json().as_object();
  auto flights = body.at("flights").as_array();
  ASSERT_GE(flights.size(), 6u);
  EXPECT_EQ(body.at("count").as_int64(), static_cast<std::int64_t>(flights.size()));
  std::string previous;
  for (const auto& f : flights) {
    EXPECT_EQ(f.at("from"), "RUH");
    EXPECT_EQ(f.at("to"), "JED");
    EXPECT_EQ(f.at("cabin"), "economy");
    EXPECT_EQ(Str(f.at("departure_time")).substr(0, 10), FutureDate());
    EXPECT_EQ(f.at("price").at("currency"), "SAR");
    std::string dep(f.at("departure_time").as_string());
    EXPECT_LE(previous, dep);
    previous = dep;
  }
}

TEST_F(FlightsTest, EquivalentQueriesShareOneCacheEntry) {
  std::string date = FutureDate(2);
  auto first = client_.Get("/v1/flights/search?from=ruh&to=dmm&date=" + date);
  ASSERT_EQ(first.status, 200);
  EXPECT_EQ(first.Header("x-cache"), "MISS");
  auto second = client_.Get("/v1/flights/search?date=" + date + "&to=DMM&from=RUH&passengers=1&cabin=economy");
  EXPECT_EQ(second.Header("x-cache"), "HIT");
  EXPECT_EQ(first.body, second.body);
  auto other = client_.Get("/v1/flights/search?from=DMM&to=RUH&date=" + date);
  EXPECT_EQ(other.Header("x-cache"), "MISS");
}

TEST_F(FlightsTest, SearchValidatesEveryParameter) {
  std::string d = FutureDate();
  std::vector<std::pair<std::string, std::string>> cases = {
      {"from=RUH&to=RUH&date=" + d, "to"},          {"from=RU&to=JED&date=" + d, "from"},
      {"from=RUH&to=JED", "date"},                  {"from=RUH&to=JED&date=2026-02-30", "date"},
      {"from=RUH&to=JED&date=" + d + "&passengers=0", "passengers"},
      {"from=RUH&to=JED&date=" + d + "&passengers=10", "passengers"},
      {"from=RUH&to=JED&date=" + d + "&cabin=premium", "cabin"}};
  for (const auto& [query, field] : cases) {
    auto r = client_.Get("/v1/flights/search?" + query);
    ASSERT_EQ(r.status, 400) << query;
    EXPECT_EQ(r.Json().at("type"), "/problems/invalid-request");
    EXPECT_EQ(Str(r.Json().at("errors").as_array().at(0).at("field")), field) << query;
  }
}

// An airport pair GET /v1/airports does not list is a 400 naming the field, and it makes no
// cache state: neither a miss (which would store an entry and a generation) nor a query.
TEST_F(FlightsTest, UnknownAirportsAre400AndCreateNoCacheState) {
  std::string d = FutureDate();
  long long misses = MetricValue(client_, "rihla_search_db_queries_total");
  auto metrics_before = client_.Get("/metrics").body;
  for (const auto& [query, field] : std::vector<std::pair<std::string, std::string>>{
           {"from=ZZZ&to=JED&date=" + d, "from"}, {"from=RUH&to=QQX&date=" + d, "to"}}) {
    auto r = client_.Get("/v1/flights/search?" + query);
    ASSERT_EQ(r.status, 400) << query << ": " << r.body;
    EXPECT_EQ(r.Json().at("type"), "/problems/invalid-request");
    EXPECT_EQ(Str(r.Json().at("errors").as_array().at(0).at("field")), field) << query;
  }
  for (int i = 0; i < 50; ++i) {
    std::string junk = std::string(1, char('A' + i % 26)) + char('A' + i / 26) + "Z";
    EXPECT_EQ(client_.Get("/v1/flights/search?from=" + junk + "&to=JED&date=" + d).status, 400) << junk;
  }
  EXPECT_EQ(MetricValue(client_, "rihla_search_db_queries_total"), misses);
  auto count = [](const std::string& text, const std::string& series) {
    auto at = text.find(series + " ");
    return at == std::string::npos ? std::string("absent") : text.substr(at, text.find('\n', at) - at);
  };
  auto metrics_after = client_.Get("/metrics").body;
  EXPECT_EQ(count(metrics_after, "rihla_cache_requests_total{result=\"miss\"}"),
            count(metrics_before, "rihla_cache_requests_total{result=\"miss\"}"));
}

TEST_F(FlightsTest, SearchFiltersBySeatsForPassengers) {
  auto flight = CreateFlight(client_, "AMM", "CAI", 3, "250.00", 4);
  std::string q = "/v1/flights/search?from=AMM&to=CAI&date=" + FutureDate(4);
  auto three = client_.Get(q + "&passengers=3").Json().at("count").as_int64();
  auto four = client_.Get(q + "&passengers=4").Json().at("count").as_int64();
  EXPECT_EQ(three, 1);
  EXPECT_EQ(four, 0);
}

TEST_F(FlightsTest, GetFlightByIdAnd404) {
  auto flight = CreateFlight(client_, "RUH", "IST", 5, "999.50", 3, "business");
  std::string id(flight.at("id").as_string());
  auto r = client_.Get("/v1/flights/" + id);
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.Json().at("price").at("amount"), "999.50");
  EXPECT_EQ(r.Json().at("cabin"), "business");
  EXPECT_EQ(r.Json().at("seats_available").as_int64(), 5);
  EXPECT_EQ(client_.Get("/v1/flights/fl_doesnotexist").status, 404);
}

TEST_F(FlightsTest, AdminNeedsTheAdminToken) {
  auto none = client_.PostJson("/v1/admin/flights", "{}");
  EXPECT_EQ(none.status, 401);
  auto wrong = client_.PostJson("/v1/admin/flights", "{}", {{"Authorization", "Bearer nope"}});
  EXPECT_EQ(wrong.status, 401);
  EXPECT_EQ(wrong.Json().at("type"), "/problems/unauthorized");
}

TEST_F(FlightsTest, AdminCreateValidatesTheFlight) {
  auto r = client_.PostJson("/v1/admin/flights",
                            R"({"flight_number":"x","from":"RUH","to":"ZZZ","departure_time":"yesterday",
                                "arrival_time":"2026-12-01T08:00:00Z","cabin":"deluxe",
                                "price":{"amount":"-1","currency":"SAR"},"seats_total":0})",
                            admin_);
  ASSERT_EQ(r.status, 400);
  std::set<std::string> fields;
  auto errors = r.Json().at("errors").as_array();
  for (const auto& e : errors) fields.insert(std::string(e.at("field").as_string()));
  for (const char* f : {"flight_number", "departure_time", "cabin", "price", "seats_total"}) {
    EXPECT_TRUE(fields.contains(f)) << f;
  }
}

TEST_F(FlightsTest, AdminPatchChangesPriceAndSearchSeesItAtOnce) {
  auto flight = CreateFlight(client_, "JED", "CAI", 10, "300.00", 5);
  std::string id(flight.at("id").as_string());
  std::string q = "/v1/flights/search?from=JED&to=CAI&date=" + FutureDate(5);
  ASSERT_EQ(client_.Get(q).Json().at("flights").at(0).at("price").at("amount"), "300.00");
  ASSERT_EQ(client_.Get(q).Header("x-cache"), "HIT");
  auto patched = client_.Request("PATCH", "/v1/admin/flights/" + id, R"({"price":{"amount":"275.25","currency":"SAR"}})",
                                 {{"Authorization", std::string("Bearer ") + ServerProcess::kAdminToken},
                                  {"Content-Type", "application/json"}});
  ASSERT_EQ(patched.status, 200) << patched.body;
  EXPECT_EQ(patched.Json().at("price").at("amount"), "275.25");
  auto after = client_.Get(q);
  EXPECT_EQ(after.Header("x-cache"), "MISS");
  EXPECT_EQ(after.Json().at("flights").at(0).at("price").at("amount"), "275.25");
}

TEST_F(FlightsTest, AdminPatchSeatsBelowHeldIsInvalidState) {
  auto flight = CreateFlight(client_, "DXB", "RUH", 5, "100.00", 6);
  std::string id(flight.at("id").as_string());
  auto user = SignUp(client_);
  ASSERT_EQ(Book(client_, user, id, "held-3", 3).status, 201);
  Headers h{{"Authorization", std::string("Bearer ") + ServerProcess::kAdminToken}, {"Content-Type", "application/json"}};
  auto below = client_.Request("PATCH", "/v1/admin/flights/" + id, R"({"seats_total":2})", h);
  EXPECT_EQ(below.status, 409);
  EXPECT_EQ(below.Json().at("type"), "/problems/invalid-state");
  auto ok = client_.Request("PATCH", "/v1/admin/flights/" + id, R"({"seats_total":8})", h);
  ASSERT_EQ(ok.status, 200);
  EXPECT_EQ(ok.Json().at("seats_available").as_int64(), 5);  // 8 total - 3 held
  auto missing = client_.Request("PATCH", "/v1/admin/flights/fl_missing", R"({"seats_total":8})", h);
  EXPECT_EQ(missing.status, 404);
}

}  // namespace
}  // namespace rihla::test
