// Several stateless instances on one database behave like one.
#include <gtest/gtest.h>

#include <barrier>
#include <cstdlib>
#include <map>
#include <set>
#include <thread>

#include "support/api.hpp"

namespace rihla::test {
namespace {

// 50 concurrent identical booking requests split across two instances (sharing the database
// and, when available, Redis): exactly one booking.
TEST(MultiInstance, IdenticalRequestsAcrossInstancesBookOnce) {
  constexpr int kClients = 50;
  std::map<std::string, std::string> env;
  if (const char* redis = std::getenv("RIHLA_TEST_REDIS_URL")) env["RIHLA_REDIS_URL"] = redis;
  ServerProcess a(ServerConfig{.env = env});
  ServerProcess b(ServerConfig{.database_url = a.database_url(), .env = env, .seed_days = -1});
  HttpClient setup(a.port());
  auto user = SignUp(setup);
  auto flight = Str(CreateFlight(setup, "JED", "RUH", 20, "100.00", 3).at("id"));
  for (int round = 0; round < 5; ++round) {
    std::string key = "two-instances-" + std::to_string(round);
    auto answers = Race(
        kClients, [&](int i) { return i % 2 ? b.port() : a.port(); },
        [&](int, HttpClient& c) { return Book(c, user, flight, key); });
    std::set<std::string> bodies;
    for (const auto& r : answers) {
      if (r.status == 201) bodies.insert(r.body);
      else EXPECT_EQ(r.status, 409) << r.body;
    }
    EXPECT_EQ(bodies.size(), 1u) << "round " << round;
  }
  EXPECT_EQ(SeatsAvailable(setup, flight), 15);
  auto list = setup.Get("/v1/bookings?limit=100", user.Auth()).Json().at("bookings").as_array();
  EXPECT_EQ(list.size(), 5u);
}

}  // namespace
}  // namespace rihla::test
