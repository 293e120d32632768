#include "domain/login_throttle.hpp"

namespace rihla::domain {

std::optional<std::chrono::seconds> LoginRetryAfter(std::span<const std::int64_t> recent_failures_ms,
                                                    std::int64_t now_ms) {
  const std::int64_t window = LoginThrottle::kWindow.count();
  int in_window = 0;
  std::int64_t limiting = 0;  // the kLimit-th newest failure inside the window
  for (std::int64_t at : recent_failures_ms) {
    if (at <= now_ms - window) break;  // newest first: the rest are older still
    if (++in_window == LoginThrottle::kLimit) {
      limiting = at;
      break;
    }
  }
  if (in_window < LoginThrottle::kLimit) return std::nullopt;
  std::int64_t wait_ms = limiting + window - now_ms;
  return std::chrono::seconds(std::max<std::int64_t>(1, (wait_ms + 999) / 1000));
}

}  // namespace rihla::domain
