// Freshness on replays (issue 8 §2): the answer to a retry of a write whose first attempt
// committed but never invalidated its cache scope (the instance died, or the answer was lost)
// is given only after the retry has invalidated that scope, for every stored status.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <stdexcept>

#include "support/api.hpp"

namespace rihla::test {
namespace {

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr ? v : "";
}

class RedisReplayFreshnessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (Env("RIHLA_TEST_REDIS_URL").empty()) GTEST_SKIP() << "RIHLA_TEST_REDIS_URL not set";
  }
};

// The scenario: A commits a booking and dies before it invalidates; the retry on B is a
// replay, and B's next search shows the seat taken instead of its warm, stale entry.
TEST_F(RedisReplayFreshnessTest, AReplayOnAnotherInstanceInvalidatesWhatTheDeadFirstAttemptDidNot) {
  std::string redis = Env("RIHLA_TEST_REDIS_URL");
  ServerProcess b(ServerConfig{.env = {{"RIHLA_REDIS_URL", redis}}});
  HttpClient cb(b.port());
  auto user = SignUp(cb);
  auto flight = Str(CreateFlight(cb, "AHB", "AJF", 9, "100.00", 14).at("id"));
  ServerProcess a(ServerConfig{.database_url = b.database_url(),
                               .env = {{"RIHLA_REDIS_URL", redis}, {"RIHLA_FAULT", "after_commit"}},
                               .seed_days = -1});
  HttpClient ca(a.port());
  std::string q = "/v1/flights/search?from=AHB&to=AJF&date=" + FutureDate(14);
  ASSERT_EQ(SeatsInSearch(cb, q, flight), 9);
  ASSERT_EQ(cb.Get(q).Header("x-cache"), "HIT");

  EXPECT_THROW(Book(ca, user, flight, "dies-on-a"), std::runtime_error);  // A dies unanswered
  ASSERT_TRUE(a.WaitForKillSignal(10000));
  auto retry = Book(cb, user, flight, "dies-on-a");
  EXPECT_EQ(retry.status, 201) << retry.body;
  EXPECT_TRUE(retry.HasHeader("idempotent-replayed"));
  EXPECT_EQ(SeatsAvailable(cb, flight), 8);
  EXPECT_EQ(SeatsInSearch(cb, q, flight), 8) << "the replay must invalidate what A committed";
}

// One instance, in-process cache: the first answer is lost after commit (503), the retry is a
// replay and the search shows the new seats.
TEST(ReplayFreshness, AReplayAfterALostAnswerInvalidatesTheInProcessCache) {
  ServerProcess server(ServerConfig{.env = {{"RIHLA_FAULT", "commit_then_503"}}});
  HttpClient client(server.port());
  auto user = SignUp(client);
  auto flight = Str(CreateFlight(client, "AHB", "ADD", 9, "100.00", 15).at("id"));
  std::string q = "/v1/flights/search?from=AHB&to=ADD&date=" + FutureDate(15);
  ASSERT_EQ(SeatsInSearch(client, q, flight), 9);
  ASSERT_EQ(client.Get(q).Header("x-cache"), "HIT");

  auto lost = Book(client, user, flight, "lost-answer");
  EXPECT_EQ(lost.status, 503) << lost.body;
  auto retry = Book(client, user, flight, "lost-answer");
  EXPECT_EQ(retry.status, 201) << retry.body;
  EXPECT_TRUE(retry.HasHeader("idempotent-replayed"));
  EXPECT_EQ(SeatsInSearch(client, q, flight), 8);
}

// A stored 409 can carry a committed change too: a cancel that found the hold over expired the
// booking (releasing its seat) and answered 409. Its replay invalidates that expiry.
TEST(ReplayFreshness, AReplayedConflictWhoseOperationCommittedAnExpiryInvalidatesToo) {
  ServerProcess server(ServerConfig{.env = {{"RIHLA_FAULT", "commit_then_503"},
                                            {"RIHLA_BOOKING_HOLD_SECONDS", "1"},
                                            {"RIHLA_SWEEP_INTERVAL_MS", "3600000"}}});
  HttpClient client(server.port());
  auto user = SignUp(client);
  auto flight = Str(CreateFlight(client, "AJF", "ADD", 9, "100.00", 16).at("id"));
  std::string q = "/v1/flights/search?from=AJF&to=ADD&date=" + FutureDate(16);
  ASSERT_EQ(Book(client, user, flight, "hold").status, 503);
  auto booked = Book(client, user, flight, "hold");
  ASSERT_EQ(booked.status, 201) << booked.body;
  std::string booking = Str(booked.Json().at("id"));
  ASSERT_EQ(SeatsInSearch(client, q, flight), 8);
  ASSERT_EQ(client.Get(q).Header("x-cache"), "HIT");

  auto hold_over = std::chrono::steady_clock::now() + std::chrono::milliseconds(1500);
  ASSERT_TRUE(Eventually([&] { return std::chrono::steady_clock::now() >= hold_over; }, 5000));
  Headers cancel_headers = user.Auth();
  cancel_headers.push_back({"Idempotency-Key", "cancel-late"});
  std::string cancel = "/v1/bookings/" + booking + "/cancel";
  auto lost = client.Request("POST", cancel, "", cancel_headers);
  EXPECT_EQ(lost.status, 503) << lost.body;
  auto retry = client.Request("POST", cancel, "", cancel_headers);
  EXPECT_EQ(retry.status, 409) << retry.body;
  EXPECT_TRUE(retry.HasHeader("idempotent-replayed"));
  EXPECT_EQ(SeatsInSearch(client, q, flight), 9) << "the expiry released the seat";
}

}  // namespace
}  // namespace rihla::test
