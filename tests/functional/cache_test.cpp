// The search cache keeps the freshness promise: once a write that changes a route has
// answered, no search started afterwards shows data from before it. Also: stampedes cost one
// database query.
#include <gtest/gtest.h>

#include <barrier>
#include <cstdlib>
#include <random>
#include <set>
#include <thread>

#include "support/api.hpp"

namespace rihla::test {
namespace {

// Search, book, search: 200 rounds; every search after a booking answered shows its seat gone.
TEST(CacheFreshness, SearchAfterEveryBookingShowsTheNewSeats) {
  constexpr int kRounds = 200;
  ServerProcess server;
  HttpClient client(server.port());
  auto user = SignUp(client);
  auto flight = Str(CreateFlight(client, "RUH", "KWI", kRounds, "100.00", 9).at("id"));
  std::string query = "/v1/flights/search?from=RUH&to=KWI&date=" + FutureDate(9);
  int stale = 0;
  for (int i = 0; i < kRounds; ++i) {
    long long before = SeatsInSearch(client, query, flight);
    EXPECT_EQ(client.Get(query).Header("x-cache"), "HIT");
    ASSERT_EQ(Book(client, user, flight, "fresh-" + std::to_string(i)).status, 201);
    long long after = SeatsInSearch(client, query, flight);
    if (after != before - 1 && !(after == -1 && before == 1)) ++stale;
  }
  EXPECT_EQ(stale, 0);
  EXPECT_EQ(SeatsInSearch(client, query, flight), -1);  // sold out: no longer listed
}

// A write refreshes only the searches it can change: its route, departure date and cabin. A
// booking (and an admin price change) on date D makes D's search fresh at once, while D+1's and
// other cabins' cached searches stay hits.
void WriteRefreshesOnlyItsDateAndCabin(const std::string& redis_url) {
  ServerConfig config;
  if (!redis_url.empty()) config.env["RIHLA_REDIS_URL"] = redis_url;
  ServerProcess server(config);
  HttpClient client(server.port());
  auto user = SignUp(client);
  // A day no earlier run used: a shared Redis may still hold that run's entries for these keys.
  const int d = 20 + static_cast<int>(std::random_device{}() % 300);
  auto on_d = Str(CreateFlight(client, "RUH", "KWI", 50, "100.00", d).at("id"));
  auto next_day = Str(CreateFlight(client, "RUH", "KWI", 50, "100.00", d + 1).at("id"));
  auto business = Str(CreateFlight(client, "RUH", "KWI", 50, "900.00", d, "business").at("id"));
  const std::string base = "/v1/flights/search?from=RUH&to=KWI&date=";
  const std::string q_d = base + FutureDate(d), q_d_pair = q_d + "&passengers=2";
  const std::string q_next = base + FutureDate(d + 1), q_business = q_d + "&cabin=business";
  auto warm = [&] {
    for (const auto& q : {q_d, q_d_pair, q_next, q_business}) {
      client.Get(q);
      ASSERT_EQ(client.Get(q).Header("x-cache"), "HIT") << q;
    }
  };
  warm();
  ASSERT_EQ(Book(client, user, on_d, "narrow-1", 2).status, 201);
  // D economy, every party size: fresh at once.
  EXPECT_EQ(client.Get(q_d).Header("x-cache"), "MISS");
  EXPECT_EQ(SeatsInSearch(client, q_d, on_d), 48);
  EXPECT_EQ(client.Get(q_d_pair).Header("x-cache"), "MISS");
  // D+1 and D business: untouched, still hits.
  EXPECT_EQ(client.Get(q_next).Header("x-cache"), "HIT");
  EXPECT_EQ(SeatsInSearch(client, q_next, next_day), 50);
  EXPECT_EQ(client.Get(q_business).Header("x-cache"), "HIT");

  warm();
  auto patch = client.Request("PATCH", "/v1/admin/flights/" + business, R"({"price":{"amount":"950.00","currency":"SAR"}})",
                              {{"Authorization", std::string("Bearer ") + ServerProcess::kAdminToken},
                               {"Content-Type", "application/json"}});
  ASSERT_EQ(patch.status, 200) << patch.body;
  EXPECT_EQ(client.Get(q_business).Header("x-cache"), "MISS");
  EXPECT_NE(client.Get(q_business).body.find("950.00"), std::string::npos);
  EXPECT_EQ(client.Get(q_d).Header("x-cache"), "HIT");
  EXPECT_EQ(client.Get(q_next).Header("x-cache"), "HIT");

  // Cancelling releases the seats on D: D fresh, D+1 untouched.
  warm();
  auto booking = Book(client, user, on_d, "narrow-2");
  ASSERT_EQ(booking.status, 201);
  EXPECT_EQ(SeatsInSearch(client, q_d, on_d), 47);
  warm();
  auto cancel_headers = user.Auth();
  cancel_headers.emplace_back("Idempotency-Key", "narrow-cancel");
  auto cancel = client.Request("POST", "/v1/bookings/" + Str(booking.Json().at("id")) + "/cancel", "", cancel_headers);
  ASSERT_EQ(cancel.status, 200) << cancel.body;
  EXPECT_EQ(client.Get(q_d).Header("x-cache"), "MISS");
  EXPECT_EQ(SeatsInSearch(client, q_d, on_d), 48);
  EXPECT_EQ(client.Get(q_next).Header("x-cache"), "HIT");
  EXPECT_EQ(client.Get(q_business).Header("x-cache"), "HIT");
}

TEST(CacheFreshness, WriteRefreshesOnlyItsDateAndCabin) { WriteRefreshesOnlyItsDateAndCabin(""); }

TEST(CacheFreshness, WriteRefreshesOnlyItsDateAndCabinInRedis) {
  const char* url = std::getenv("RIHLA_TEST_REDIS_URL");
  if (url == nullptr) GTEST_SKIP() << "RIHLA_TEST_REDIS_URL not set";
  WriteRefreshesOnlyItsDateAndCabin(url);
}

// A fill that read the database before a write and stores after the write's invalidation must
// not become visible. The server holds every fill 800 ms after its database read
// (RIHLA_FAULT=pause_fill); the write lands inside that window at a random moment.
void FillRacingAnInvalidationIsNeverServed(const std::string& redis_url) {
  ServerConfig config{.env = {{"RIHLA_FAULT", "pause_fill"}}};
  if (!redis_url.empty()) config.env["RIHLA_REDIS_URL"] = redis_url;
  ServerProcess server(config);
  HttpClient client(server.port());
  auto user = SignUp(client);
  auto flight = Str(CreateFlight(client, "JED", "KWI", 50, "100.00", 9).at("id"));
  std::string query = "/v1/flights/search?from=JED&to=KWI&date=" + FutureDate(9);
  std::mt19937 rng(12345);
  for (int round = 0; round < 5; ++round) {
    long long seats_before = SeatsInSearch(client, query, flight);  // fills once (paused), then cached
    HttpClient reader(server.port());
    std::thread racing_fill;
    // Invalidate first so the next search has to fill, then start that fill.
    ASSERT_EQ(Book(client, user, flight, "race-pre-" + std::to_string(round)).status, 201);
    seats_before -= 1;
    std::size_t paused_before = 0;
    for (const auto& l : server.LogLines()) paused_before += l.at("msg") == "search fill paused after database read";
    racing_fill = std::thread([&] { reader.Get(query); });
    struct Join {
      std::thread& t;
      ~Join() {
        if (t.joinable()) t.join();
      }
    } join{racing_fill};
    // Wait (poll with deadline) until the fill has read the database and is paused.
    ASSERT_TRUE(Eventually(
        [&] {
          std::size_t paused = 0;
          for (const auto& l : server.LogLines()) paused += l.at("msg") == "search fill paused after database read";
          return paused >= paused_before + 1;
        },
        5000));
    std::this_thread::sleep_for(std::chrono::milliseconds(rng() % 600));  // random point in the window
    ASSERT_EQ(Book(client, user, flight, "race-" + std::to_string(round)).status, 201);
    // The write has answered: from now on no search may show seats_before.
    long long seen = SeatsInSearch(client, query, flight);
    racing_fill.join();
    long long later = SeatsInSearch(client, query, flight);
    EXPECT_EQ(seen, seats_before - 1) << "round " << round;
    EXPECT_EQ(later, seats_before - 1) << "round " << round << ": the racing fill became visible";
  }
}

TEST(CacheFreshness, FillRacingAnInvalidationIsNeverServed) { FillRacingAnInvalidationIsNeverServed(""); }

TEST(CacheFreshness, FillRacingAnInvalidationIsNeverServedFromRedis) {
  const char* url = std::getenv("RIHLA_TEST_REDIS_URL");
  if (url == nullptr) GTEST_SKIP() << "RIHLA_TEST_REDIS_URL not set";
  FillRacingAnInvalidationIsNeverServed(url);
}

// 500 concurrent cold requests for one key: one database query, identical bodies.
TEST(CacheStampede, ConcurrentColdSearchesRunOneQuery) {
  constexpr int kClients = 500;
  ServerProcess server(ServerConfig{.seed_days = 2});
  HttpClient control(server.port());
  std::string query = "/v1/flights/search?from=RUH&to=JED&date=" + FutureDate(1) + "&cabin=business";
  long long queries_before = MetricValue(control, "rihla_search_db_queries_total");
  auto answers = Race(
      kClients, [&](int) { return server.port(); }, [&](int, HttpClient& c) { return c.Get(query); });
  std::set<std::string> bodies;
  for (const auto& a : answers) {
    EXPECT_EQ(a.status, 200) << a.body;
    bodies.insert(a.body);
  }
  EXPECT_EQ(bodies.size(), 1u);
  EXPECT_EQ(MetricValue(control, "rihla_search_db_queries_total") - queries_before, 1);
}

}  // namespace
}  // namespace rihla::test
