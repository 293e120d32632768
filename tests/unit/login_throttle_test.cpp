#include "domain/login_throttle.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace rihla::domain {
namespace {

constexpr std::int64_t kNow = 10'000'000'000;
constexpr std::int64_t kWindow = LoginThrottle::kWindow.count();

// `n` failures, newest first, `step_ms` apart, the newest at `newest`.
std::vector<std::int64_t> Failures(int n, std::int64_t newest, std::int64_t step_ms) {
  std::vector<std::int64_t> out;
  for (int i = 0; i < n; ++i) out.push_back(newest - i * step_ms);
  return out;
}

TEST(LoginRetryAfter, NineFailuresInTheWindowStillLetALoginThrough) {
  EXPECT_EQ(LoginRetryAfter(Failures(9, kNow - 1000, 1000), kNow), std::nullopt);
  EXPECT_EQ(LoginRetryAfter({}, kNow), std::nullopt);
}

TEST(LoginRetryAfter, TheTenthFailureThrottlesUntilTheOldestOfTheTenLeavesTheWindow) {
  // Newest 1 s ago, oldest of the ten 10 s ago: it leaves the window in 15 min - 10 s.
  auto wait = LoginRetryAfter(Failures(10, kNow - 1000, 1000), kNow);
  ASSERT_TRUE(wait.has_value());
  EXPECT_EQ(wait->count(), (kWindow - 10'000) / 1000);
}

TEST(LoginRetryAfter, FailuresOutsideTheWindowDoNotCount) {
  auto failures = Failures(5, kNow - 1000, 1000);
  for (std::int64_t at : Failures(5, kNow - kWindow, 1000)) failures.push_back(at);  // at or before the window start
  EXPECT_EQ(LoginRetryAfter(failures, kNow), std::nullopt);
}

TEST(LoginRetryAfter, WaitsAtLeastOneSecond) {
  // The limiting failure leaves the window in 200 ms: still answer Retry-After: 1.
  auto wait = LoginRetryAfter(Failures(10, kNow - kWindow + 200 + 9, 1), kNow);
  ASSERT_TRUE(wait.has_value());
  EXPECT_EQ(wait->count(), 1);
}

}  // namespace
}  // namespace rihla::domain
