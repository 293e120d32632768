// Exactly once across crashes: the process SIGKILLs itself (test-only fault points) just
// before or just after committing a booking; after a restart the same key yields exactly one
// booking and a correct replay (or, when nothing committed, a retry after the lease).
#include <gtest/gtest.h>

#include "support/api.hpp"

namespace rihla::test {
namespace {

int CountBookings(HttpClient& client, const User& user) {
  return static_cast<int>(client.Get("/v1/bookings?limit=100", user.Auth()).Json().at("bookings").as_array().size());
}

void RunCrash(const std::string& fault, bool committed) {
  // First life: set up a user and a flight.
  ServerProcess setup(ServerConfig{.env = {{"RIHLA_IDEMPOTENCY_LEASE_SECONDS", "1"}}});
  HttpClient c1(setup.port());
  auto user = SignUp(c1);
  auto flight = Str(CreateFlight(c1, "RUH", "MED", 4, "120.00", 2).at("id"));
  std::string url = setup.database_url();
  setup.Terminate();

  // Second life: armed fault point; the booking request kills the process.
  {
    ServerProcess armed(ServerConfig{.database_url = url,
                                     .env = {{"RIHLA_FAULT", fault}, {"RIHLA_IDEMPOTENCY_LEASE_SECONDS", "1"}},
                                     .seed_days = -1});
    HttpClient c2(armed.port());
    EXPECT_THROW(Book(c2, user, flight, "crash-key"), std::runtime_error);  // connection dies unanswered
    EXPECT_TRUE(armed.WaitForKillSignal(10000));
  }

  // Third life: normal server on the same database.
  ServerProcess healed(ServerConfig{.database_url = url, .env = {{"RIHLA_IDEMPOTENCY_LEASE_SECONDS", "1"}},
                                    .seed_days = -1});
  HttpClient c3(healed.port());
  EXPECT_EQ(CountBookings(c3, user), committed ? 1 : 0);
  EXPECT_EQ(SeatsAvailable(c3, flight), committed ? 3 : 4);
  // The retry: a replay of the committed booking, or (nothing committed) 409 until the 1 s
  // lease runs out and then a fresh execution.
  HttpResponse retry;
  ASSERT_TRUE(Eventually(
      [&] {
        retry = Book(c3, user, flight, "crash-key");
        return retry.status != 409;
      },
      5000));
  EXPECT_EQ(retry.status, 201) << retry.body;
  EXPECT_EQ(retry.HasHeader("idempotent-replayed"), committed);
  EXPECT_EQ(CountBookings(c3, user), 1);
  EXPECT_EQ(SeatsAvailable(c3, flight), 3);
  auto again = Book(c3, user, flight, "crash-key");
  EXPECT_EQ(again.body, retry.body);
  EXPECT_EQ(CountBookings(c3, user), 1);
}

TEST(CrashRecovery, KilledBeforeCommitLeavesNothingButAnExpiringLease) { RunCrash("before_commit", false); }

TEST(CrashRecovery, KilledAfterCommitReplaysTheOneBooking) { RunCrash("after_commit", true); }

}  // namespace
}  // namespace rihla::test
