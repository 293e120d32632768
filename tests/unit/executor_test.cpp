// The idempotency executor against a real, migrated SQLite database in a temporary FILE: a
// ":memory:" database would be a different, empty database on each pooled connection.
#include "idempotency/idempotency.hpp"

#include <gtest/gtest.h>
#include <soci/soci.h>
#include <stdlib.h>

#include <atomic>
#include <barrier>
#include <cstdio>
#include <filesystem>
#include <latch>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "domain/errors.hpp"
#include "domain/time.hpp"
#include "idempotency/record_store.hpp"
#include "observability/logger.hpp"
#include "storage/migrations.hpp"

namespace rihla::idempotency {
namespace {

// Stands in for the transport's renderer: the status by code, and a body that shows the code,
// the detail and the correlation id it was given.
StoredResponse FakeRender(const ApiError& e, std::string_view correlation_id) {
  int status = 400;
  switch (e.code()) {
    case ErrorCode::kSoldOut:
    case ErrorCode::kInvalidState: status = 409; break;
    case ErrorCode::kServiceUnavailable: status = 503; break;
    case ErrorCode::kInternal: status = 500; break;
    default: break;
  }
  return {status, "problem:" + std::to_string(static_cast<int>(e.code())) + ":" + e.detail() + ":" +
                      std::string(correlation_id)};
}

// Every test runs twice: claiming in its own statement first (server engines), and with group
// commit (SQLite's default: the claim, the operation and the answer in one batch unit).
class ExecutorTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/rihla-exec.XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    log_ = std::tmpfile();
    logger_ = std::make_unique<Logger>(LogLevel::kError, log_);
    db_ = std::make_unique<storage::Database>(storage::ParseDatabaseUrl("sqlite:" + dir_ + "/rihla.db"),
                                              storage::DatabaseOptions{4});
    ASSERT_GE(storage::ApplyMigrations(*db_, *logger_), 1);
    if (GetParam()) group_ = std::make_unique<storage::GroupCommit>(*db_, 8);
    executor_ = std::make_unique<Executor>(*db_, Options{}, metrics_, FakeRender, group_.get());
    ctx_.correlation_id = "corr-1";
    ctx_.logger = logger_.get();
  }
  void TearDown() override {
    executor_.reset();
    group_.reset();
    db_.reset();
    logger_.reset();
    if (log_ != nullptr) std::fclose(log_);
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

  static Request Req(const std::string& key, const std::string& fingerprint = "fp-1") {
    return Request{"POST /v1/things", "user:u1", key, fingerprint, false};
  }
  std::optional<Record> Find(const std::string& key) {
    std::optional<Record> r;
    db_->Read([&](storage::Tx& tx) { r = FindRecord(tx, "POST /v1/things", "user:u1", key); });
    return r;
  }
  // A record as another request left it: `state`, its lease ending at `locked_until`.
  void Plant(const std::string& key, const std::string& state, std::int64_t locked_until, std::int64_t expires_ms,
             const std::string& fingerprint = "fp-1") {
    std::int64_t now = domain::NowMs();
    Record r{"idr_" + key, "POST /v1/things", "user:u1", key, fingerprint, state, "token-" + key, locked_until,
             state == "completed" ? 201 : 0, state == "completed" ? "{}" : "", now - 1000, expires_ms};
    db_->Write([&](storage::Tx& tx) { InsertRecord(tx, r); });
  }
  // An operation that writes a marker row (another record) and answers 201 `body`.
  Executor::Operation Writes(const std::string& marker, std::string body, int* calls) {
    return [this, marker, body, calls](storage::Tx& tx) {
      ++*calls;
      std::int64_t now = domain::NowMs();
      InsertRecord(tx, Record{"idr_" + marker, "POST /v1/things", "user:u1", marker, "m", "completed", "t", 0, 200,
                              "", now, now + 3'600'000});
      return Outcome{201, body, domain::CacheScope::ParseRoute("RUH-JED")};
    };
  }
  ApiError RunExpectingError(const Request& request, const Executor::Operation& op) {
    try {
      executor_->Run(ctx_, request, op);
    } catch (const ApiError& e) {
      return e;
    }
    ADD_FAILURE() << "Run did not throw an ApiError";
    return ApiError(ErrorCode::kInternal, "none");
  }

  std::string dir_;
  std::FILE* log_ = nullptr;
  std::unique_ptr<Logger> logger_;
  std::unique_ptr<storage::Database> db_;
  Metrics metrics_;
  std::unique_ptr<storage::GroupCommit> group_;
  std::unique_ptr<Executor> executor_;
  RequestContext ctx_;
};

TEST_P(ExecutorTest, ExecutesAndStoresTheResponseWithTheOperationsWrites) {
  int calls = 0;
  Result r = executor_->Run(ctx_, Req("k1"), Writes("marker-1", R"({"id":"bk_1"})", &calls));
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(r.status, 201);
  EXPECT_EQ(r.body, R"({"id":"bk_1"})");
  EXPECT_FALSE(r.replayed);
  ASSERT_TRUE(r.changed_scope.has_value());
  EXPECT_EQ(r.changed_scope->Key(), "RUH-JED");
  EXPECT_FALSE(r.error.has_value());
  auto stored = Find("k1");
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->state, "completed");
  EXPECT_EQ(stored->response_status, 201);
  EXPECT_EQ(stored->response_body, R"({"id":"bk_1"})");
  EXPECT_TRUE(Find("marker-1")) << "the operation's write commits with the stored response";
}

TEST_P(ExecutorTest, ReplaysTheSameStatusAndBodyBytesWithoutRunningAgain) {
  int calls = 0;
  std::string body = "{\"b\":\"caf\xc3\xa9\",\n \"a\":1}  ";  // odd bytes must survive as they are
  Result first = executor_->Run(ctx_, Req("k2"), Writes("marker-2", body, &calls));
  ctx_.correlation_id = "corr-2";
  Result again = executor_->Run(ctx_, Req("k2"), Writes("marker-2b", "other", &calls));
  EXPECT_EQ(calls, 1);
  EXPECT_TRUE(again.replayed);
  EXPECT_EQ(again.status, first.status);
  EXPECT_EQ(again.body, body);
  ASSERT_TRUE(again.changed_scope.has_value()) << "a replay hands back the scope to invalidate again";
  EXPECT_EQ(again.changed_scope->Key(), "RUH-JED");
  EXPECT_FALSE(Find("marker-2b"));
}

TEST_P(ExecutorTest, StoresTheChangedScopeAndCompletionTimeWithTheResponse) {
  int calls = 0;
  std::int64_t before = domain::NowMs();
  executor_->Run(ctx_, Req("k2s"), Writes("marker-2s", "{}", &calls));
  auto stored = Find("k2s");
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->changed_scope, "RUH-JED");
  EXPECT_GE(stored->completed_ms, before);
  EXPECT_LE(stored->completed_ms, domain::NowMs());
}

TEST_P(ExecutorTest, AReplayOlderThanTheScopeReplayWindowSkipsTheInvalidation) {
  Options options;
  options.scope_replay_window = std::chrono::milliseconds(60'000);
  executor_ = std::make_unique<Executor>(*db_, options, metrics_, FakeRender, group_.get());
  int calls = 0;
  executor_->Run(ctx_, Req("k2w"), Writes("marker-2w", "{}", &calls));
  Result recent = executor_->Run(ctx_, Req("k2w"), Writes("marker-2w2", "{}", &calls));
  ASSERT_TRUE(recent.replayed);
  EXPECT_TRUE(recent.changed_scope.has_value()) << "inside the window the replay invalidates again";

  long long long_ago = domain::NowMs() - 61'000;
  db_->Write([&](storage::Tx& tx) {
    tx.sql << "UPDATE idempotency_records SET completed_at = :c WHERE idem_key = 'k2w'", soci::use(long_ago);
  });
  Result old = executor_->Run(ctx_, Req("k2w"), Writes("marker-2w3", "{}", &calls));
  ASSERT_TRUE(old.replayed);
  EXPECT_FALSE(old.changed_scope.has_value()) << "no cache entry from before the write can still exist";
  EXPECT_EQ(calls, 1);
}

TEST_P(ExecutorTest, StoresAThrownClientErrorRollsItsWritesBackAndReplaysIt) {
  int calls = 0;
  auto sold_out = [&](storage::Tx& tx) -> Outcome {
    Writes("marker-3", "", &calls)(tx);
    throw ApiError(ErrorCode::kSoldOut, "no seats");
  };
  Result first = executor_->Run(ctx_, Req("k3"), sold_out);
  EXPECT_EQ(first.status, 409);
  EXPECT_EQ(first.body, FakeRender(ApiError(ErrorCode::kSoldOut, "no seats"), "corr-1").body);
  EXPECT_EQ(first.error, ErrorCode::kSoldOut);
  EXPECT_FALSE(first.replayed);
  EXPECT_FALSE(Find("marker-3")) << "a 4xx leaves no partial write";

  ctx_.correlation_id = "corr-2";
  Result again = executor_->Run(ctx_, Req("k3"), sold_out);
  EXPECT_EQ(calls, 1);
  EXPECT_TRUE(again.replayed);
  EXPECT_EQ(again.status, 409);
  EXPECT_EQ(again.body, first.body) << "the replay carries the original correlation id";
  EXPECT_FALSE(again.changed_scope.has_value()) << "a rolled-back 4xx changed no scope";
}

TEST_P(ExecutorTest, StoresAnErrorOutcomeTogetherWithTheWritesItCommits) {
  int calls = 0;
  auto expired = [&](storage::Tx& tx) {
    Writes("marker-4", "", &calls)(tx);
    return Outcome{.changed_scope = domain::CacheScope::ParseRoute("RUH-JED"), .error = ApiError(ErrorCode::kInvalidState, "expired")};
  };
  Result r = executor_->Run(ctx_, Req("k4"), expired);
  EXPECT_EQ(r.status, 409);
  EXPECT_EQ(r.body, FakeRender(ApiError(ErrorCode::kInvalidState, "expired"), "corr-1").body);
  EXPECT_EQ(r.error, ErrorCode::kInvalidState);
  ASSERT_TRUE(r.changed_scope.has_value());
  EXPECT_EQ(r.changed_scope->Key(), "RUH-JED");
  EXPECT_TRUE(Find("marker-4")) << "the error outcome's writes commit";
  auto stored = Find("k4");
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->response_status, 409);
  EXPECT_EQ(stored->response_body, r.body);

  Result again = executor_->Run(ctx_, Req("k4"), expired);
  EXPECT_TRUE(again.replayed);
  EXPECT_EQ(again.status, 409);
  ASSERT_TRUE(again.changed_scope.has_value()) << "the stored 409 committed an expiry: invalidate it again";
  EXPECT_EQ(again.changed_scope->Key(), "RUH-JED");
}

TEST_P(ExecutorTest, AnExceptionReleasesTheKeySoARetryExecutes) {
  int calls = 0;
  auto fails = [&](storage::Tx& tx) -> Outcome {
    Writes("marker-5", "", &calls)(tx);
    throw std::runtime_error("boom");
  };
  EXPECT_THROW(executor_->Run(ctx_, Req("k5"), fails), std::runtime_error);
  EXPECT_FALSE(Find("k5")) << "the claim is deleted";
  EXPECT_FALSE(Find("marker-5"));
  Result retry = executor_->Run(ctx_, Req("k5"), Writes("marker-5b", "ok", &calls));
  EXPECT_EQ(calls, 2);
  EXPECT_FALSE(retry.replayed);
  EXPECT_EQ(retry.status, 201);
}

TEST_P(ExecutorTest, AServerErrorIsNotStoredAndReleasesTheKey) {
  int calls = 0;
  auto unavailable = [&](storage::Tx&) -> Outcome {
    ++calls;
    throw ApiError(ErrorCode::kServiceUnavailable, "down");
  };
  ApiError e = RunExpectingError(Req("k6"), unavailable);
  EXPECT_EQ(e.code(), ErrorCode::kServiceUnavailable);
  EXPECT_FALSE(Find("k6"));
  Result retry = executor_->Run(ctx_, Req("k6"), Writes("marker-6", "ok", &calls));
  EXPECT_EQ(calls, 2);
  EXPECT_EQ(retry.status, 201);
}

TEST_P(ExecutorTest, ADifferentRequestWithTheSameKeyIsRejectedAsReused) {
  int calls = 0;
  executor_->Run(ctx_, Req("k7", "fp-a"), Writes("marker-7", "ok", &calls));
  ApiError e = RunExpectingError(Req("k7", "fp-b"), Writes("marker-7b", "ok", &calls));
  EXPECT_EQ(e.code(), ErrorCode::kIdempotencyKeyReused);
  EXPECT_EQ(calls, 1);
  EXPECT_FALSE(Find("marker-7b"));
}

TEST_P(ExecutorTest, AKeyHeldByALiveLeaseIsInProgressWithARetryHint) {
  std::int64_t now = domain::NowMs();
  Plant("k8", "started", now + 60'000, now + 3'600'000);
  int calls = 0;
  ApiError e = RunExpectingError(Req("k8"), Writes("marker-8", "ok", &calls));
  EXPECT_EQ(e.code(), ErrorCode::kIdempotencyInProgress);
  ASSERT_TRUE(e.retry_in().has_value());
  EXPECT_GE(e.retry_in()->count(), 1);
  EXPECT_LE(e.retry_in()->count(), 5);
  EXPECT_EQ(calls, 0);
  EXPECT_EQ(Find("k8")->lease_token, "token-k8") << "the holder keeps its lease";
}

// A waiting repeat (webhook redelivery) holds no worker: the executor hands it back as
// NotReady with a short park, and the transport runs it again.
TEST_P(ExecutorTest, AWaitingRepeatOfALiveLeaseIsParkedNotBlocked) {
  std::int64_t now = domain::NowMs();
  Plant("k9", "started", now + 60'000, now + 3'600'000);
  Request waiting = Req("k9");
  waiting.wait_for_inflight = true;
  int calls = 0;
  auto before = std::chrono::steady_clock::now();
  try {
    executor_->Run(ctx_, waiting, Writes("marker-9", "ok", &calls));
    ADD_FAILURE() << "Run did not throw NotReady";
  } catch (const NotReady& e) {
    EXPECT_GE(e.retry_in().count(), 10);
    EXPECT_LE(e.retry_in().count(), 100);
  }
  EXPECT_LT(std::chrono::steady_clock::now() - before, std::chrono::seconds(1)) << "it must not wait in place";
  EXPECT_EQ(calls, 0);
  EXPECT_NE(metrics_.Render().find("rihla_idempotency_requests_total{outcome=\"parked\"} 1"), std::string::npos);
}

// Parked repeats give up by themselves: past its wait, measured from the request's start, the
// repeat answers 409 in-progress like any other.
TEST_P(ExecutorTest, AWaitingRepeatPastItsWaitAnswersInProgress) {
  std::int64_t now = domain::NowMs();
  Plant("k10", "started", now + 60'000, now + 3'600'000);
  Request waiting = Req("k10");
  waiting.wait_for_inflight = true;
  ctx_.started = std::chrono::steady_clock::now() - std::chrono::seconds(11);  // Options{} waits 10 s
  int calls = 0;
  ApiError e = RunExpectingError(waiting, Writes("marker-10", "ok", &calls));
  EXPECT_EQ(e.code(), ErrorCode::kIdempotencyInProgress);
  EXPECT_EQ(calls, 0);
}

// The wait never runs into the request's own deadline: the last look answers for itself.
TEST_P(ExecutorTest, AWaitingRepeatNearItsDeadlineAnswersInProgress) {
  std::int64_t now = domain::NowMs();
  Plant("k11", "started", now + 60'000, now + 3'600'000);
  Request waiting = Req("k11");
  waiting.wait_for_inflight = true;
  ctx_.deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(50);
  int calls = 0;
  ApiError e = RunExpectingError(waiting, Writes("marker-11", "ok", &calls));
  EXPECT_EQ(e.code(), ErrorCode::kIdempotencyInProgress);
}

TEST_P(ExecutorTest, AnExpiredLeaseIsTakenOverByExactlyOneOfConcurrentRetries) {
  std::int64_t now = domain::NowMs();
  Plant("k9", "started", now - 1, now + 3'600'000);
  constexpr int kThreads = 6;
  std::atomic<int> calls{0};
  std::atomic<int> executed{0}, replayed{0}, in_progress{0}, other{0};
  std::barrier start(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&] {
      RequestContext ctx;
      ctx.correlation_id = "corr-t";
      ctx.logger = logger_.get();
      start.arrive_and_wait();
      try {
        Result r = executor_->Run(ctx, Req("k9"), [&](storage::Tx&) {
          ++calls;
          return Outcome{201, "taken"};
        });
        ++(r.replayed ? replayed : executed);
      } catch (const ApiError& e) {
        ++(e.code() == ErrorCode::kIdempotencyInProgress ? in_progress : other);
      } catch (...) {
        ++other;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(calls.load(), 1);
  EXPECT_EQ(executed.load(), 1);
  EXPECT_EQ(replayed.load() + in_progress.load(), kThreads - 1);
  EXPECT_EQ(other.load(), 0);
  auto stored = Find("k9");
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->state, "completed");
  EXPECT_EQ(stored->response_body, "taken");
}

TEST_P(ExecutorTest, ConcurrentFirstRequestsExecuteOnce) {
  constexpr int kThreads = 6;
  std::atomic<int> calls{0}, executed{0}, answered{0};
  std::barrier start(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&] {
      RequestContext ctx;
      ctx.correlation_id = "corr-t";
      ctx.logger = logger_.get();
      start.arrive_and_wait();
      try {
        Result r = executor_->Run(ctx, Req("k10"), [&](storage::Tx&) {
          ++calls;
          return Outcome{201, "once"};
        });
        ++(r.replayed ? answered : executed);
      } catch (const ApiError& e) {
        if (e.code() == ErrorCode::kIdempotencyInProgress) ++answered;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(calls.load(), 1);
  EXPECT_EQ(executed.load(), 1);
  EXPECT_EQ(answered.load(), kThreads - 1);
}

// With group commit a fresh key's claim commits only with its batch; meanwhile a repeat must
// not wait behind the batch: it finds the key in the in-flight set and answers at once (409, or
// NotReady for a waiting repeat), and the first request's answer is then replayed.
TEST_P(ExecutorTest, ARepeatOfAKeyWaitingInItsBatchAnswersInProgressAtOnce) {
  if (!GetParam()) GTEST_SKIP() << "group commit only";
  std::latch entered(1), release(1);
  int calls = 0;
  std::thread first([&] {
    RequestContext ctx;
    ctx.correlation_id = "corr-first";
    ctx.logger = logger_.get();
    executor_->Run(ctx, Req("k12"), [&](storage::Tx& tx) {
      Outcome o = Writes("marker-12", "first", &calls)(tx);
      entered.count_down();
      release.wait();  // the batch stays open, uncommitted
      return o;
    });
  });
  entered.wait();
  auto before = std::chrono::steady_clock::now();
  ApiError e = RunExpectingError(Req("k12"), Writes("marker-12b", "second", &calls));
  EXPECT_EQ(e.code(), ErrorCode::kIdempotencyInProgress);
  Request waiting = Req("k12");
  waiting.wait_for_inflight = true;
  EXPECT_THROW(executor_->Run(ctx_, waiting, Writes("marker-12c", "third", &calls)), NotReady);
  EXPECT_LT(std::chrono::steady_clock::now() - before, std::chrono::seconds(1)) << "it must not wait for the batch";
  release.count_down();
  first.join();
  EXPECT_EQ(calls, 1);
  Result replay = executor_->Run(ctx_, Req("k12"), Writes("marker-12d", "fourth", &calls));
  EXPECT_TRUE(replay.replayed);
  EXPECT_EQ(replay.body, "first");
  EXPECT_EQ(calls, 1);
}

// The claim commits with the operation's writes in one unit: a 5xx leaves no claim behind.
TEST_P(ExecutorTest, GroupedUnitsCommitTogetherAndAFailureRollsBackItsClaim) {
  if (!GetParam()) GTEST_SKIP() << "group commit only";
  int calls = 0;
  std::latch entered(1), release(1);
  std::thread blocker([&] {
    RequestContext ctx;
    ctx.logger = logger_.get();
    executor_->Run(ctx, Req("k13"), [&](storage::Tx& tx) {
      entered.count_down();
      release.wait();
      return Writes("marker-13", "a", &calls)(tx);
    });
  });
  entered.wait();
  std::vector<std::thread> more;
  std::atomic<int> failed{0};
  for (int i = 0; i < 3; ++i) {
    more.emplace_back([&, i] {
      RequestContext ctx;
      ctx.logger = logger_.get();
      try {
        executor_->Run(ctx, Req("k13-" + std::to_string(i)), [&, i](storage::Tx& tx) -> Outcome {
          Outcome o = Writes("marker-13-" + std::to_string(i), "b", &calls)(tx);
          if (i == 1) throw std::runtime_error("boom");
          return o;
        });
      } catch (const std::runtime_error&) {
        ++failed;
      }
    });
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (group_->queued() < 3 && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
  ASSERT_EQ(group_->queued(), 3u);
  release.count_down();
  blocker.join();
  for (auto& t : more) t.join();
  EXPECT_EQ(failed.load(), 1);
  EXPECT_EQ(group_->batches(), 2u) << "the three queued requests shared one batch";
  EXPECT_TRUE(Find("k13-0") && Find("marker-13-0"));
  EXPECT_FALSE(Find("k13-1")) << "the failed request's claim rolled back with it: the key stays free";
  EXPECT_FALSE(Find("marker-13-1"));
  EXPECT_TRUE(Find("k13-2") && Find("marker-13-2"));
  EXPECT_EQ(Find("k13-2")->state, "completed");
}

TEST_P(ExecutorTest, CleanupDeletesExpiredRecordsButNeverALiveLease) {
  std::int64_t now = domain::NowMs();
  Plant("done-old", "completed", 0, now - 10);
  Plant("dead-lease", "started", now - 5, now - 10);
  Plant("live-lease", "started", now + 60'000, now - 10);  // past retention, but still held
  Plant("done-fresh", "completed", 0, now + 3'600'000);
  EXPECT_EQ(executor_->Cleanup(now, /*batch=*/1), 2u);
  EXPECT_FALSE(Find("done-old"));
  EXPECT_FALSE(Find("dead-lease"));
  EXPECT_TRUE(Find("live-lease"));
  EXPECT_TRUE(Find("done-fresh"));
}

INSTANTIATE_TEST_SUITE_P(ClaimFirstAndGroupCommit, ExecutorTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? std::string("GroupCommit") : std::string("ClaimFirst");
                         });

TEST(ExecutorConstruction, RequiresAnErrorRenderer) {
  storage::Database db(storage::ParseDatabaseUrl("sqlite::memory:"), {});  // never connected here
  Metrics metrics;
  EXPECT_THROW(Executor(db, Options{}, metrics, nullptr), std::invalid_argument);
}

}  // namespace
}  // namespace rihla::idempotency
