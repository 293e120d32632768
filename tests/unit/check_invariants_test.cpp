// rihla-check's invariants other than fresh_search, on hand-built exchanges.
#include <gtest/gtest.h>

#include "invariants.hpp"
#include "runner.hpp"

namespace rihla::check {
namespace {

Exchange Answer(int status, std::string body, std::string id = "rc-1") {
  Exchange e;
  e.method = "POST";
  e.correlation_id = id;
  e.answer_correlation = id;
  e.answered = true;
  e.status = status;
  e.body = std::move(body);
  return e;
}

TEST(CheckAnswers, IgnoresCorrelationIdAndKeyOrderWhenComparing) {
  EXPECT_EQ(AnswerIdentity(201, R"({"id":"b1","correlation_id":"x","n":1})"),
            AnswerIdentity(201, R"({"n": 1, "id": "b1", "correlation_id": "y"})"));
  EXPECT_NE(AnswerIdentity(201, R"({"id":"b1"})"), AnswerIdentity(201, R"({"id":"b2"})"));
}

TEST(CheckAnswers, TreatsInProgressAndServerErrorsAsNotFinal) {
  EXPECT_FALSE(IsFinal(Answer(409, R"({"type":"/problems/idempotency-in-progress"})")));
  EXPECT_FALSE(IsFinal(Answer(503, "{}")));
  EXPECT_TRUE(IsFinal(Answer(409, R"({"type":"/problems/sold-out"})")));
  EXPECT_TRUE(IsFinal(Answer(201, "{}")));
}

TEST(ExactlyOnce, PassesWhenEveryFinalAnswerForAKeyIsTheSame) {
  History h{Answer(201, R"({"id":"b1"})"), Answer(409, R"({"type":"/problems/idempotency-in-progress"})"),
            Answer(201, R"({"id":"b1"})")};
  EXPECT_TRUE(CheckAnswersAgree({KeyedOperation{"u", "k", false, {0, 1, 2}}}, h).empty());
}

TEST(ExactlyOnce, FailsWhenTwoFinalAnswersForAKeyDiffer) {
  History h{Answer(201, R"({"id":"b1"})"), Answer(201, R"({"id":"b2"})")};
  auto v = CheckAnswersAgree({KeyedOperation{"u", "k", false, {0, 1}}}, h);
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].invariant, "exactly_once");
  EXPECT_EQ(v[0].exchanges, (std::vector<std::size_t>{0, 1}));
}

TEST(ExactlyOnce, FailsWhenAMismatchedPayloadIsAccepted) {
  History h{Answer(422, R"({"type":"/problems/idempotency-key-reused"})"), Answer(201, R"({"id":"b2"})")};
  auto v = CheckAnswersAgree({KeyedOperation{"u", "k", true, {0, 1}}}, h);
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].exchanges, std::vector<std::size_t>{1});
}

TEST(ExactlyOnce, CountsBookingsPerKeyInTheOwnersList) {
  EXPECT_TRUE(CheckBookingsPerKey({{"k1", 1}}, {{"k1", 0}}).empty());
  EXPECT_EQ(CheckBookingsPerKey({{"k1", 2}}, {{"k1", 0}}).size(), 2u);  // two bookings, and not exactly one
  EXPECT_EQ(CheckBookingsPerKey({}, {{"k1", 0}}).size(), 1u);           // 201 but no booking
  EXPECT_TRUE(CheckBookingsPerKey({{"k2", 1}}, {}).empty());            // unanswered key that did book
}

TEST(NoOversell, ComparesSoldSeatsWithHeldPassengers) {
  EXPECT_TRUE(CheckNoOversell({{"f1", 10, 7, 3}}).empty());
  auto v = CheckNoOversell({{"f1", 10, 9, 3}});  // seats given back twice
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].invariant, "no_oversell");
}

TEST(WebhookOnce, FailsWhenARedeliveryGetsAnotherAnswer) {
  History h{Answer(200, R"({"received":true,"result":"confirmed"})"),
            Answer(200, R"({"received":true,"result":"ignored","reason":"not pending"})")};
  EXPECT_EQ(CheckWebhookOnce({WebhookEvent{"evt_1", "b1", {0, 1}}}, h).size(), 1u);
  History same{h[0], h[0]};
  EXPECT_TRUE(CheckWebhookOnce({WebhookEvent{"evt_1", "b1", {0, 1}}}, same).empty());
}

TEST(WebhookOnce, FailsWhenTwoEventsConfirmOneBooking) {
  History h{Answer(200, R"({"received":true,"result":"confirmed"})"),
            Answer(200, R"({"received":true,"result":"confirmed"})")};
  auto v = CheckWebhookOnce({WebhookEvent{"evt_1", "b1", {0}}, WebhookEvent{"evt_2", "b1", {1}}}, h);
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].invariant, "webhook_once");
}

TEST(CheckCorrelation, FailsWhenAnAnswerEchoesAnotherId) {
  History h{Answer(200, "{}", "rc-1")};
  h[0].answer_correlation = "rc-2";
  EXPECT_EQ(CheckCorrelation(h, nullptr).violations.size(), 1u);
}

TEST(CheckCorrelation, MatchesAccessLinesToTheirRequests) {
  History h{Answer(201, "{}", "rc-1"), Answer(409, "{}", "rc-2")};
  LogCheckInput logs;
  logs.id_prefix = "rc-";
  logs.log_lines = {R"({"msg":"request","correlation_id":"rc-1","method":"POST","status":201})",
                    R"({"msg":"request","correlation_id":"rc-2","method":"POST","status":409})",
                    R"({"msg":"request","correlation_id":"other","method":"GET","status":200})"};
  auto ok = CheckCorrelation(h, &logs);
  EXPECT_TRUE(ok.violations.empty());
  EXPECT_EQ(ok.missing_access_lines, 0);

  logs.log_lines[1] = R"({"msg":"request","correlation_id":"rc-1","method":"POST","status":409})";  // cross-talk
  auto mixed = CheckCorrelation(h, &logs);
  EXPECT_EQ(mixed.missing_access_lines, 1);
  EXPECT_EQ(mixed.violations.size(), 2u);  // rc-1 twice, and rc-2 unexplained without an access line
}

TEST(CheckCorrelation, ExcusesMissingAccessLinesAfterAFaultOrDroppedLines) {
  History h{Answer(201, "{}", "rc-1")};
  LogCheckInput logs;
  logs.id_prefix = "rc-";
  logs.faults_ran = true;
  EXPECT_TRUE(CheckCorrelation(h, &logs).violations.empty());
  logs.faults_ran = false;
  logs.log_lines = {R"({"level":"warn","msg":"log lines dropped: stdout too slow","dropped":3})"};
  auto r = CheckCorrelation(h, &logs);
  EXPECT_TRUE(r.violations.empty());
  EXPECT_EQ(r.missing_access_lines, 1);
}

TEST(FaultOption, ParsesOffsetAndCommand) {
  auto f = ParseFault("at=20s cmd=systemctl restart rihla@2");
  EXPECT_DOUBLE_EQ(f.at, 20);
  EXPECT_EQ(f.command, "systemctl restart rihla@2");
  EXPECT_DOUBLE_EQ(ParseFault("at=1500ms cmd=true").at, 1.5);
  EXPECT_DOUBLE_EQ(ParseFault("at=2m cmd=a cmd=b").at, 120);
  EXPECT_EQ(ParseFault("at=2m cmd=a cmd=b").command, "a cmd=b");
  EXPECT_THROW(ParseFault("cmd=true"), std::invalid_argument);
  EXPECT_THROW(ParseFault("at=soon cmd=true"), std::invalid_argument);
}

}  // namespace
}  // namespace rihla::check
