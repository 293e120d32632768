// The storage layer itself, on the configured engine (SQLite, PostgreSQL, MySQL/MariaDB): the
// same guarantees everywhere, driven with real threads against a real database.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <barrier>
#include <chrono>
#include <filesystem>
#include <latch>
#include <mutex>
#include <thread>

#include <soci/soci.h>

#include "domain/errors.hpp"
#include "domain/time.hpp"
#include "idempotency/idempotency.hpp"
#include "idempotency/record_store.hpp"
#include "observability/logger.hpp"
#include "storage/booking_repository.hpp"
#include "storage/flight_repository.hpp"
#include "storage/migrations.hpp"
#include "storage/payment_event_repository.hpp"
#include "storage/retention.hpp"
#include "storage/seed.hpp"
#include "storage/user_repository.hpp"
#include "support/server_process.hpp"

namespace rihla::test {
namespace {

// Options for a test's own Database: behind PgBouncer (RIHLA_TEST_POSTGRES_VIA=pgbouncer)
// as RIHLA_DB_POOLER=transaction configures it.
storage::DatabaseOptions TestOptions(std::size_t pool_size) {
  storage::DatabaseOptions o{.pool_size = pool_size};
  if (Backend() == "postgres" && PostgresVia() == "pgbouncer") {
    o.pooler = storage::Pooler::kTransaction;
    o.prepared = false;
  }
  return o;
}

class StorageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/rihla-st.XXXXXX";
    dir_ = ::mkdtemp(tmpl);
    url_ = FreshDatabaseUrl(dir_);
    db_ = std::make_unique<storage::Database>(storage::ParseDatabaseUrl(url_), TestOptions(8));
    logger_ = std::make_unique<Logger>(LogLevel::kError, log_ = std::tmpfile());
    int embedded = 0;
    for (const auto& m : storage::EmbeddedMigrations()) embedded += std::string(m.dialect) == Backend() ? 1 : 0;
    ASSERT_EQ(storage::ApplyMigrations(*db_, *logger_), embedded);
    storage::SeedDemoData(*db_, *logger_, domain::NowMs(), 0);
  }
  void TearDown() override {
    db_.reset();
    logger_.reset();
    if (log_ != nullptr) std::fclose(log_);
    std::string cmd = "rm -rf '" + dir_ + "'";
    [[maybe_unused]] int rc = std::system(cmd.c_str());
  }
  domain::Flight Flight(const std::string& id, int seats) {
    return domain::Flight{id, "ST" + id.substr(id.size() - 3), "RUH", "JED", domain::NowMs() + domain::kDayMs,
                          domain::NowMs() + domain::kDayMs + 3'600'000, "economy", {10000, "SAR"}, seats, seats};
  }
  std::string dir_;
  std::string url_;
  std::FILE* log_ = nullptr;
  std::unique_ptr<storage::Database> db_;
  std::unique_ptr<Logger> logger_;
};

TEST_F(StorageTest, MigrationsAreRecordedAndNotReapplied) {
  EXPECT_EQ(storage::PendingMigrations(*db_), 0);
  EXPECT_EQ(storage::ApplyMigrations(*db_, *logger_), 0);
}

TEST_F(StorageTest, DuplicateKeysSurfaceAsDuplicateKeyOnEveryEngine) {
  db_->Write([&](storage::Tx& tx) { storage::InsertFlight(tx, Flight("fl_dup001", 5), domain::NowMs()); });
  EXPECT_THROW(db_->Write([&](storage::Tx& tx) { storage::InsertFlight(tx, Flight("fl_dup001", 5), domain::NowMs()); }),
               DuplicateKey);
  idempotency::Record r{"idr_1", "POST /x", "user:1", "k", "fp", "started", "tok", 1, 0, "", 1, 2};
  db_->Write([&](storage::Tx& tx) { idempotency::InsertRecord(tx, r); });
  r.id = "idr_2";
  EXPECT_THROW(db_->Write([&](storage::Tx& tx) { idempotency::InsertRecord(tx, r); }), DuplicateKey);
  r.principal = "user:2";  // same key, another principal: independent
  EXPECT_NO_THROW(db_->Write([&](storage::Tx& tx) { idempotency::InsertRecord(tx, r); }));
}

TEST_F(StorageTest, SeatsCanNeverGoNegativeEvenUnderConcurrentHolds) {
  constexpr int kThreads = 16;
  db_->Write([&](storage::Tx& tx) { storage::InsertFlight(tx, Flight("fl_neg001", 10), domain::NowMs()); });
  std::barrier start(kThreads);
  std::atomic<int> held{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&] {
      start.arrive_and_wait();
      for (int j = 0; j < 3; ++j) {
        db_->Write([&](storage::Tx& tx) {
          if (storage::HoldSeats(tx, "fl_neg001", 1)) ++held;
        });
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(held.load(), 10);
  std::optional<domain::Flight> f;
  db_->Read([&](storage::Tx& tx) { f = storage::FindFlight(tx, "fl_neg001"); });
  EXPECT_EQ(f->seats_available, 0);
  // The schema refuses a negative count even if a statement forgot the guard.
  EXPECT_ANY_THROW(db_->Write([&](storage::Tx& tx) {
    tx.sql << "UPDATE flights SET seats_available = seats_available - 1 WHERE id = 'fl_neg001'";
  }));
}

TEST_F(StorageTest, HoldSeatsAndReadReturnsTheFlightAfterTheHoldAndNeverOversells) {
  constexpr int kThreads = 8;
  db_->Write([&](storage::Tx& tx) { storage::InsertFlight(tx, Flight("fl_har001", 5), domain::NowMs()); });
  std::barrier start(kThreads);
  std::atomic<int> held{0}, refused{0};
  std::mutex mu;
  std::vector<int> seen;  // seats_available each successful hold read
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&] {
      start.arrive_and_wait();
      db_->Write([&](storage::Tx& tx) {
        storage::SeatHold hold = storage::HoldSeatsAndRead(tx, "fl_har001", 1);
        ASSERT_TRUE(hold.flight.has_value());
        EXPECT_EQ(hold.flight->id, "fl_har001");
        EXPECT_EQ(hold.flight->price.minor, 10000);
        if (hold.held) {
          ++held;
          std::lock_guard lock(mu);
          seen.push_back(hold.flight->seats_available);
        } else {
          ++refused;
          EXPECT_EQ(hold.flight->seats_available, 0) << "refused only when sold out";
        }
      });
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(held.load(), 5);
  EXPECT_EQ(refused.load(), kThreads - 5);
  std::sort(seen.begin(), seen.end());
  EXPECT_EQ(seen, (std::vector<int>{0, 1, 2, 3, 4})) << "each hold reads the row as it left it";
  db_->Write([&](storage::Tx& tx) {
    storage::SeatHold none = storage::HoldSeatsAndRead(tx, "fl_nosuch", 1);
    EXPECT_FALSE(none.held);
    EXPECT_FALSE(none.flight.has_value());
  });
}

// The locked claim's statement (PostgreSQL): a second transaction never waits for the lock,
// it learns at once that another holds it, and takes it once that one ended.
TEST_F(StorageTest, TheTransactionLockNeverWaitsAndEndsWithItsTransaction) {
  if (db_->dialect().try_transaction_lock.empty()) GTEST_SKIP() << "no transaction lock on " << Backend();
  std::int64_t now = domain::NowMs();
  std::latch taken(1), release(1);
  std::thread holder([&] {
    db_->Write([&](storage::Tx& tx) {
      auto read = idempotency::LockAndFindRecord(tx, 4242, "POST /x", "user:1", "locked");
      EXPECT_TRUE(read.locked);
      EXPECT_FALSE(read.record.has_value());
      taken.count_down();
      release.wait();
    });
  });
  taken.wait();
  auto started = std::chrono::steady_clock::now();
  idempotency::LockedRead other;
  db_->Write([&](storage::Tx& tx) { other = idempotency::LockAndFindRecord(tx, 4242, "POST /x", "user:1", "locked"); });
  EXPECT_FALSE(other.locked) << "held by the other transaction";
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(2)) << "answered without waiting";
  db_->Write([&](storage::Tx& tx) {
    EXPECT_TRUE(idempotency::LockAndFindRecord(tx, 4243, "POST /x", "user:1", "locked").locked) << "another key";
  });
  release.count_down();
  holder.join();

  idempotency::Record r{"idr_lk", "POST /x", "user:1", "locked", "fp", "completed", "tok", 0, 201, "{\"ok\":1}",
                        now, now + 100000, "RUH-JED.2026-12-03.economy", now};
  db_->Write([&](storage::Tx& tx) { idempotency::InsertCompletedRecord(tx, r); });
  db_->Write([&](storage::Tx& tx) {
    auto read = idempotency::LockAndFindRecord(tx, 4242, "POST /x", "user:1", "locked");
    EXPECT_TRUE(read.locked) << "the holder's transaction ended";
    ASSERT_TRUE(read.record.has_value());
    EXPECT_EQ(read.record->state, "completed");
    EXPECT_EQ(read.record->response_status, 201);
    EXPECT_EQ(read.record->response_body, "{\"ok\":1}");
    EXPECT_EQ(read.record->changed_scope, "RUH-JED.2026-12-03.economy");
    EXPECT_EQ(read.record->completed_ms, now);
  });
  EXPECT_THROW(db_->Write([&](storage::Tx& tx) { idempotency::InsertCompletedRecord(tx, r); }), DuplicateKey);
}

TEST_F(StorageTest, AnExpiredLeaseIsTakenOverByExactlyOneRetry) {
  constexpr int kThreads = 12;
  std::int64_t now = domain::NowMs();
  idempotency::Record r{"idr_lease", "POST /x", "user:1", "lease", "fp", "started", "old", now - 1, 0, "", now, now + 100000};
  db_->Write([&](storage::Tx& tx) { idempotency::InsertRecord(tx, r); });
  std::barrier start(kThreads);
  std::atomic<int> winners{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      start.arrive_and_wait();
      db_->Write([&](storage::Tx& tx) {
        if (idempotency::TakeOverRecord(tx, "idr_lease", "old", "new" + std::to_string(i), domain::NowMs(),
                                        domain::NowMs() + 30000)) {
          ++winners;
        }
      });
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(winners.load(), 1);
}

TEST_F(StorageTest, CleanupNeverDeletesALiveLease) {
  std::int64_t now = domain::NowMs();
  idempotency::Record live{"idr_live", "POST /x", "user:1", "live", "fp", "started", "t", now + 60000, 0, "", now - 10, now - 5};
  idempotency::Record done{"idr_done", "POST /x", "user:1", "done", "fp", "completed", "t", 0, 201, "{}", now - 10, now - 5};
  db_->Write([&](storage::Tx& tx) {
    idempotency::InsertRecord(tx, live);
    idempotency::InsertRecord(tx, done);
  });
  std::size_t deleted = 0;
  db_->WriteStatement([&](storage::Tx& tx) { deleted = idempotency::DeleteExpiredRecords(tx, now, 100); });
  EXPECT_EQ(deleted, 1u);
  std::optional<idempotency::Record> found;
  db_->Read([&](storage::Tx& tx) { found = idempotency::FindRecord(tx, "POST /x", "user:1", "live"); });
  EXPECT_TRUE(found.has_value());
  db_->Read([&](storage::Tx& tx) { found = idempotency::FindRecord(tx, "POST /x", "user:1", "done"); });
  EXPECT_FALSE(found.has_value());
}

TEST_F(StorageTest, CleanupDeletesExpiredRecordsInBoundedBatches) {
  std::int64_t now = domain::NowMs();
  db_->Write([&](storage::Tx& tx) {
    for (int i = 0; i < 5; ++i) {
      std::string key = "old" + std::to_string(i);
      idempotency::InsertRecord(tx, {"idr_" + key, "POST /x", "user:1", key, "fp", "completed", "t", 0, 201, "{}",
                                     now - 10, now - 5 + i});
    }
  });
  std::vector<std::size_t> batches;
  for (int i = 0; i < 3; ++i) {
    db_->WriteStatement([&](storage::Tx& tx) { batches.push_back(idempotency::DeleteExpiredRecords(tx, now, 2)); });
  }
  EXPECT_EQ(batches, (std::vector<std::size_t>{2, 2, 1}));
}

TEST_F(StorageTest, LoginFailuresOlderThanTheWindowAreDeletedInBatches) {
  std::int64_t now = domain::NowMs();
  db_->Write([&](storage::Tx& tx) {
    for (long long at : {now - 3'600'000, now - 3'500'000, now - 3'400'000, now - 1000}) {
      tx.sql << "INSERT INTO login_failures (email_normalized, failed_at) VALUES ('a@example.com', :t)",
          soci::use(at);
    }
  });
  std::int64_t cutoff =
      now - std::chrono::duration_cast<std::chrono::milliseconds>(storage::kLoginFailureRetention).count();
  std::vector<std::size_t> batches;
  for (int i = 0; i < 2; ++i) {
    db_->WriteStatement(
        [&](storage::Tx& tx) { batches.push_back(storage::DeleteLoginFailuresBefore(tx, cutoff, 2)); });
  }
  EXPECT_EQ(batches, (std::vector<std::size_t>{2, 1}));
  int left = 0;
  db_->Read([&](storage::Tx& tx) { tx.sql << "SELECT COUNT(*) FROM login_failures", soci::into(left); });
  EXPECT_EQ(left, 1);  // the recent one is kept
}

// Two sweeps in two instances: while one transaction holds its claimed batch, another claim
// skips those rows instead of waiting for them (FOR UPDATE SKIP LOCKED).
TEST_F(StorageTest, ConcurrentExpiryClaimsTakeDisjointBookings) {
  if (storage::DialectOf(storage::ParseDatabaseUrl(url_).engine).single_writer) {
    GTEST_SKIP() << "one writer at a time: two claims never overlap";
  }
  std::int64_t now = domain::NowMs();
  db_->Write([&](storage::Tx& tx) {
    storage::InsertUser(tx, domain::User{"usr_claim", "claim@example.com", "hash"}, "claim@example.com", now);
    storage::InsertFlight(tx, Flight("fl_claim01", 10), now);
    for (int i = 0; i < 6; ++i) {
      domain::Booking b{"bk_claim" + std::to_string(i), "usr_claim", "fl_claim01",
                        domain::BookingStatus::kPendingPayment, {{"A", "B"}}, {10000, "SAR"}, now - 10'000,
                        now - 6000 + i};
      storage::InsertBooking(tx, b, now);
    }
  });
  std::vector<storage::DueBooking> first, second;
  std::latch claimed(1), release(1);
  std::thread holder([&] {
    db_->Write([&](storage::Tx& tx) {
      first = storage::ClaimDueBookings(tx, now, 3);
      claimed.count_down();
      release.wait();
    });
  });
  claimed.wait();
  try {
    db_->Write([&](storage::Tx& tx) { second = storage::ClaimDueBookings(tx, now, 6); });
  } catch (const std::exception& e) {
    ADD_FAILURE() << "the second claim failed instead of skipping locked rows: " << e.what();
  }
  release.count_down();
  holder.join();
  ASSERT_EQ(first.size(), 3u);
  ASSERT_EQ(second.size(), 3u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(first[static_cast<std::size_t>(i)].id, "bk_claim" + std::to_string(i));  // oldest first
    EXPECT_EQ(second[static_cast<std::size_t>(i)].id, "bk_claim" + std::to_string(i + 3));
  }
}

// InsertBooking and InsertCompletedRecord are writes sent with the COMMIT (PostgreSQL: one
// pipeline; MySQL/MariaDB: one multi-statement query; SQLite: at once): they commit together
// with the transaction's other statements or not at all, and a refused one fails the whole Write, leaving the connection
// usable. One connection, so that every run reuses it and its prepared statements.
TEST_F(StorageTest, WritesSentWithTheCommitCommitTogetherOrNotAtAll) {
  storage::Database db(storage::ParseDatabaseUrl(url_), TestOptions(1));
  db.Write([&](storage::Tx& tx) {
    storage::InsertUser(tx, domain::User{"usr_acw1", "acw@example.com", "hash"}, "acw@example.com", domain::NowMs());
    storage::InsertFlight(tx, Flight("fl_acw001", 10), domain::NowMs());
  });
  auto booking = [](const std::string& id, int passengers) {
    domain::Booking b{id, "usr_acw1", "fl_acw001", domain::BookingStatus::kPendingPayment, {}, {12345, "SAR"}, 1000, 2000};
    for (int i = 0; i < passengers; ++i) b.passengers.push_back({"Given" + std::to_string(i), "O'Fam\\ily; :x \u00e9"});
    return b;
  };
  auto record = [](const std::string& id, const std::string& key, const std::string& changed_scope) {
    idempotency::Record r;
    r.id = id;
    r.scope = "POST /v1/bookings";
    r.principal = "user:usr_acw1";
    r.key = key;
    r.fingerprint = "fp";
    r.state = "completed";
    r.lease_token = "tok";
    r.response_status = 201;
    r.response_body = "{\"id\":\"" + id + "\"}";
    r.created_ms = 1;
    r.expires_ms = 2;
    r.changed_scope = changed_scope;
    r.completed_ms = 3;
    return r;
  };
  auto seats = [&] {
    std::optional<domain::Flight> f;
    db.Read([&](storage::Tx& tx) { f = storage::FindFlight(tx, "fl_acw001"); });
    return f ? f->seats_available : -1;
  };

  for (int run = 0; run < 3; ++run) {  // the first run prepares, the later ones reuse
    std::string n = std::to_string(run);
    db.Write([&](storage::Tx& tx) {
      ASSERT_TRUE(storage::HoldSeats(tx, "fl_acw001", 2));
      storage::InsertBooking(tx, booking("bk_acw00" + n, 2), 1500);
      idempotency::InsertCompletedRecord(tx, record("idr_acw" + n, "key-" + n, run == 0 ? "" : "RUH-JED|d|economy"));
    });
  }
  EXPECT_EQ(seats(), 4);
  std::optional<domain::Booking> found;
  std::optional<idempotency::Record> first, second;
  db.Read([&](storage::Tx& tx) {
    found = storage::FindBooking(tx, "bk_acw001");
    first = idempotency::FindRecord(tx, "POST /v1/bookings", "user:usr_acw1", "key-0");
    second = idempotency::FindRecord(tx, "POST /v1/bookings", "user:usr_acw1", "key-1");
  });
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->total.minor, 12345);
  EXPECT_EQ(found->expires_ms, 2000);
  ASSERT_EQ(found->passengers.size(), 2u);
  EXPECT_EQ(found->passengers[0].given_name, "Given0");  // in seq order
  EXPECT_EQ(found->passengers[1].family_name, "O'Fam\\ily; :x \u00e9");  // bound, not SQL
  ASSERT_TRUE(first.has_value() && second.has_value());
  EXPECT_EQ(first->state, "completed");
  EXPECT_EQ(first->response_body, "{\"id\":\"idr_acw0\"}");
  EXPECT_EQ(first->changed_scope, "");  // stored as NULL
  EXPECT_EQ(second->changed_scope, "RUH-JED|d|economy");
  EXPECT_EQ(second->completed_ms, 3);

  // A record for a key that exists: the Write fails with DuplicateKey, and its hold and its
  // booking are rolled back with it.
  for (int run = 0; run < 2; ++run) {
    EXPECT_THROW(db.Write([&](storage::Tx& tx) {
      ASSERT_TRUE(storage::HoldSeats(tx, "fl_acw001", 1));
      storage::InsertBooking(tx, booking("bk_acwdup" + std::to_string(run), 1), 1500);
      idempotency::InsertCompletedRecord(tx, record("idr_acwdup" + std::to_string(run), "key-0", ""));
    }),
                 DuplicateKey);
  }
  EXPECT_EQ(seats(), 4);
  db.Read([&](storage::Tx& tx) { found = storage::FindBooking(tx, "bk_acwdup0"); });
  EXPECT_FALSE(found.has_value());
  // The one connection is still usable, for reads and for writes sent with the commit.
  db.Write([&](storage::Tx& tx) {
    ASSERT_TRUE(storage::HoldSeats(tx, "fl_acw001", 1));
    storage::InsertBooking(tx, booking("bk_acw009", 1), 1500);
  });
  EXPECT_EQ(seats(), 3);
  EXPECT_EQ(db.in_use(), 0u);
  if (!TestOptions(1).prepared) return;
  EXPECT_GT(db.statement_counters().reuses.load(), 0u);
}

// Database::WriteStartingWith sends its first write with the BEGIN (MySQL/MariaDB: one
// multi-statement query; elsewhere one after the other). The write commits with the rest of
// the transaction; when only it fails (here: a duplicate key), fn gets its error and the
// transaction goes on without it (PostgreSQL aborts it instead: fn can only end it); when fn
// throws, the first write rolls back too. Every run
// on one connection, which stays usable; values are bound, never SQL.
TEST_F(StorageTest, AWriteSentWithTheBeginCommitsWithItsTransactionAndOnlyItsOwnErrorIsHandedOver) {
  storage::Database db(storage::ParseDatabaseUrl(url_), TestOptions(1));
  db.Write([&](storage::Tx& tx) { storage::InsertFlight(tx, Flight("fl_wsw001", 10), domain::NowMs()); });
  const std::string hostile = "O'Key\\; :x \u00e9";
  auto claim = [&](const std::string& id, const std::string& key) {
    idempotency::Record r;
    r.id = id;
    r.scope = "POST /v1/bookings";
    r.principal = "user:usr_wsw1";
    r.key = key;
    r.fingerprint = "fp";
    r.lease_token = "tok";
    r.created_ms = 1;
    r.expires_ms = 2;
    return idempotency::NoWaitInsertStatement(db.NoWaitInsertPrefix(), r);
  };
  auto record = [&](const std::string& key) {
    std::optional<idempotency::Record> r;
    db.Read([&](storage::Tx& tx) { r = idempotency::FindRecord(tx, "POST /v1/bookings", "user:usr_wsw1", key); });
    return r;
  };
  auto seats = [&] {
    std::optional<domain::Flight> f;
    db.Read([&](storage::Tx& tx) { f = storage::FindFlight(tx, "fl_wsw001"); });
    return f ? f->seats_available : -1;
  };

  // Succeeds: the claim and the hold commit together.
  for (int run = 0; run < 2; ++run) {
    std::string key = hostile + std::to_string(run);
    db.WriteStartingWith(claim("idr_wsw" + std::to_string(run), key), [&](storage::Tx& tx, std::exception_ptr error) {
      EXPECT_EQ(error, nullptr);
      ASSERT_TRUE(storage::HoldSeats(tx, "fl_wsw001", 1));
    });
    auto stored = record(key);
    ASSERT_TRUE(stored.has_value()) << key;
    EXPECT_EQ(stored->key, key);
    EXPECT_EQ(stored->state, "started");
  }
  EXPECT_EQ(seats(), 8);

  // Only the first write fails: fn gets its error, and what fn writes after it commits.
  const bool goes_on = db.dialect().engine != storage::Engine::kPostgres;
  db.WriteStartingWith(claim("idr_wswdup", hostile + "0"), [&](storage::Tx& tx, std::exception_ptr error) {
    ASSERT_NE(error, nullptr);
    EXPECT_THROW(std::rethrow_exception(error), soci::soci_error);
    EXPECT_EQ(idempotency::JudgeNoWaitInsert(error, tx.dialect), idempotency::NoWaitInsert::kExists);
    if (goes_on) {
      ASSERT_TRUE(storage::HoldSeats(tx, "fl_wsw001", 1));
    }
  });
  const int after = goes_on ? 7 : 8;
  EXPECT_EQ(seats(), after);
  auto kept = record(hostile + "0");
  ASSERT_TRUE(kept.has_value());
  EXPECT_EQ(kept->id, "idr_wsw0");
  // ... inside the transaction, not in autocommit: a hold after the failed first write rolls
  // back when fn throws.
  if (goes_on) {
    EXPECT_THROW(db.WriteStartingWith(claim("idr_wswdup2", hostile + "1"),
                                      [&](storage::Tx& tx, std::exception_ptr error) {
                                        ASSERT_NE(error, nullptr);
                                        ASSERT_TRUE(storage::HoldSeats(tx, "fl_wsw001", 1));
                                        throw std::runtime_error("the operation failed");
                                      }),
                 std::runtime_error);
    EXPECT_EQ(seats(), after);
  }

  // fn throws: the first write and fn's own roll back together.
  EXPECT_THROW(db.WriteStartingWith(claim("idr_wswthrow", "thrown"),
                                    [&](storage::Tx& tx, std::exception_ptr error) {
                                      EXPECT_EQ(error, nullptr);
                                      ASSERT_TRUE(storage::HoldSeats(tx, "fl_wsw001", 1));
                                      throw std::runtime_error("the operation failed");
                                    }),
               std::runtime_error);
  EXPECT_FALSE(record("thrown").has_value());
  EXPECT_EQ(seats(), after);
  EXPECT_EQ(db.in_use(), 0u);
}

// PostgreSQL's locked claim sends its record insert with the COMMIT. When another connection
// commits a record for the same key while the operation runs (no lock stops a plain insert),
// that insert fails at the commit: everything the operation wrote rolls back, and the request
// answers the record that won, running the operation only once.
TEST_F(StorageTest, ALockedClaimMeetingARecordCommittedMeanwhileRollsBackAndReplaysIt) {
  if (db_->dialect().try_transaction_lock.empty()) GTEST_SKIP() << "the locked claim (PostgreSQL) only";
  db_->Write([&](storage::Tx& tx) { storage::InsertFlight(tx, Flight("fl_lcm001", 5), domain::NowMs()); });
  Metrics metrics;
  idempotency::Executor executor(*db_, idempotency::Options{}, metrics,
                                 [](const ApiError&, std::string_view) { return idempotency::StoredResponse{400, "x"}; },
                                 nullptr);
  RequestContext ctx;
  ctx.correlation_id = "corr-lcm";
  ctx.logger = logger_.get();
  const idempotency::Request request{"POST /v1/things", "user:u1", "k-meanwhile", "fp-1", false};
  idempotency::Record theirs;
  theirs.id = "idr_theirs";
  theirs.scope = request.scope;
  theirs.principal = request.principal;
  theirs.key = request.key;
  theirs.fingerprint = request.fingerprint;
  theirs.state = "completed";
  theirs.lease_token = "tok";
  theirs.response_status = 201;
  theirs.response_body = "theirs";
  theirs.created_ms = domain::NowMs();
  theirs.expires_ms = theirs.created_ms + 3'600'000;
  theirs.completed_ms = theirs.created_ms;
  int calls = 0;
  idempotency::Result result = executor.Run(ctx, request, [&](storage::Tx& tx) {
    ++calls;
    EXPECT_TRUE(storage::HoldSeats(tx, "fl_lcm001", 2));
    db_->WriteStatement([&](storage::Tx& other) { idempotency::InsertCompletedRecord(other, theirs); });
    return idempotency::Outcome{201, "ours", std::nullopt, std::nullopt};
  });
  EXPECT_EQ(calls, 1);
  EXPECT_TRUE(result.replayed);
  EXPECT_EQ(result.body, "theirs");
  std::optional<domain::Flight> f;
  db_->Read([&](storage::Tx& tx) { f = storage::FindFlight(tx, "fl_lcm001"); });
  EXPECT_EQ(f->seats_available, 5);  // the hold rolled back with the refused insert
  EXPECT_EQ(db_->in_use(), 0u);
}

// MariaDB's no-wait claim: the claim is the business transaction's first statement, so while
// one request runs, a repeat learns at once (not after the lock wait timeout) that the key is in
// flight; once the first commits, the repeat replays it. A failure rolls the claim back with
// everything else (the key stays free), and a 4xx is stored with no write behind.
TEST_F(StorageTest, TheNoWaitClaimAnswersInProgressAtOnceAndCommitsWithItsOperation) {
  if (db_->NoWaitInsertPrefix().empty()) GTEST_SKIP() << "the no-wait claim (MariaDB) only";
  db_->Write([&](storage::Tx& tx) { storage::InsertFlight(tx, Flight("fl_nwc001", 5), domain::NowMs()); });
  Metrics metrics;
  idempotency::Executor executor(*db_, idempotency::Options{}, metrics,
                                 [](const ApiError& e, std::string_view) {
                                   return idempotency::StoredResponse{e.code() == ErrorCode::kSoldOut ? 409 : 500,
                                                                      "problem"};
                                 },
                                 nullptr);
  RequestContext ctx;
  ctx.correlation_id = "corr-nwc";
  ctx.logger = logger_.get();
  auto seats = [&] {
    std::optional<domain::Flight> f;
    db_->Read([&](storage::Tx& tx) { f = storage::FindFlight(tx, "fl_nwc001"); });
    return f->seats_available;
  };
  auto record = [&](const std::string& key) {
    std::optional<idempotency::Record> r;
    db_->Read([&](storage::Tx& tx) { r = idempotency::FindRecord(tx, "POST /v1/things", "user:u1", key); });
    return r;
  };
  const idempotency::Request request{"POST /v1/things", "user:u1", "k-nowait", "fp-1", false};
  std::latch inside(1), release(1);
  std::atomic<int> calls{0};
  idempotency::Result first;
  std::thread holder([&] {
    RequestContext own;
    own.correlation_id = "corr-nwc-1";
    own.logger = logger_.get();
    first = executor.Run(own, request, [&](storage::Tx& tx) {
      ++calls;
      EXPECT_TRUE(storage::HoldSeats(tx, "fl_nwc001", 2));
      inside.count_down();
      release.wait();
      return idempotency::Outcome{201, "first", std::nullopt, std::nullopt};
    });
  });
  inside.wait();
  auto started = std::chrono::steady_clock::now();
  try {
    executor.Run(ctx, request, [&](storage::Tx&) {
      ++calls;
      return idempotency::Outcome{201, "second", std::nullopt, std::nullopt};
    });
    ADD_FAILURE() << "a repeat of an in-flight key must not execute";
  } catch (const ApiError& e) {
    EXPECT_EQ(e.code(), ErrorCode::kIdempotencyInProgress);
  }
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(2)) << "answered without waiting";
  idempotency::Request parks = request;
  parks.wait_for_inflight = true;
  ctx.started = std::chrono::steady_clock::now();
  ctx.deadline = ctx.started + std::chrono::seconds(30);
  EXPECT_THROW(executor.Run(ctx, parks, [&](storage::Tx&) { return idempotency::Outcome{}; }), NotReady);
  EXPECT_FALSE(record("k-nowait").has_value()) << "the claim is not committed before its operation";
  release.count_down();
  holder.join();
  EXPECT_EQ(first.status, 201);
  EXPECT_FALSE(first.replayed);
  EXPECT_EQ(seats(), 3);
  auto stored = record("k-nowait");
  ASSERT_TRUE(stored.has_value());
  EXPECT_EQ(stored->state, "completed");
  idempotency::Result replay = executor.Run(ctx, request, [&](storage::Tx&) {
    ++calls;
    return idempotency::Outcome{201, "again", std::nullopt, std::nullopt};
  });
  EXPECT_TRUE(replay.replayed);
  EXPECT_EQ(replay.body, "first");
  EXPECT_EQ(calls.load(), 1);

  // A failure (not an ApiError) rolls back the hold and the claim: the key is free again.
  const idempotency::Request failing{"POST /v1/things", "user:u1", "k-fails", "fp-2", false};
  EXPECT_THROW(executor.Run(ctx, failing,
                            [&](storage::Tx& tx) -> idempotency::Outcome {
                              EXPECT_TRUE(storage::HoldSeats(tx, "fl_nwc001", 1));
                              throw std::runtime_error("the operation failed");
                            }),
               std::runtime_error);
  EXPECT_FALSE(record("k-fails").has_value());
  EXPECT_EQ(seats(), 3);
  EXPECT_EQ(executor.Run(ctx, failing, [&](storage::Tx&) { return idempotency::Outcome{201, "ok", {}, {}}; }).body,
            "ok");

  // A 4xx: the hold rolls back, the problem is the stored answer.
  const idempotency::Request sold_out{"POST /v1/things", "user:u1", "k-4xx", "fp-3", false};
  idempotency::Result refused = executor.Run(ctx, sold_out, [&](storage::Tx& tx) -> idempotency::Outcome {
    EXPECT_TRUE(storage::HoldSeats(tx, "fl_nwc001", 1));
    throw ApiError(ErrorCode::kSoldOut, "sold out");
  });
  EXPECT_EQ(refused.status, 409);
  EXPECT_EQ(seats(), 3);
  auto problem = record("k-4xx");
  ASSERT_TRUE(problem.has_value());
  EXPECT_EQ(problem->state, "completed");
  EXPECT_EQ(problem->response_status, 409);
  EXPECT_TRUE(executor.Run(ctx, sold_out, [&](storage::Tx&) { return idempotency::Outcome{}; }).replayed);
  EXPECT_EQ(db_->in_use(), 0u);
}

TEST_F(StorageTest, UniqueColumnsOtherThanTheKeySurfaceAsDuplicateKey) {
  domain::User user{"usr_dup1", "Dup@Example.com", "hash"};
  db_->Write([&](storage::Tx& tx) { storage::InsertUser(tx, user, "dup@example.com", domain::NowMs()); });
  user.id = "usr_dup2";  // another id, the same normalized email
  EXPECT_THROW(
      db_->Write([&](storage::Tx& tx) { storage::InsertUser(tx, user, "dup@example.com", domain::NowMs()); }),
      DuplicateKey);
  storage::PaymentEventRow event{"evt_dup", "payment.succeeded", "", "", "ignored", "", 0};
  db_->Write([&](storage::Tx& tx) { storage::InsertPaymentEvent(tx, event, domain::NowMs()); });
  EXPECT_THROW(db_->Write([&](storage::Tx& tx) { storage::InsertPaymentEvent(tx, event, domain::NowMs()); }),
               DuplicateKey);
}

TEST_F(StorageTest, AWriteThatThrowsIsRolledBackAndTheConnectionStaysUsable) {
  EXPECT_THROW(db_->Write([&](storage::Tx& tx) {
    storage::InsertFlight(tx, Flight("fl_rb0001", 5), domain::NowMs());
    throw std::runtime_error("the operation failed after its insert");
  }),
               std::runtime_error);
  std::optional<domain::Flight> f;
  db_->Read([&](storage::Tx& tx) { f = storage::FindFlight(tx, "fl_rb0001"); });
  EXPECT_FALSE(f.has_value());
  db_->Write([&](storage::Tx& tx) { storage::InsertFlight(tx, Flight("fl_rb0001", 5), domain::NowMs()); });
  db_->Read([&](storage::Tx& tx) { f = storage::FindFlight(tx, "fl_rb0001"); });
  EXPECT_TRUE(f.has_value());
  EXPECT_EQ(db_->in_use(), 0u);
}

TEST_F(StorageTest, AnExhaustedPoolIsStorageUnavailableAfterTheAcquireTimeout) {
  storage::DatabaseOptions options = TestOptions(1);
  options.acquire_timeout = std::chrono::milliseconds(100);
  storage::Database one(storage::ParseDatabaseUrl(url_), options);
  bool inner_refused = false;
  one.Read([&](storage::Tx&) {
    try {
      one.Read([](storage::Tx&) {});
    } catch (const StorageUnavailable&) {
      inner_refused = true;
    }
  });
  EXPECT_TRUE(inner_refused);
  EXPECT_EQ(one.in_use(), 0u);
  EXPECT_TRUE(one.Ping());  // the one connection went back to the pool
}

// Two migrates never run at once: while another session holds MySQL's migration lock, a
// migrate waits (up to its query timeout) and then refuses, applying nothing.
TEST_F(StorageTest, MigrateRefusesWithoutTheMysqlMigrationLock) {
  if (Backend() != "mysql") GTEST_SKIP() << "GET_LOCK is MySQL's migration lock";
  storage::Database holder(storage::ParseDatabaseUrl(url_), storage::DatabaseOptions{.pool_size = 1});
  int got = 0;
  holder.Raw([&](storage::Tx& tx) { tx.sql << "SELECT GET_LOCK('rihla_migrate', 0)", soci::into(got); });
  ASSERT_EQ(got, 1);  // the one pooled connection of `holder` keeps it
  storage::Database migrator(storage::ParseDatabaseUrl(url_),
                             storage::DatabaseOptions{.pool_size = 1, .query_timeout = std::chrono::seconds(2)});
  try {
    storage::ApplyMigrations(migrator, *logger_);
    ADD_FAILURE() << "migrated without the lock";
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("migration lock"), std::string::npos) << e.what();
  }
  holder.Raw([&](storage::Tx& tx) { tx.sql << "SELECT RELEASE_LOCK('rihla_migrate')", soci::into(got); });
  EXPECT_EQ(storage::ApplyMigrations(migrator, *logger_), 0) << "with the lock free it runs (nothing pending)";
}

// Behind a transaction pooler nothing set on the session can be relied on: every transaction
// sets the query timeouts itself (Write, and Read and WriteStatement, which then run in one),
// and the session carries none (SHOW outside a transaction sees the server default).
TEST_F(StorageTest, BehindATransactionPoolerEveryTransactionSetsItsTimeouts) {
  if (Backend() != "postgres") GTEST_SKIP() << "only PostgreSQL runs behind a transaction pooler";
  storage::Database db(storage::ParseDatabaseUrl(url_),
                       storage::DatabaseOptions{.pool_size = 1, .query_timeout = std::chrono::seconds(7),
                                                .pooler = storage::Pooler::kTransaction, .prepared = false});
  auto show = [](storage::Tx& tx, const char* setting) {
    std::string value;
    tx.sql << std::string("SHOW ") + setting, soci::into(value);
    return value;
  };
  std::string write_stmt, write_lock, read_stmt, write_statement_stmt, raw_stmt;
  db.Write([&](storage::Tx& tx) {
    write_stmt = show(tx, "statement_timeout");
    write_lock = show(tx, "lock_timeout");
  });
  db.Read([&](storage::Tx& tx) { read_stmt = show(tx, "statement_timeout"); });
  db.WriteStatement([&](storage::Tx& tx) { write_statement_stmt = show(tx, "statement_timeout"); });
  db.Raw([&](storage::Tx& tx) { raw_stmt = show(tx, "statement_timeout"); });
  EXPECT_EQ(write_stmt, "7s");
  EXPECT_EQ(write_lock, "7s");
  EXPECT_EQ(read_stmt, "7s");
  EXPECT_EQ(write_statement_stmt, "7s");
  EXPECT_NE(raw_stmt, "7s") << "a session setting leaked out of a transaction";

  // Directly connected, the session itself carries them (startup options).
  storage::Database direct(storage::ParseDatabaseUrl(url_),
                           storage::DatabaseOptions{.pool_size = 1, .query_timeout = std::chrono::seconds(7)});
  if (PostgresVia() == "direct") {
    direct.Raw([&](storage::Tx& tx) { raw_stmt = show(tx, "statement_timeout"); });
    EXPECT_EQ(raw_stmt, "7s");
  }
}

// The timeout set per transaction is in force: a statement that outlasts it is cut, answered
// as StorageUnavailable, and the pool goes on serving.
TEST_F(StorageTest, BehindATransactionPoolerALongStatementIsCutByTheTimeout) {
  if (Backend() != "postgres") GTEST_SKIP() << "only PostgreSQL runs behind a transaction pooler";
  storage::Database db(storage::ParseDatabaseUrl(url_),
                       storage::DatabaseOptions{.pool_size = 1, .query_timeout = std::chrono::seconds(1),
                                                .pooler = storage::Pooler::kTransaction, .prepared = false});
  for (bool in_write : {false, true}) {
    auto t0 = std::chrono::steady_clock::now();
    auto sleep = [](storage::Tx& tx) { tx.sql << "SELECT pg_sleep(8)"; };
    if (in_write) {
      EXPECT_THROW(db.Write(sleep), StorageUnavailable);
    } else {
      EXPECT_THROW(db.Read(sleep), StorageUnavailable);
    }
    EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(5)) << (in_write ? "Write" : "Read");
    EXPECT_TRUE(db.Ping());
  }
}

TEST_F(StorageTest, OnlyPostgresqlRunsBehindATransactionPooler) {
  if (Backend() == "postgres") GTEST_SKIP() << "PostgreSQL does";
  EXPECT_THROW(storage::Database(storage::ParseDatabaseUrl(url_),
                                 storage::DatabaseOptions{.pool_size = 1, .pooler = storage::Pooler::kTransaction, .prepared = false}),
               std::invalid_argument);
}

// Each connection keeps its prepared statements: repeated calls prepare once and reuse them,
// with fresh bindings each time (results follow the data, nothing of an earlier call leaks).
// With RIHLA_DB_PREPARED=off every call prepares (one-time statements).
TEST_F(StorageTest, RepeatedCallsReuseTheConnectionsPreparedStatements) {
  if (Backend() == "postgres" && PostgresVia() == "pgbouncer") GTEST_SKIP() << "no named statements behind PgBouncer";
  db_->Write([&](storage::Tx& tx) { storage::InsertFlight(tx, Flight("fl_prep001", 30), domain::NowMs()); });
  for (bool prepared : {true, false}) {
    storage::Database db(storage::ParseDatabaseUrl(url_), storage::DatabaseOptions{.pool_size = 1, .prepared = prepared});
    constexpr int kCalls = 10;
    for (int i = 0; i < kCalls; ++i) {
      std::optional<domain::Flight> before, after, missing;
      bool held = false;
      db.Write([&](storage::Tx& tx) {
        before = storage::FindFlight(tx, "fl_prep001");
        held = storage::HoldSeats(tx, "fl_prep001", 1);
        after = storage::FindFlight(tx, "fl_prep001");
      });
      db.Read([&](storage::Tx& tx) { missing = storage::FindFlight(tx, "fl_nosuch1"); });
      ASSERT_TRUE(before && after);
      EXPECT_TRUE(held);
      EXPECT_EQ(after->seats_available, before->seats_available - 1);
      EXPECT_FALSE(missing.has_value()) << "a row of an earlier call leaked into this one";
    }
    db.Write([&](storage::Tx& tx) { storage::ReleaseSeats(tx, "fl_prep001", kCalls); });
    auto prepares = db.statement_counters().prepares.load(), reuses = db.statement_counters().reuses.load();
    if (prepared) {
      EXPECT_LE(prepares, 3u) << "FindFlight, HoldSeats, ReleaseSeats: prepared once each";
      EXPECT_GE(reuses, 3u * kCalls - 2);
    } else {
      EXPECT_EQ(reuses, 0u);
      EXPECT_GE(prepares, 3u * kCalls);
    }
  }
}

// Concurrent migrates on a fresh database apply each migration exactly once between them: on
// PostgreSQL each migration's transaction takes pg_advisory_xact_lock (nothing session-level,
// so it also holds through PgBouncer), on MySQL GET_LOCK, on SQLite BEGIN IMMEDIATE.
TEST_F(StorageTest, ConcurrentMigratesOnAFreshDatabaseApplyEachMigrationOnce) {
  std::string url = FreshDatabaseUrl(dir_ + "/fresh");
  int embedded = 0;
  for (const auto& m : storage::EmbeddedMigrations()) embedded += std::string(m.dialect) == Backend() ? 1 : 0;
  constexpr int kMigrators = 3;
  std::atomic<int> applied{0}, failed{0};
  std::barrier start(kMigrators);
  std::vector<std::thread> threads;
  std::filesystem::create_directories(dir_ + "/fresh");
  for (int i = 0; i < kMigrators; ++i) {
    threads.emplace_back([&] {
      storage::Database db(storage::ParseDatabaseUrl(url), TestOptions(1));
      start.arrive_and_wait();
      try {
        applied += storage::ApplyMigrations(db, *logger_);
      } catch (const std::exception& e) {
        ADD_FAILURE() << "migrate failed: " << e.what();
        ++failed;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(applied.load(), embedded);
  storage::Database db(storage::ParseDatabaseUrl(url), TestOptions(1));
  EXPECT_EQ(storage::PendingMigrations(db), 0);
}

TEST(StorageUnreachable, AClosedPortIsStorageUnavailableQuickly) {
  if (Backend() == "sqlite") GTEST_SKIP() << "SQLite has no server";
  std::string url = Backend() == "postgres" ? "postgresql://u:p@127.0.0.1:1/db" : "mysql://u:p@127.0.0.1:1/db";
  storage::Database db(storage::ParseDatabaseUrl(url), storage::DatabaseOptions{1});
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_THROW(db.Read([](storage::Tx& tx) { tx.sql << "SELECT 1"; }), StorageUnavailable);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(5));
  EXPECT_FALSE(db.Ping());
}

}  // namespace
}  // namespace rihla::test
