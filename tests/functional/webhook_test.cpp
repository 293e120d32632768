// Payment webhook: signatures, confirmation, ignored events, deduplication under concurrency.
#include <gtest/gtest.h>

#include <atomic>
#include <barrier>
#include <set>
#include <thread>
#include <vector>

#include "domain/time.hpp"
#include "support/api.hpp"
#include "support/shared_server.hpp"

namespace rihla::test {
namespace {

class WebhookTest : public SharedServerTest<WebhookTest> {
 public:
  static ServerConfig Config() { return ServerConfig{}; }

 protected:
  // A pending booking of 2 passengers at 150.00 each (total 300.00).
  std::pair<User, std::string> PendingBooking() {
    auto user = SignUp(client_);
    auto flight = Str(CreateFlight(client_, "RUH", "CAI", 9, "150.00", 8).at("id"));
    auto r = Book(client_, user, flight, "wh-" + std::to_string(counter_++), 2);
    return {user, Str(r.Json().at("id"))};
  }
  HttpResponse Deliver(HttpClient& c, const std::string& body, const std::string& signature) {
    return c.PostJson("/v1/webhooks/payments", body, {{"Rihla-Signature", signature}});
  }
  int counter_ = 0;
};

TEST_F(WebhookTest, MatchingPaymentConfirmsTheBooking) {
  auto [user, booking] = PendingBooking();
  std::string body = PaymentEvent("evt_ok_" + booking, "payment.succeeded", booking, "300.00");
  auto r = Deliver(client_, body, WebhookSignature(body));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.Json().at("received"), true);
  EXPECT_EQ(r.Json().at("result"), "confirmed");
  EXPECT_EQ(r.Json().at("booking").at("status"), "confirmed");
  EXPECT_EQ(client_.Get("/v1/bookings/" + booking, user.Auth()).Json().at("status"), "confirmed");
  auto again = Deliver(client_, body, WebhookSignature(body));
  EXPECT_EQ(again.body, r.body);
  EXPECT_EQ(again.Header("idempotent-replayed"), "true");
}

TEST_F(WebhookTest, BadSignaturesAre401AndChangeNothing) {
  auto [user, booking] = PendingBooking();
  std::string body = PaymentEvent("evt_sig_" + booking, "payment.succeeded", booking, "300.00");
  // Well outside the 300 s tolerance: the server reads its clock later than this test does, and
  // at +301 a second boundary in between made a valid signature of it.
  long long now = domain::NowMs() / 1000;
  std::vector<std::string> bad = {"", "t=" + std::to_string(now) + ",v1=deadbeef",
                                  WebhookSignature(body, now - 600), WebhookSignature(body, now + 600),
                                  WebhookSignature(body, 0, "wrong-secret"), WebhookSignature(body + " ")};
  for (const auto& sig : bad) {
    auto r = Deliver(client_, body, sig);
    EXPECT_EQ(r.status, 401) << sig;
    EXPECT_EQ(r.Json().at("type"), "/problems/invalid-signature");
  }
  EXPECT_EQ(client_.Get("/v1/bookings/" + booking, user.Auth()).Json().at("status"), "pending_payment");
  EXPECT_EQ(server_->LogText().find(ServerProcess::kWebhookSecret), std::string::npos);
}

TEST_F(WebhookTest, OneMatchingV1AmongSeveralIsEnough) {
  auto [user, booking] = PendingBooking();
  std::string body = PaymentEvent("evt_rot_" + booking, "payment.succeeded", booking, "300.00");
  std::string good = WebhookSignature(body);
  std::string t = good.substr(0, good.find(','));
  std::string rotated = t + ",v1=" + std::string(64, '0') + "," + good.substr(good.find(',') + 1);
  EXPECT_EQ(Deliver(client_, body, rotated).Json().at("result"), "confirmed");
}

TEST_F(WebhookTest, MismatchedOrUnknownEventsAreIgnoredWithAReason) {
  auto [user, booking] = PendingBooking();
  std::string wrong_amount = PaymentEvent("evt_amt_" + booking, "payment.succeeded", booking, "299.99");
  auto a = Deliver(client_, wrong_amount, WebhookSignature(wrong_amount));
  EXPECT_EQ(a.status, 200);
  EXPECT_EQ(a.Json().at("result"), "ignored");
  EXPECT_FALSE(Str(a.Json().at("reason")).empty());
  std::string unknown = PaymentEvent("evt_unk_" + booking, "payment.succeeded", "bk_nope", "300.00");
  EXPECT_EQ(Deliver(client_, unknown, WebhookSignature(unknown)).Json().at("result"), "ignored");
  std::string failed = PaymentEvent("evt_fail_" + booking, "payment.failed", booking, "300.00");
  EXPECT_EQ(Deliver(client_, failed, WebhookSignature(failed)).Json().at("result"), "ignored");
  EXPECT_EQ(client_.Get("/v1/bookings/" + booking, user.Auth()).Json().at("status"), "pending_payment");
  std::string malformed = R"({"id":"evt_bad"})";
  EXPECT_EQ(Deliver(client_, malformed, WebhookSignature(malformed)).status, 400);
}

// PostgreSQL cuts bound strings at NUL: "evt_A\u0000x" must not be taken for "evt_A".
TEST_F(WebhookTest, AnEventIdHoldingNulIsRefusedAndUsesUpNoOtherEvent) {
  auto [user, booking] = PendingBooking();
  std::string plain_id = "evt_nul_" + booking;
  std::string with_nul = PaymentEvent(plain_id + std::string("\0x", 2), "payment.succeeded", booking, "300.00");
  ASSERT_NE(with_nul.find("\\u0000x"), std::string::npos) << with_nul;
  auto refused = Deliver(client_, with_nul, WebhookSignature(with_nul));
  EXPECT_EQ(refused.status, 400) << refused.body;
  EXPECT_NE(refused.body.find("U+0000"), std::string::npos) << refused.body;
  std::string plain = PaymentEvent(plain_id, "payment.succeeded", booking, "300.00");
  auto r = Deliver(client_, plain, WebhookSignature(plain));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.Json().at("result"), "confirmed");
  EXPECT_FALSE(r.HasHeader("idempotent-replayed"));
}

TEST_F(WebhookTest, EventIdsDifferingOnlyInATrailingSpaceAreDifferentEvents) {
  auto [user, booking] = PendingBooking();
  std::string failed = PaymentEvent("evt_sp_" + booking, "payment.failed", booking, "300.00");
  ASSERT_EQ(Deliver(client_, failed, WebhookSignature(failed)).Json().at("result"), "ignored");
  std::string paid = PaymentEvent("evt_sp_" + booking + " ", "payment.succeeded", booking, "300.00");
  auto r = Deliver(client_, paid, WebhookSignature(paid));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.Json().at("result"), "confirmed") << "not a replay of the first event";
}

TEST_F(WebhookTest, PaymentForACancelledBookingIsIgnored) {
  auto [user, booking] = PendingBooking();
  auto h = user.Auth();
  h.emplace_back("Idempotency-Key", "cancel-before-pay");
  ASSERT_EQ(client_.Request("POST", "/v1/bookings/" + booking + "/cancel", "", h).status, 200);
  std::string body = PaymentEvent("evt_late_" + booking, "payment.succeeded", booking, "300.00");
  auto r = Deliver(client_, body, WebhookSignature(body));
  EXPECT_EQ(r.Json().at("result"), "ignored");
  EXPECT_EQ(r.Json().at("reason"), "booking is cancelled");
}

// 20 concurrent deliveries of one event: confirmed once, identical answers.
TEST_F(WebhookTest, ConcurrentRedeliveriesConfirmOnceWithIdenticalAnswers) {
  constexpr int kDeliveries = 20;
  auto [user, booking] = PendingBooking();
  std::string body = PaymentEvent("evt_race_" + booking, "payment.succeeded", booking, "300.00");
  auto answers = Race(
      kDeliveries, [&](int) { return server_->port(); },
      [&](int, HttpClient& c) { return Deliver(c, body, WebhookSignature(body)); });
  std::set<std::string> bodies;
  int executed = 0;
  for (const auto& a : answers) {
    EXPECT_EQ(a.status, 200) << a.body;
    bodies.insert(a.body);
    executed += a.HasHeader("idempotent-replayed") ? 0 : 1;
  }
  EXPECT_EQ(bodies.size(), 1u);
  EXPECT_EQ(executed, 1);
  EXPECT_EQ(answers[0].Json().at("result"), "confirmed");
}

// Redeliveries that arrive while the first delivery still runs wait for its answer without
// holding a database worker: with 2 workers, one held by the first delivery, a database read
// is answered while the first delivery and all its redeliveries are still waiting.
TEST(WebhookRedelivery, ConcurrentRedeliveriesWaitOffTheDatabaseWorkers) {
  constexpr int kRedeliveries = 3;
  ServerProcess server(ServerConfig{.env = {{"RIHLA_WORKERS", "2"}, {"RIHLA_FAULT", "slow_operation"}}});
  HttpClient setup(server.port());
  auto user = SignUp(setup);
  auto flight = Str(CreateFlight(setup, "RUH", "CAI", 9, "150.00", 8).at("id"));
  std::string booking = Str(Book(setup, user, flight, "wh-park", 2).Json().at("id"));
  std::string body = PaymentEvent("evt_park_" + booking, "payment.succeeded", booking, "300.00");
  const std::string busy = "rihla_workers_busy";
  const std::string parked = "rihla_idempotency_requests_total{outcome=\"parked\"}";
  ASSERT_TRUE(Eventually([&] { return MetricValue(setup, busy) == 0; }, 5000));

  std::atomic<bool> first_answered{false};
  std::vector<HttpResponse> answers(kRedeliveries + 1);
  std::vector<std::thread> threads;
  auto deliver = [&](int i) {
    HttpClient c(server.port());
    answers[i] = c.PostJson("/v1/webhooks/payments", body, {{"Rihla-Signature", WebhookSignature(body)}});
  };
  threads.emplace_back([&] {
    deliver(0);
    first_answered = true;
  });
  // slow_operation holds the first delivery on its worker for 1.5 s after its claim.
  ASSERT_TRUE(Eventually([&] { return MetricValue(setup, busy) == 1; }, 5000));
  for (int i = 1; i <= kRedeliveries; ++i) threads.emplace_back(deliver, i);
  bool all_parked = Eventually([&] { return MetricValue(setup, parked) >= kRedeliveries; }, 5000);
  auto read = setup.Get("/v1/flights/" + flight);
  bool read_before_first_answer = !first_answered.load();
  for (auto& t : threads) t.join();

  ASSERT_TRUE(all_parked) << "each redelivery parks while the first delivery runs";
  EXPECT_EQ(read.status, 200);
  EXPECT_TRUE(read_before_first_answer) << "a database read must not queue behind waiting redeliveries";
  int executed = 0;
  for (const auto& a : answers) {
    EXPECT_EQ(a.status, 200) << a.body;
    EXPECT_EQ(a.body, answers[0].body);
    executed += a.HasHeader("idempotent-replayed") ? 0 : 1;
  }
  EXPECT_EQ(executed, 1);
  EXPECT_EQ(answers[0].Json().at("result"), "confirmed");
}

TEST(WebhookUnconfigured, WithoutASecretTheWebhookAnswers503) {
  ServerProcess server(ServerConfig{.env = {{"RIHLA_WEBHOOK_SECRET", ""}}});
  HttpClient c(server.port());
  std::string body = PaymentEvent("evt_x", "payment.succeeded", "bk_x", "1.00");
  auto r = c.PostJson("/v1/webhooks/payments", body, {{"Rihla-Signature", WebhookSignature(body)}});
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.Json().at("type"), "/problems/service-unavailable");
}

}  // namespace
}  // namespace rihla::test
