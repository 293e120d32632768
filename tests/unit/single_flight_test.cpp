#include "cache/single_flight.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <barrier>
#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace rihla::cache {
namespace {

constexpr int kCallers = 8;

// Blocks the running call until `n` other callers joined it (or 10 s passed, and the test's
// expectations then fail). Polls with yield: the joiners are blocked inside Do and cannot signal.
void WaitForWaiters(const SingleFlight<std::string>& flight, const std::string& key, std::size_t n) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (flight.Waiters(key) < n && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
}

TEST(SingleFlight, ConcurrentCallersShareOneLoad) {
  SingleFlight<std::string> flight;
  std::atomic<int> loads{0};
  std::barrier start(kCallers);
  std::vector<std::string> results(kCallers);
  std::vector<int> joined(kCallers);
  std::vector<std::thread> threads;
  for (int i = 0; i < kCallers; ++i) {
    threads.emplace_back([&, i] {
      start.arrive_and_wait();
      bool j = false;
      results[i] = flight.Do(
          "k",
          [&] {
            ++loads;
            WaitForWaiters(flight, "k", kCallers - 1);
            return std::string("value");
          },
          j);
      joined[i] = j;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(loads.load(), 1);
  int joiners = 0;
  for (int i = 0; i < kCallers; ++i) {
    EXPECT_EQ(results[i], "value");
    joiners += joined[i];
  }
  EXPECT_EQ(joiners, kCallers - 1);  // exactly one caller ran the load
  EXPECT_EQ(flight.Waiters("k"), 0u);
}

TEST(SingleFlight, AnExceptionReachesEveryWaiter) {
  SingleFlight<std::string> flight;
  std::atomic<int> loads{0};
  std::atomic<int> errors{0};
  std::barrier start(kCallers);
  std::vector<std::thread> threads;
  for (int i = 0; i < kCallers; ++i) {
    threads.emplace_back([&] {
      start.arrive_and_wait();
      bool joined = false;
      try {
        flight.Do(
            "k",
            [&]() -> std::string {
              ++loads;
              WaitForWaiters(flight, "k", kCallers - 1);
              throw std::runtime_error("db down");
            },
            joined);
      } catch (const std::runtime_error& e) {
        if (std::string(e.what()) == "db down") ++errors;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(loads.load(), 1);
  EXPECT_EQ(errors.load(), kCallers);
}

TEST(SingleFlight, ACallAfterTheLastOneEndedLoadsAgain) {
  SingleFlight<std::string> flight;
  int loads = 0;
  bool joined = true;
  EXPECT_EQ(flight.Do("k", [&] { return std::to_string(++loads); }, joined), "1");
  EXPECT_FALSE(joined);
  joined = true;
  EXPECT_EQ(flight.Do("k", [&] { return std::to_string(++loads); }, joined), "2");
  EXPECT_FALSE(joined);
  // An exception is not remembered either.
  EXPECT_THROW(flight.Do("e", []() -> std::string { throw std::runtime_error("once"); }, joined),
               std::runtime_error);
  EXPECT_EQ(flight.Do("e", [] { return std::string("fine"); }, joined), "fine");
}

TEST(SingleFlight, DifferentKeysDoNotWaitForEachOther) {
  SingleFlight<std::string> flight;
  bool outer_joined = true, inner_joined = true;
  // A call on another key starts while the first one runs (here: inside it, on the same thread).
  std::string outer = flight.Do(
      "a", [&] { return "a+" + flight.Do("b", [] { return std::string("b"); }, inner_joined); }, outer_joined);
  EXPECT_EQ(outer, "a+b");
  EXPECT_FALSE(outer_joined);
  EXPECT_FALSE(inner_joined);
}

}  // namespace
}  // namespace rihla::cache
