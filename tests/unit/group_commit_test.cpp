// storage::GroupCommit against a real SQLite file: concurrent units share one transaction, each
// in its own savepoint.
#include "storage/group_commit.hpp"

#include <gtest/gtest.h>
#include <soci/soci.h>
#include <stdlib.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <latch>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "domain/errors.hpp"
#include "storage/database_url.hpp"

namespace rihla::storage {
namespace {

class GroupCommitTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/rihla-gc.XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    db_ = std::make_unique<Database>(ParseDatabaseUrl("sqlite:" + dir_ + "/gc.db"), DatabaseOptions{4});
    db_->Raw([](Tx& tx) { tx.sql << "CREATE TABLE items (id INTEGER PRIMARY KEY, batch INTEGER NOT NULL)"; });
  }
  void TearDown() override {
    db_.reset();
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

  static void Insert(Tx& tx, int id, int batch = 0) {
    tx.sql << "INSERT INTO items (id, batch) VALUES (:i, :b)", soci::use(id), soci::use(batch);
  }
  bool Exists(int id) {
    int n = 0;
    db_->Read([&](Tx& tx) { tx.sql << "SELECT COUNT(*) FROM items WHERE id = :i", soci::use(id), soci::into(n); });
    return n == 1;
  }
  // Polls until `n` units wait in `group`'s queue (they queued behind the running batch).
  static bool WaitQueued(const GroupCommit& group, std::size_t n) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (group.queued() < n) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      std::this_thread::yield();
    }
    return true;
  }

  std::string dir_;
  std::unique_ptr<Database> db_;
};

// Holds a batch open: its unit signals that it runs, then waits to be released. Units started
// meanwhile queue behind it and form the next batch.
struct Blocker {
  std::latch entered{1}, release{1};
  std::thread thread;
  Blocker(GroupCommit& group, std::function<void(Tx&)> first = {}) {
    thread = std::thread([this, &group, first = std::move(first)] {
      group.Run([&](Tx& tx) {
        if (first) first(tx);
        entered.count_down();
        release.wait();
      });
    });
    entered.wait();
  }
  void Release() {
    release.count_down();
    thread.join();
  }
};

TEST_F(GroupCommitTest, AUnitAloneCommitsAtOnce) {
  GroupCommit group(*db_, 8);
  group.Run([](Tx& tx) { Insert(tx, 1); });
  EXPECT_TRUE(Exists(1));
  EXPECT_EQ(group.batches(), 1u);
}

TEST_F(GroupCommitTest, AFailingUnitRollsBackOnlyItselfAndGetsItsOwnError) {
  GroupCommit group(*db_, 8);
  Blocker blocker(group, [](Tx& tx) { Insert(tx, 100); });
  // Queued behind the blocker: they form the next batch together.
  std::vector<std::string> errors(3);
  std::vector<std::thread> units;
  auto start = [&](int i, std::function<void(Tx&)> fn) {
    units.emplace_back([&, i, fn = std::move(fn)] {
      try {
        group.Run(fn);
      } catch (const std::exception& e) {
        errors[static_cast<std::size_t>(i)] = e.what();
      }
    });
    ASSERT_TRUE(WaitQueued(group, static_cast<std::size_t>(i) + 1));
  };
  start(0, [](Tx& tx) { Insert(tx, 1); });
  start(1, [](Tx& tx) {
    Insert(tx, 2);
    throw std::runtime_error("unit 1 fails");
  });
  start(2, [](Tx& tx) { Insert(tx, 3); });
  blocker.Release();
  for (auto& t : units) t.join();

  EXPECT_EQ(errors[0], "");
  EXPECT_EQ(errors[1], "unit 1 fails");
  EXPECT_EQ(errors[2], "");
  EXPECT_TRUE(Exists(1));
  EXPECT_FALSE(Exists(2)) << "the failing unit's write is rolled back";
  EXPECT_TRUE(Exists(3)) << "a unit after the failing one still commits";
  EXPECT_EQ(group.batches(), 2u) << "the three queued units shared one batch";
  EXPECT_EQ(group.units(), 4u);
}

TEST_F(GroupCommitTest, AnEngineErrorInAUnitIsTranslatedAndTheBatchGoesOn) {
  GroupCommit group(*db_, 8);
  group.Run([](Tx& tx) { Insert(tx, 7); });
  Blocker blocker(group);
  bool duplicate = false;
  std::thread dup([&] {
    try {
      group.Run([](Tx& tx) { Insert(tx, 7); });
    } catch (const DuplicateKey&) {
      duplicate = true;
    }
  });
  ASSERT_TRUE(WaitQueued(group, 1));
  std::thread ok([&] { group.Run([](Tx& tx) { Insert(tx, 8); }); });
  ASSERT_TRUE(WaitQueued(group, 2));
  blocker.Release();
  dup.join();
  ok.join();
  EXPECT_TRUE(duplicate) << "a unique violation reaches its unit as DuplicateKey";
  EXPECT_TRUE(Exists(8));
}

TEST_F(GroupCommitTest, UnitsRunInArrivalOrderInBatchesOfAtMostMax) {
  constexpr std::size_t kMax = 3;
  constexpr int kUnits = 7;
  GroupCommit group(*db_, kMax);
  Blocker blocker(group);
  std::mutex mu;
  std::vector<int> order;
  std::vector<std::size_t> batch_of(kUnits);
  std::vector<std::thread> units;
  for (int i = 0; i < kUnits; ++i) {
    units.emplace_back([&, i] {
      group.Run([&, i](Tx& tx) {
        std::size_t batch = group.batches();  // batches committed before this unit's batch
        Insert(tx, i, static_cast<int>(batch));
        std::lock_guard lock(mu);
        order.push_back(i);
        batch_of[static_cast<std::size_t>(i)] = batch;
      });
    });
    ASSERT_TRUE(WaitQueued(group, static_cast<std::size_t>(i) + 1));  // arrival order = i
  }
  blocker.Release();
  for (auto& t : units) t.join();

  std::vector<int> expected_order;
  for (int i = 0; i < kUnits; ++i) expected_order.push_back(i);
  EXPECT_EQ(order, expected_order);
  // Batch 0 was the blocker's alone; then 3, 3 and 1 units.
  std::vector<std::size_t> expected_batches{1, 1, 1, 2, 2, 2, 3};
  EXPECT_EQ(batch_of, expected_batches);
  EXPECT_EQ(group.batches(), 4u);
  for (int i = 0; i < kUnits; ++i) EXPECT_TRUE(Exists(i));
}

}  // namespace
}  // namespace rihla::storage
