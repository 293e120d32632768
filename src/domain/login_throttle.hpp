#pragma once
// Login throttling rule (contract v1.1): after kLimit failed logins for one email within
// kWindow, further logins for that email are refused with 429 until the window lets one
// through. A success does not reset the count. Pure: the caller reads the failures.
#include <chrono>
#include <cstdint>
#include <optional>
#include <span>

namespace rihla::domain {

struct LoginThrottle {
  static constexpr int kLimit = 10;
  static constexpr std::chrono::milliseconds kWindow = std::chrono::minutes(15);
};

// `recent_failures_ms`: times of the email's most recent failed logins, newest first, at
// least the kLimit newest of those within the window ending at `now_ms` (more are ignored).
// Returns nullopt when a login may be tried, else how long (whole seconds, at least 1) until
// the oldest of the kLimit newest failures leaves the window.
std::optional<std::chrono::seconds> LoginRetryAfter(std::span<const std::int64_t> recent_failures_ms,
                                                    std::int64_t now_ms);

}  // namespace rihla::domain
