// Auth and bookings against the real binary: signup/login, create/get/list/cancel, isolation
// between users, hold expiry, and the idempotency rules of API.md.
#include <gtest/gtest.h>

#include <barrier>
#include <set>
#include <thread>

#include "support/api.hpp"
#include "support/shared_server.hpp"

namespace rihla::test {
namespace {

class BookingsTest : public SharedServerTest<BookingsTest> {
 public:
  static ServerConfig Config() { return ServerConfig{}; }

 protected:
  std::string NewFlight(int seats, const std::string& price = "100.00") {
    return Str(CreateFlight(client_, "RUH", "JED", seats, price, 7).at("id"));
  }
  HttpResponse Cancel(const User& u, const std::string& booking_id, const std::string& key) {
    auto h = u.Auth();
    h.emplace_back("Idempotency-Key", key);
    return client_.Request("POST", "/v1/bookings/" + booking_id + "/cancel", "", h);
  }
};

TEST_F(BookingsTest, SignupLoginAndOneAnswerForBadCredentials) {
  auto signup = client_.PostJson("/v1/auth/signup", R"({"email":"Mixed.Case@Example.com","password":"longenough"})");
  ASSERT_EQ(signup.status, 201) << signup.body;
  EXPECT_GE(Str(signup.Json().at("token")).size(), 43u);  // 32 random bytes, base64url
  auto again = client_.PostJson("/v1/auth/signup", R"({"email":"mixed.case@example.COM","password":"longenough"})");
  EXPECT_EQ(again.status, 409);
  EXPECT_EQ(again.Json().at("type"), "/problems/email-taken");
  auto login = client_.PostJson("/v1/auth/login", R"({"email":"MIXED.case@example.com","password":"longenough"})");
  EXPECT_EQ(login.status, 200);
  auto wrong = client_.PostJson("/v1/auth/login", R"({"email":"mixed.case@example.com","password":"wrongpass"})");
  auto unknown = client_.PostJson("/v1/auth/login", R"({"email":"nobody@example.com","password":"wrongpass"})");
  EXPECT_EQ(wrong.status, 401);
  EXPECT_EQ(unknown.status, 401);
  EXPECT_EQ(wrong.Json().at("detail"), unknown.Json().at("detail"));
  auto short_pw = client_.PostJson("/v1/auth/signup", R"({"email":"x@example.com","password":"short"})");
  EXPECT_EQ(short_pw.status, 400);
  EXPECT_EQ(server_->LogText().find("longenough"), std::string::npos) << "a password reached the log";
}

TEST_F(BookingsTest, BookingNeedsABearerToken) {
  auto r = client_.PostJson("/v1/bookings", BookingBody("fl_x"), {{"Idempotency-Key", "k"}});
  EXPECT_EQ(r.status, 401);
  auto bad = client_.PostJson("/v1/bookings", BookingBody("fl_x"), {{"Idempotency-Key", "k"}, {"Authorization", "Bearer nope"}});
  EXPECT_EQ(bad.status, 401);
}

TEST_F(BookingsTest, CreateHoldsSeatsAndGetListCancelWork) {
  auto user = SignUp(client_);
  std::string flight = NewFlight(10, "450.00");
  auto created = Book(client_, user, flight, "create-1", 2);
  ASSERT_EQ(created.status, 201) << created.body;
  auto b = created.Json().as_object();
  EXPECT_EQ(b.at("status"), "pending_payment");
  EXPECT_EQ(b.at("total").at("amount"), "900.00");
  EXPECT_EQ(b.at("passengers").as_array().size(), 2u);
  EXPECT_EQ(SeatsAvailable(client_, flight), 8);
  std::string id = Str(b.at("id"));

  auto got = client_.Get("/v1/bookings/" + id, user.Auth());
  ASSERT_EQ(got.status, 200);
  EXPECT_EQ(got.Json().at("id"), b.at("id"));

  auto cancelled = Cancel(user, id, "cancel-1");
  ASSERT_EQ(cancelled.status, 200) << cancelled.body;
  EXPECT_EQ(cancelled.Json().at("status"), "cancelled");
  EXPECT_EQ(SeatsAvailable(client_, flight), 10);
  auto twice = Cancel(user, id, "cancel-2");
  EXPECT_EQ(twice.status, 409);
  EXPECT_EQ(twice.Json().at("type"), "/problems/invalid-state");
  EXPECT_EQ(SeatsAvailable(client_, flight), 10);
}

TEST_F(BookingsTest, ListIsNewestFirstWithCursorPagination) {
  auto user = SignUp(client_);
  std::string flight = NewFlight(20);
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) ids.push_back(Str(Book(client_, user, flight, "list-" + std::to_string(i)).Json().at("id")));
  std::vector<std::string> seen;
  std::string cursor;
  for (int page = 0; page < 5; ++page) {
    auto r = client_.Get("/v1/bookings?limit=2" + (cursor.empty() ? "" : "&cursor=" + cursor), user.Auth());
    ASSERT_EQ(r.status, 200) << r.body;
    auto body = r.Json().as_object();
    for (const auto& b : body.at("bookings").as_array()) seen.push_back(Str(b.at("id")));
    if (body.at("next_cursor").is_null()) break;
    cursor = Str(body.at("next_cursor"));
  }
  std::vector<std::string> expected(ids.rbegin(), ids.rend());
  EXPECT_EQ(seen, expected);
  EXPECT_EQ(client_.Get("/v1/bookings?cursor=garbage!!", user.Auth()).status, 400);
  EXPECT_EQ(client_.Get("/v1/bookings?limit=0", user.Auth()).status, 400);
  EXPECT_EQ(client_.Get("/v1/bookings?limit=101", user.Auth()).status, 400);
}

TEST_F(BookingsTest, UsersNeverSeeOrCancelEachOthersBookings) {
  auto alice = SignUp(client_), bob = SignUp(client_);
  std::string flight = NewFlight(5);
  std::string id = Str(Book(client_, alice, flight, "shared-key").Json().at("id"));
  EXPECT_EQ(client_.Get("/v1/bookings/" + id, bob.Auth()).status, 404);
  auto cancel = Cancel(bob, id, "bob-cancel");
  EXPECT_EQ(cancel.status, 404);
  EXPECT_EQ(client_.Get("/v1/bookings", bob.Auth()).Json().at("bookings").as_array().size(), 0u);
  // Same key under another principal is independent: Bob's "shared-key" makes his own booking.
  auto bobs = Book(client_, bob, flight, "shared-key");
  EXPECT_EQ(bobs.status, 201);
  EXPECT_FALSE(bobs.HasHeader("idempotent-replayed"));
  EXPECT_NE(Str(bobs.Json().at("id")), id);
  EXPECT_EQ(SeatsAvailable(client_, flight), 3);
}

TEST_F(BookingsTest, IdempotencyKeyRulesAndReplay) {
  auto user = SignUp(client_);
  std::string flight = NewFlight(5);
  auto missing = client_.PostJson("/v1/bookings", BookingBody(flight), user.Auth());
  EXPECT_EQ(missing.Json().at("type"), "/problems/idempotency-key-missing");
  auto h = user.Auth();
  h.emplace_back("Idempotency-Key", std::string(256, 'k'));
  EXPECT_EQ(client_.PostJson("/v1/bookings", BookingBody(flight), h).Json().at("type"),
            "/problems/idempotency-key-invalid");

  auto first = Book(client_, user, flight, "replay-me");
  ASSERT_EQ(first.status, 201);
  // Same payload with other key order and whitespace: replayed byte for byte.
  auto h2 = user.Auth();
  h2.emplace_back("Idempotency-Key", "replay-me");
  h2.emplace_back("X-Correlation-ID", "second-attempt");
  auto body = boost::json::parse(BookingBody(flight)).as_object();
  std::string reordered = "{ \"passengers\" : " + boost::json::serialize(body.at("passengers")) +
                          " ,\n \"flight_id\": \"" + flight + "\" }";
  auto replay = client_.PostJson("/v1/bookings", reordered, h2);
  EXPECT_EQ(replay.status, 201);
  EXPECT_EQ(replay.body, first.body);
  EXPECT_EQ(replay.Header("idempotent-replayed"), "true");
  EXPECT_EQ(replay.Header("x-correlation-id"), "second-attempt");
  EXPECT_EQ(SeatsAvailable(client_, flight), 4);
  // Same key, different payload: 422 and nothing booked.
  auto reused = Book(client_, user, flight, "replay-me", 2);
  EXPECT_EQ(reused.status, 422);
  EXPECT_EQ(reused.Json().at("type"), "/problems/idempotency-key-reused");
  EXPECT_EQ(SeatsAvailable(client_, flight), 4);
}

TEST_F(BookingsTest, UnknownFlightIs404AndReplayedAsSuch) {
  auto user = SignUp(client_);
  auto r = Book(client_, user, "fl_nope", "nf-1");
  EXPECT_EQ(r.status, 404);
  auto again = Book(client_, user, "fl_nope", "nf-1");
  EXPECT_EQ(again.status, 404);
  EXPECT_EQ(again.body, r.body);
  EXPECT_EQ(again.Header("idempotent-replayed"), "true");
}

TEST_F(BookingsTest, SoldOutIsStoredAndReplayedEvenAfterSeatsReturn) {
  auto alice = SignUp(client_), bob = SignUp(client_);
  std::string flight = NewFlight(1);
  std::string alices = Str(Book(client_, alice, flight, "a-1").Json().at("id"));
  auto sold_out = Book(client_, bob, flight, "b-1");
  ASSERT_EQ(sold_out.status, 409);
  EXPECT_EQ(sold_out.Json().at("type"), "/problems/sold-out");
  ASSERT_EQ(Cancel(alice, alices, "a-cancel").status, 200);
  EXPECT_EQ(SeatsAvailable(client_, flight), 1);
  auto replay = Book(client_, bob, flight, "b-1");
  EXPECT_EQ(replay.status, 409);
  EXPECT_EQ(replay.body, sold_out.body);
  EXPECT_EQ(replay.Header("idempotent-replayed"), "true");
  EXPECT_EQ(SeatsAvailable(client_, flight), 1);
}

TEST_F(BookingsTest, CancelKeyOnAnotherBookingIsReused) {
  auto user = SignUp(client_);
  std::string flight = NewFlight(5);
  std::string b1 = Str(Book(client_, user, flight, "c-1").Json().at("id"));
  std::string b2 = Str(Book(client_, user, flight, "c-2").Json().at("id"));
  ASSERT_EQ(Cancel(user, b1, "cancel-key").status, 200);
  auto other = Cancel(user, b2, "cancel-key");
  EXPECT_EQ(other.status, 422);
  EXPECT_EQ(client_.Get("/v1/bookings/" + b2, user.Auth()).Json().at("status"), "pending_payment");
}

// 50 identical requests with one key, released together, 20 rounds: exactly one booking, seats
// decreased once, every answer the 201 body or a 409 in-progress.
TEST_F(BookingsTest, ConcurrentIdenticalRequestsBookOnce) {
  constexpr int kClients = 50, kRounds = 20;
  auto user = SignUp(client_);
  std::string flight = NewFlight(kRounds * 2);
  int violations = 0;
  for (int round = 0; round < kRounds; ++round) {
    std::string key = "race-" + std::to_string(round);
    auto answers = Race(
        kClients, [&](int) { return server_->port(); }, [&](int, HttpClient& c) { return Book(c, user, flight, key); });
    std::set<std::string> bodies;
    for (const auto& a : answers) {
      if (a.status == 201) {
        bodies.insert(a.body);
      } else if (!(a.status == 409 && a.Json().at("type") == "/problems/idempotency-in-progress" &&
                   a.HasHeader("retry-after"))) {
        ++violations;
        ADD_FAILURE() << "round " << round << ": " << a.status << " " << a.body;
      }
    }
    if (bodies.size() != 1) ++violations;
  }
  EXPECT_EQ(violations, 0);
  EXPECT_EQ(SeatsAvailable(client_, flight), kRounds);  // one seat per round
  auto list = client_.Get("/v1/bookings?limit=100", user.Auth()).Json().at("bookings").as_array();
  int on_flight = 0;
  for (const auto& b : list) on_flight += Str(b.at("flight_id")) == flight ? 1 : 0;
  EXPECT_EQ(on_flight, kRounds);
}

// 40 single-seat bookings with distinct keys on a 10-seat flight: exactly 10 succeed.
TEST_F(BookingsTest, ConcurrentBookingsNeverOversell) {
  constexpr int kClients = 40;
  std::string flight = NewFlight(10);
  std::vector<User> users;
  for (int i = 0; i < 4; ++i) users.push_back(SignUp(client_));
  auto answers = Race(
      kClients, [&](int) { return server_->port(); },
      [&](int i, HttpClient& c) { return Book(c, users[i % 4], flight, "oversell-" + std::to_string(i)); });
  std::vector<int> statuses;
  for (const auto& r : answers) {
    statuses.push_back(r.status == 409 && r.Json().at("type") == "/problems/sold-out" ? 4090 : r.status);
  }
  EXPECT_EQ(std::count(statuses.begin(), statuses.end(), 201), 10);
  EXPECT_EQ(std::count(statuses.begin(), statuses.end(), 4090), 30);
  EXPECT_EQ(SeatsAvailable(client_, flight), 0);
}

TEST(BookingExpiry, UnpaidBookingExpiresAndReleasesSeats) {
  ServerProcess server(ServerConfig{.env = {{"RIHLA_BOOKING_HOLD_SECONDS", "1"}, {"RIHLA_SWEEP_INTERVAL_MS", "200"}}});
  HttpClient client(server.port());
  auto user = SignUp(client);
  auto flight = CreateFlight(client, "RUH", "DXB", 3, "100.00", 2);
  std::string flight_id = Str(flight.at("id"));
  std::string search = "/v1/flights/search?from=RUH&to=DXB&date=" + FutureDate(2) + "&passengers=3";
  ASSERT_EQ(client.Get(search).Json().at("count").as_int64(), 1);
  std::string id = Str(Book(client, user, flight_id, "expire-me", 3).Json().at("id"));
  EXPECT_EQ(client.Get(search).Json().at("count").as_int64(), 0);  // seats held
  // The sweeper (not a read) expires it: poll the search, which never expires anything itself.
  EXPECT_TRUE(Eventually([&] { return client.Get(search).Json().at("count").as_int64() == 1; }, 5000));
  EXPECT_EQ(client.Get("/v1/bookings/" + id, user.Auth()).Json().at("status"), "expired");
  EXPECT_EQ(SeatsAvailable(client, flight_id), 3);
}

TEST(IdempotencyInProgress, RepeatWhileFirstRunsGets409WithRetryAfter) {
  // Each claimed request is held for 1.5 s before it executes: of two identical requests sent
  // together, one executes (201) and the other finds it in progress (409 + Retry-After).
  ServerProcess server(ServerConfig{.env = {{"RIHLA_FAULT", "slow_operation"}}});
  HttpClient setup(server.port());
  auto user = SignUp(setup);
  auto flight = Str(CreateFlight(setup, "JED", "DXB", 5, "100.00", 3).at("id"));
  auto answers = Race(
      2, [&](int) { return server.port(); }, [&](int, HttpClient& c) { return Book(c, user, flight, "slow-key"); });
  std::sort(answers.begin(), answers.end(), [](auto& x, auto& y) { return x.status < y.status; });
  EXPECT_EQ(answers[0].status, 201);
  ASSERT_EQ(answers[1].status, 409) << answers[1].body;
  EXPECT_EQ(answers[1].Json().at("type"), "/problems/idempotency-in-progress");
  EXPECT_FALSE(answers[1].Header("retry-after").empty());
  auto replay = Book(setup, user, flight, "slow-key");
  EXPECT_EQ(replay.status, 201);
  EXPECT_EQ(replay.Header("idempotent-replayed"), "true");
  EXPECT_EQ(replay.body, answers[0].body);
  EXPECT_EQ(SeatsAvailable(setup, flight), 4);
}

TEST(IdempotencyRetention, CleanupRemovesExpiredRecordsAndTheKeyWorksAgain) {
  ServerProcess server(ServerConfig{.env = {{"RIHLA_IDEMPOTENCY_TTL_SECONDS", "1"}}});
  HttpClient client(server.port());
  auto user = SignUp(client);
  auto flight = Str(CreateFlight(client, "DMM", "BAH", 5, "100.00", 3).at("id"));
  auto first = Book(client, user, flight, "short-lived");
  ASSERT_EQ(first.status, 201);
  ASSERT_EQ(Book(client, user, flight, "short-lived").Header("idempotent-replayed"), "true");
  // Poll `rihla cleanup` until the 1 s retention has passed and it removed the record.
  EXPECT_TRUE(Eventually(
      [&] {
        EXPECT_EQ(server.RunCommand({"cleanup"}), 0);
        auto lines = server.LogLines();
        return !lines.empty() && lines.back().contains("removed") && lines.back().at("removed").as_int64() >= 1;
      },
      5000));
  auto again = Book(client, user, flight, "short-lived");
  EXPECT_EQ(again.status, 201);
  EXPECT_FALSE(again.HasHeader("idempotent-replayed"));
  EXPECT_NE(Str(again.Json().at("id")), Str(first.Json().at("id")));
  EXPECT_EQ(SeatsAvailable(client, flight), 3);
}

// The price of a booking is the one in force when its seats were held: a price PATCH that
// commits while a booking is under way (pause_before_hold holds it 800 ms inside its
// transaction, before the seats) must not leave that booking with the old total.
TEST(BookingPrice, APricePatchDuringABookingIsTheOneItPays) {
  ServerProcess server(ServerConfig{.env = {{"RIHLA_FAULT", "pause_before_hold"}}});
  HttpClient setup(server.port());
  auto user = SignUp(setup);
  auto flight = Str(CreateFlight(setup, "RUH", "AUH", 5, "100.00", 4).at("id"));
  auto busy = [&](int n) {
    return setup.Get("/metrics").body.find("rihla_workers_busy " + std::to_string(n) + "\n") != std::string::npos;
  };
  ASSERT_TRUE(Eventually([&] { return busy(0); }, 5000));  // the set-up requests are off the workers
  HttpResponse booking;
  std::thread booker([&] {
    HttpClient c(server.port());
    booking = Book(c, user, flight, "price-race");
  });
  // Once a worker is busy, the booking is in its pause before the hold; a patch on another
  // connection commits meanwhile (SQLite: it waits for the single writer, so after the booking).
  EXPECT_TRUE(Eventually([&] { return busy(1); }, 5000));
  HttpClient admin(server.port());
  auto patch = admin.Request("PATCH", "/v1/admin/flights/" + flight,
                             R"({"price":{"amount":"200.00","currency":"SAR"}})",
                             {{"Authorization", std::string("Bearer ") + ServerProcess::kAdminToken},
                              {"Content-Type", "application/json"}});
  booker.join();
  ASSERT_EQ(patch.status, 200) << patch.body;
  ASSERT_EQ(booking.status, 201) << booking.body;
  std::string total = Str(booking.Json().at("total").at("amount"));
  // Either order is correct, but the total must match the price at the time of the hold:
  // the patch committed first (total 200.00) or it waited for the booking (total 100.00 and the
  // booking's seats were held before the new price existed).
  auto flight_now = setup.Get("/v1/flights/" + flight).Json();
  EXPECT_EQ(Str(flight_now.at("price").at("amount")), "200.00");
  if (total == "100.00") {
    EXPECT_EQ(Backend(), "sqlite") << "on a server engine the patch commits during the pause, before the hold";
  } else {
    EXPECT_EQ(total, "200.00");
  }
}

}  // namespace
}  // namespace rihla::test
