// Concurrent bookings against the real binary, on every backend (on SQLite they run through
// group commit, many requests per transaction): fresh keys and simultaneous repeats of the same
// keys on a flight with fewer seats than keys. Every key executes exactly once; seats taken
// equal the 201s; a repeat gets 409 in-progress or the first answer byte for byte.
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "support/api.hpp"

namespace rihla::test {
namespace {

TEST(BookingsRace, ConcurrentFreshKeysAndRepeatsBookEachKeyExactlyOnce) {
  constexpr int kKeys = 16, kCopies = 2, kSeats = 6;
  ServerProcess server(ServerConfig{});
  HttpClient setup(server.port());
  auto user = SignUp(setup);
  std::string flight = Str(CreateFlight(setup, "RUH", "AUH", kSeats, "90.00", 5).at("id"));

  auto answers = Race(
      kKeys * kCopies, [&](int) { return server.port(); },
      [&](int i, HttpClient& c) { return Book(c, user, flight, "race-" + std::to_string(i % kKeys)); });

  std::map<std::string, std::vector<const HttpResponse*>> by_key;
  for (int i = 0; i < kKeys * kCopies; ++i) by_key["race-" + std::to_string(i % kKeys)].push_back(&answers[i]);
  int booked_keys = 0;
  std::set<std::string> booking_ids;
  for (const auto& [key, list] : by_key) {
    const HttpResponse* executed = nullptr;
    for (const HttpResponse* a : list) {
      bool in_progress = a->status == 409 && a->Json().at("type") == "/problems/idempotency-in-progress";
      if (in_progress) {
        EXPECT_FALSE(a->Header("retry-after").empty()) << key;
        continue;
      }
      ASSERT_TRUE(a->status == 201 || a->status == 409) << key << ": " << a->status << " " << a->body;
      if (!a->HasHeader("idempotent-replayed")) {
        EXPECT_EQ(executed, nullptr) << key << " executed twice";
        executed = a;
      }
    }
    EXPECT_NE(executed, nullptr) << key << " was never executed";
    // The stored answer, now that every request finished: each copy that was answered (not
    // in progress) carries it byte for byte.
    auto replay = Book(setup, user, flight, key);
    ASSERT_TRUE(replay.HasHeader("idempotent-replayed")) << key << ": " << replay.status << " " << replay.body;
    for (const HttpResponse* a : list) {
      if (a->status == 201 || a->Json().at("type") == "/problems/sold-out") {
        EXPECT_EQ(a->body, replay.body) << key;
      }
    }
    if (replay.status == 201) {
      ++booked_keys;
      booking_ids.insert(Str(replay.Json().at("id")));
    } else {
      EXPECT_EQ(replay.Json().at("type"), "/problems/sold-out") << key;
    }
  }
  EXPECT_EQ(booked_keys, kSeats) << "every seat went to exactly one key";
  EXPECT_EQ(booking_ids.size(), static_cast<std::size_t>(kSeats));
  EXPECT_EQ(SeatsAvailable(setup, flight), 0);
  auto list = setup.Get("/v1/bookings?limit=100", user.Auth());
  EXPECT_EQ(list.Json().at("bookings").as_array().size(), static_cast<std::size_t>(kSeats));
}

}  // namespace
}  // namespace rihla::test
