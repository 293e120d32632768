// The cache epoch lease and the fresh-only coalescing used when the shared cache cannot be
// checked.
#include "cache/epoch_lease.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <stdexcept>
#include <thread>

#include "cache/fresh_flight.hpp"

namespace rihla::cache {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

template <class F>
bool Eventually(F condition, std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  while (!condition()) {
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(5ms);
  }
  return true;
}

TEST(EpochLease, HoldsTheDatabaseEpochAndFollowsABumpElsewhere) {
  std::atomic<std::int64_t> db{7};
  EpochLease lease([&] { return db.load(); }, [&] { return ++db; }, {20ms, 200ms});
  EXPECT_EQ(lease.Current(), 7);
  ++db;  // another instance bumped it
  EXPECT_TRUE(Eventually([&] { return lease.Current() == 8; }, 2000ms));
}

TEST(EpochLease, BumpAndWaitOutAdvancesTheEpochAndTakesTheWholeLease) {
  std::atomic<std::int64_t> db{0};
  EpochLease lease([&] { return db.load(); }, [&] { return ++db; }, {20ms, 150ms});
  auto start = Clock::now();
  lease.BumpAndWaitOut();
  EXPECT_GE(Clock::now() - start, 150ms);
  EXPECT_EQ(db.load(), 1);
  EXPECT_EQ(lease.Current(), 1);
}

TEST(EpochLease, ALeaseThatCannotBeRefreshedRunsOut) {
  std::atomic<bool> down{false};
  EpochLease lease(
      [&]() -> std::int64_t {
        if (down) throw std::runtime_error("database down");
        return 3;
      },
      [&]() -> std::int64_t { throw std::runtime_error("database down"); }, {20ms, 100ms});
  EXPECT_EQ(lease.Current(), 3);
  down = true;
  EXPECT_TRUE(Eventually([&] { return !lease.Current().has_value(); }, 2000ms));
  lease.BumpAndWaitOut();  // never throws
  down = false;
  EXPECT_TRUE(Eventually([&] { return lease.Current() == 3; }, 2000ms));
}

TEST(EpochLease, RefusesARefreshNotShorterThanTheLease) {
  auto read = [] { return std::int64_t{0}; };
  EXPECT_THROW(EpochLease(read, read, {100ms, 100ms}), std::invalid_argument);
}

TEST(FreshFlight, ACallerArrivingDuringACallGetsALaterCallNotThatOne) {
  FreshFlight<int> flight;
  std::promise<void> release_first;
  std::shared_future<void> first_released = release_first.get_future().share();
  std::atomic<int> calls{0};
  std::atomic<bool> first_running{false};
  auto first = std::async(std::launch::async, [&] {
    bool joined = false;
    return flight.Do("k", [&] {
      first_running = true;
      first_released.wait();
      return ++calls;
    }, joined);
  });
  ASSERT_TRUE(Eventually([&] { return first_running.load(); }, 2000ms));
  // Two callers arrive while the first call runs: they share one later call.
  auto later = [&] {
    bool joined = false;
    return flight.Do("k", [&] { return ++calls; }, joined);
  };
  auto second = std::async(std::launch::async, later);
  auto third = std::async(std::launch::async, later);
  release_first.set_value();
  EXPECT_EQ(first.get(), 1);
  int a = second.get(), b = third.get();
  EXPECT_GE(a, 2) << "never the answer of a call that started before the caller arrived";
  EXPECT_GE(b, 2);
  EXPECT_LE(calls.load(), 3);
}

}  // namespace
}  // namespace rihla::cache
