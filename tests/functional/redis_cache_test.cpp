// The Redis search cache across instances: freshness when writing on one instance and reading
// on another, one database query for a stampede across instances, and Redis outages that never
// fail a search or a booking. Needs RIHLA_TEST_REDIS_URL (scripts/test.sh starts one).
#include <gtest/gtest.h>

#include <atomic>
#include <barrier>
#include <cstdlib>
#include <set>
#include <thread>

#include "support/api.hpp"

namespace rihla::test {
namespace {

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr ? v : "";
}

ServerConfig WithRedis(std::string database_url = "", int seed_days = 0) {
  return ServerConfig{.database_url = std::move(database_url),
                      .env = {{"RIHLA_REDIS_URL", Env("RIHLA_TEST_REDIS_URL")}},
                      .seed_days = seed_days};
}

class RedisCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (Env("RIHLA_TEST_REDIS_URL").empty()) GTEST_SKIP() << "RIHLA_TEST_REDIS_URL not set";
  }
};

TEST_F(RedisCacheTest, MissThenHitAndReadyzReportsTheCache) {
  ServerProcess server(WithRedis("", 2));
  HttpClient client(server.port());
  std::string q = "/v1/flights/search?from=RUH&to=JED&date=" + FutureDate();
  auto first = client.Get(q);
  EXPECT_EQ(first.Header("x-cache"), "MISS");
  auto second = client.Get(q + "&passengers=1");
  EXPECT_EQ(second.Header("x-cache"), "HIT");
  EXPECT_EQ(first.body, second.body);
  EXPECT_EQ(client.Get("/readyz").Json().at("checks").at("cache"), "ok");
}

// Write on one instance, read on the other: 200 rounds, zero stale reads.
TEST_F(RedisCacheTest, TwoInstancesNeverServeStaleSeats) {
  constexpr int kRounds = 200;
  ServerProcess a(WithRedis());
  ServerProcess b(WithRedis(a.database_url(), -1));
  HttpClient writer(a.port()), reader(b.port());
  auto user = SignUp(writer);
  auto flight = Str(CreateFlight(writer, "DMM", "DXB", kRounds + 1, "100.00", 10).at("id"));
  std::string q = "/v1/flights/search?from=DMM&to=DXB&date=" + FutureDate(10);
  int stale = 0;
  for (int i = 0; i < kRounds; ++i) {
    long long before = SeatsInSearch(reader, q, flight);
    ASSERT_EQ(reader.Get(q).Header("x-cache"), "HIT");
    ASSERT_EQ(Book(writer, user, flight, "two-" + std::to_string(i)).status, 201);
    if (SeatsInSearch(reader, q, flight) != before - 1) ++stale;
  }
  EXPECT_EQ(stale, 0);
}

// 500 concurrent cold searches split across two instances: one database query in total.
TEST_F(RedisCacheTest, StampedeAcrossInstancesRunsOneQuery) {
  constexpr int kClients = 500;
  ServerProcess a(WithRedis("", 2));
  ServerProcess b(WithRedis(a.database_url(), -1));
  HttpClient ca(a.port()), cb(b.port());
  std::string q = "/v1/flights/search?from=JED&to=RUH&date=" + FutureDate() + "&cabin=business";
  long long before = MetricValue(ca, "rihla_search_db_queries_total") + MetricValue(cb, "rihla_search_db_queries_total");
  auto answers = Race(
      kClients, [&](int i) { return i % 2 ? b.port() : a.port(); }, [&](int, HttpClient& c) { return c.Get(q); });
  std::set<std::string> bodies;
  for (const auto& r : answers) {
    EXPECT_EQ(r.status, 200);
    bodies.insert(r.body);
  }
  EXPECT_EQ(bodies.size(), 1u);
  long long after = MetricValue(ca, "rihla_search_db_queries_total") + MetricValue(cb, "rihla_search_db_queries_total");
  EXPECT_EQ(after - before, 1);
}

// Redis stopped in the middle of a load of searches and bookings: zero 5xx, /readyz degraded
// but ready; after Redis returns, hits resume and searches are fresh.
TEST_F(RedisCacheTest, RedisOutageNeverFailsSearchesOrBookings) {
  std::string stop = Env("RIHLA_TEST_REDIS_STOP_CMD"), start_cmd = Env("RIHLA_TEST_REDIS_START_CMD");
  if (stop.empty() || start_cmd.empty()) GTEST_SKIP() << "needs services.sh stop/start commands";
  ServerProcess server(WithRedis());
  HttpClient client(server.port());
  auto user = SignUp(client);
  auto flight = Str(CreateFlight(client, "RUH", "BAH", 500, "100.00", 11).at("id"));
  std::string q = "/v1/flights/search?from=RUH&to=BAH&date=" + FutureDate(11);
  std::atomic<bool> running{true};
  std::atomic<int> failures{0}, requests{0};
  std::vector<std::thread> load;
  for (int t = 0; t < 4; ++t) {
    load.emplace_back([&, t] {
      HttpClient c(server.port());
      for (int i = 0; running.load(); ++i) {
        auto r = (i % 5 == 0) ? Book(c, user, flight, "outage-" + std::to_string(t) + "-" + std::to_string(i))
                              : c.Get(q);
        ++requests;
        if (r.status >= 500) ++failures;
      }
    });
  }
  struct Stop {
    std::atomic<bool>& running;
    std::vector<std::thread>& load;
    void Join() {
      running = false;
      for (auto& t : load) {
        if (t.joinable()) t.join();
      }
    }
    ~Stop() { Join(); }
  } stop_load{running, load};
  ASSERT_TRUE(Eventually([&] { return requests.load() > 50; }, 10000));
  ASSERT_EQ(std::system(stop.c_str()), 0);
  int at_stop = requests.load();
  EXPECT_TRUE(Eventually([&] { return requests.load() > at_stop + 100; }, 15000)) << "load stalled without Redis";
  auto ready = client.Get("/readyz");
  EXPECT_EQ(ready.status, 200);
  EXPECT_EQ(ready.Json().at("checks").at("cache"), "degraded");
  ASSERT_EQ(std::system(start_cmd.c_str()), 0);
  EXPECT_TRUE(Eventually([&] { return client.Get("/readyz").Json().at("checks").at("cache") == "ok"; }, 15000));
  EXPECT_TRUE(Eventually([&] { return client.Get(q).Header("x-cache") == "HIT"; }, 5000));
  stop_load.Join();
  EXPECT_EQ(failures.load(), 0) << "of " << requests.load() << " requests";
  EXPECT_GT(MetricValue(client, "rihla_cache_redis_errors_total"), 0);
  // Fresh after recovery: the next booking is visible at once.
  long long before = SeatsInSearch(client, q, flight);
  ASSERT_EQ(Book(client, user, flight, "after-outage").status, 201);
  EXPECT_EQ(SeatsInSearch(client, q, flight), before - 1);
}

TEST_F(RedisCacheTest, PurgeCommandInvalidatesARoute) {
  ServerProcess server(WithRedis("", 2));
  HttpClient client(server.port());
  std::string q = "/v1/flights/search?from=RUH&to=DMM&date=" + FutureDate();
  client.Get(q);
  ASSERT_EQ(client.Get(q).Header("x-cache"), "HIT");
  ASSERT_EQ(server.RunCommand({"cache", "purge", "--route", "ruh-dmm"}), 0);
  EXPECT_EQ(client.Get(q).Header("x-cache"), "MISS");
  EXPECT_NE(server.RunCommand({"cache", "purge"}), 0);  // needs --route or --all
}

}  // namespace
}  // namespace rihla::test
