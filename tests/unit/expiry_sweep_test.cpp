// The booking expiry sweep and the retention deletes against a real, migrated SQLite database
// in a temporary file (the functional suite runs them on every engine, at volume).
#include <gtest/gtest.h>
#include <stdlib.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

#include <soci/soci.h>

#include "cache/memory_cache.hpp"
#include "domain/time.hpp"
#include "idempotency/idempotency.hpp"
#include "observability/logger.hpp"
#include "services/booking_service.hpp"
#include "services/flight_service.hpp"
#include "storage/booking_repository.hpp"
#include "storage/flight_repository.hpp"
#include "storage/migrations.hpp"
#include "storage/retention.hpp"
#include "storage/user_repository.hpp"

namespace rihla {
namespace {

idempotency::StoredResponse NoRender(const ApiError&, std::string_view) { return {500, ""}; }

class ExpirySweepTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/rihla-sweep.XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    log_ = std::tmpfile();
    logger_ = std::make_unique<Logger>(LogLevel::kError, log_);
    db_ = std::make_unique<storage::Database>(storage::ParseDatabaseUrl("sqlite:" + dir_ + "/rihla.db"),
                                              storage::DatabaseOptions{4});
    ASSERT_GE(storage::ApplyMigrations(*db_, *logger_), 1);
    cache_ = std::make_unique<cache::MemoryCache>(metrics_, std::chrono::seconds(60), 100);
    idem_ = std::make_unique<idempotency::Executor>(*db_, idempotency::Options{}, metrics_, NoRender);
    flights_ = std::make_unique<services::FlightService>(*db_, *cache_, metrics_);
    bookings_ = std::make_unique<services::BookingService>(*db_, *idem_, *flights_, std::chrono::seconds(60));
    ctx_.logger = logger_.get();
    db_->Write([&](storage::Tx& tx) {
      storage::InsertAirports(tx, {{"RUH", "Riyadh", "Riyadh", "SA"}, {"JED", "Jeddah", "Jeddah", "SA"}});
      storage::InsertUser(tx, domain::User{"us_1", "a@example.com", "hash"}, "a@example.com", now_);
    });
  }
  void TearDown() override {
    bookings_.reset();
    flights_.reset();
    idem_.reset();
    cache_.reset();
    db_.reset();
    logger_.reset();
    if (log_ != nullptr) std::fclose(log_);
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

  // A flight with `total` seats of which `held` are held.
  std::string Flight(const std::string& id, int total, int held) {
    domain::Flight f{id,  "RT" + id.substr(3), "RUH", "JED", now_ + domain::kDayMs, now_ + domain::kDayMs + 3'600'000,
                     "economy", domain::Money{10000, "SAR"}, total, total - held};
    db_->Write([&](storage::Tx& tx) { storage::InsertFlight(tx, f, now_); });
    return id;
  }
  void Booking(const std::string& id, const std::string& flight, int seats, std::int64_t expires_ms,
               domain::BookingStatus status = domain::BookingStatus::kPendingPayment) {
    domain::Booking b{id, "us_1", flight, status, std::vector<domain::Passenger>(seats, {"A", "B"}),
                      domain::Money{10000, "SAR"}, now_ - 60'000, expires_ms};
    db_->Write([&](storage::Tx& tx) { storage::InsertBooking(tx, b, now_); });
  }
  domain::BookingStatus Status(const std::string& id) {
    std::optional<domain::Booking> b;
    db_->Read([&](storage::Tx& tx) { b = storage::FindBooking(tx, id); });
    return b->status;
  }
  int Seats(const std::string& flight) {
    std::optional<domain::Flight> f;
    db_->Read([&](storage::Tx& tx) { f = storage::FindFlight(tx, flight); });
    return f->seats_available;
  }

  std::int64_t now_ = domain::NowMs();
  std::string dir_;
  std::FILE* log_ = nullptr;
  std::unique_ptr<Logger> logger_;
  Metrics metrics_;
  std::unique_ptr<storage::Database> db_;
  std::unique_ptr<cache::MemoryCache> cache_;
  std::unique_ptr<idempotency::Executor> idem_;
  std::unique_ptr<services::FlightService> flights_;
  std::unique_ptr<services::BookingService> bookings_;
  RequestContext ctx_;
};

TEST_F(ExpirySweepTest, ExpiresEveryDueBookingInBatchesAndReleasesEachSeatOnce) {
  auto a = Flight("fl_a001", 10, 6);
  auto b = Flight("fl_b001", 10, 5);
  Booking("bk_1", a, 1, now_ - 5000);
  Booking("bk_2", a, 2, now_ - 4000);
  Booking("bk_3", b, 3, now_ - 3000);
  Booking("bk_4", a, 1, now_ - 2000);
  Booking("bk_5", b, 1, now_ - 1000);
  Booking("bk_later", a, 2, now_ + 60'000);                           // hold not over
  Booking("bk_paid", b, 1, now_ - 9000, domain::BookingStatus::kConfirmed);  // not pending
  // A batch of 2 needs three transactions for the five due bookings: the loop runs them all.
  EXPECT_EQ(bookings_->ExpireDue(ctx_, now_, /*batch=*/2), 5u);
  for (const char* id : {"bk_1", "bk_2", "bk_3", "bk_4", "bk_5"}) {
    EXPECT_EQ(Status(id), domain::BookingStatus::kExpired) << id;
  }
  EXPECT_EQ(Status("bk_later"), domain::BookingStatus::kPendingPayment);
  EXPECT_EQ(Status("bk_paid"), domain::BookingStatus::kConfirmed);
  EXPECT_EQ(Seats(a), 8);  // 4 released, bk_later's 2 still held
  EXPECT_EQ(Seats(b), 9);  // 4 released, bk_paid's 1 still held
  // A second sweep finds nothing and releases nothing.
  EXPECT_EQ(bookings_->ExpireDue(ctx_, now_, 2), 0u);
  EXPECT_EQ(Seats(a), 8);
  EXPECT_EQ(Seats(b), 9);
}

TEST_F(ExpirySweepTest, LagIsTheAgeOfTheOldestDueBookingAndZeroOnceSwept) {
  auto a = Flight("fl_a002", 10, 2);
  Booking("bk_old", a, 1, now_ - 7000);
  Booking("bk_new", a, 1, now_ - 1000);
  EXPECT_EQ(bookings_->ExpiryLagSeconds(now_), 0.0);  // nothing seen yet
  std::optional<std::int64_t> oldest;
  db_->Read([&](storage::Tx& tx) { oldest = storage::OldestDueExpiry(tx, now_); });
  EXPECT_EQ(oldest, now_ - 7000);
  EXPECT_EQ(bookings_->ExpireDue(ctx_, now_), 2u);
  EXPECT_EQ(bookings_->ExpiryLagSeconds(now_), 0.0);
  db_->Read([&](storage::Tx& tx) { oldest = storage::OldestDueExpiry(tx, now_); });
  EXPECT_FALSE(oldest.has_value());
}

TEST_F(ExpirySweepTest, ClaimTakesTheOldestDuePendingBookingsFirst) {
  auto a = Flight("fl_a003", 10, 4);
  Booking("bk_c", a, 1, now_ - 1000);
  Booking("bk_a", a, 1, now_ - 3000);
  Booking("bk_b", a, 2, now_ - 2000);
  std::vector<storage::DueBooking> due;
  db_->Write([&](storage::Tx& tx) { due = storage::ClaimDueBookings(tx, now_, 2); });
  ASSERT_EQ(due.size(), 2u);
  EXPECT_EQ(due[0].id, "bk_a");
  EXPECT_EQ(due[1].id, "bk_b");
  EXPECT_EQ(due[1].seats, 2);
  EXPECT_EQ(due[1].flight_id, a);
  EXPECT_EQ(due[1].expires_ms, now_ - 2000);
}

TEST_F(ExpirySweepTest, LoginFailuresOlderThanTheCutoffAreDeletedInBatches) {
  db_->Write([&](storage::Tx& tx) {
    for (int i = 0; i < 5; ++i) {
      long long at = now_ - 3'600'000 + i;  // an hour old
      tx.sql << "INSERT INTO login_failures (email_normalized, failed_at) VALUES ('a@example.com', :t)",
          soci::use(at);
    }
    long long recent = now_ - 1000;
    tx.sql << "INSERT INTO login_failures (email_normalized, failed_at) VALUES ('a@example.com', :t)",
        soci::use(recent);
  });
  std::int64_t cutoff = now_ - 15 * 60'000;
  std::size_t first = 0, second = 0, third = 0;
  db_->WriteStatement([&](storage::Tx& tx) { first = storage::DeleteLoginFailuresBefore(tx, cutoff, 3); });
  db_->WriteStatement([&](storage::Tx& tx) { second = storage::DeleteLoginFailuresBefore(tx, cutoff, 3); });
  db_->WriteStatement([&](storage::Tx& tx) { third = storage::DeleteLoginFailuresBefore(tx, cutoff, 3); });
  EXPECT_EQ(first, 3u);
  EXPECT_EQ(second, 2u);
  EXPECT_EQ(third, 0u);
  int left = 0;
  db_->Read([&](storage::Tx& tx) { tx.sql << "SELECT COUNT(*) FROM login_failures", soci::into(left); });
  EXPECT_EQ(left, 1);  // the recent one is kept
}

}  // namespace
}  // namespace rihla
