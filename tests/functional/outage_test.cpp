// Database outage: with the database server stopped, requests that need it answer 503
// service-unavailable quickly (no hang, no crash), /readyz reports it, and the pool recovers by
// itself when the server is back. Needs a server database (skipped on SQLite). In the
// pgbouncer.* group it restarts PgBouncer instead, mid-run.
#include <gtest/gtest.h>

#include <cstdlib>

#include "support/api.hpp"

namespace rihla::test {
namespace {

std::string ServiceCommand(const char* which) {
  // Through PgBouncer (the pgbouncer.* group) the pooler is what restarts: rihla's pool must
  // recover from it by itself just the same.
  std::string prefix = Backend() != "postgres"      ? "RIHLA_TEST_MYSQL_"
                       : PostgresVia() == "pgbouncer" ? "RIHLA_TEST_PGBOUNCER_"
                                                      : "RIHLA_TEST_POSTGRES_";
  const char* cmd = std::getenv((prefix + which).c_str());
  return cmd != nullptr ? cmd : "";
}

TEST(DatabaseOutage, RequestsAnswer503AndThePoolRecovers) {
  if (Backend() == "sqlite") GTEST_SKIP() << "needs a database server to stop";
  std::string stop = ServiceCommand("STOP_CMD"), start = ServiceCommand("START_CMD");
  ASSERT_FALSE(stop.empty() || start.empty()) << "services.sh environment missing";
  ServerProcess server;
  HttpClient client(server.port());
  auto user = SignUp(client);
  auto flight = Str(CreateFlight(client, "RUH", "AUH", 10, "100.00", 2).at("id"));
  std::string cached = "/v1/flights/search?from=RUH&to=AUH&date=" + FutureDate(2);
  ASSERT_EQ(Book(client, user, flight, "before-outage").status, 201);
  ASSERT_EQ(client.Get(cached).status, 200);  // fills the cache after the booking's invalidation

  ASSERT_EQ(std::system(stop.c_str()), 0);
  struct Restore {
    std::string cmd;
    bool done = false;
    ~Restore() {
      if (!done && std::system(cmd.c_str()) != 0) ADD_FAILURE() << "could not restart the database";
    }
  } restore{start};

  auto t0 = std::chrono::steady_clock::now();
  auto ready = client.Get("/readyz");
  EXPECT_EQ(ready.status, 503);
  EXPECT_EQ(ready.Json().at("checks").at("database"), "unavailable");
  EXPECT_EQ(ready.Header("content-type"), "application/json; charset=utf-8");
  auto booking = Book(client, user, flight, "during-outage");
  EXPECT_EQ(booking.status, 503) << booking.body;
  EXPECT_EQ(booking.Json().at("type"), "/problems/service-unavailable");
  auto uncached = client.Get("/v1/flights/" + flight);
  EXPECT_EQ(uncached.status, 503);
  EXPECT_EQ(client.Get("/healthz").status, 200);  // the process itself is alive
  EXPECT_EQ(client.Get(cached).status, 200);      // cached searches still answer
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(20)) << "outage answers must not hang";

  ASSERT_EQ(std::system(start.c_str()), 0);
  restore.done = true;
  EXPECT_TRUE(Eventually([&] { return client.Get("/readyz").status == 200; }, 20000));
  // The 503 did not use up the key: the same request now executes.
  auto after = Book(client, user, flight, "during-outage");
  EXPECT_EQ(after.status, 201) << after.body;
  EXPECT_EQ(SeatsAvailable(client, flight), 8);
}

}  // namespace
}  // namespace rihla::test
