#pragma once
// The drain of one `serve` process, shared by its listeners and its /readyz handler. Built once
// in the composition root; the main listener's signal handling drives it:
//   - the first SIGTERM begins the drain: /readyz answers 503 `draining` (a balancer with active
//     checks takes the instance out) and every answer carries `Connection: close` (each
//     keep-alive connection ends after its next request, cleanly, instead of being closed under
//     the balancer), while the listener still accepts and serves everything;
//   - after `period` (RIHLA_DRAIN_SECONDS) the listeners stop accepting, the connections that
//     stayed idle through the whole period are closed, and in-flight requests finish;
//   - SIGINT, or a second SIGTERM, ends the period at once (`Hurry`).
// Thread-safe: written from the signal handler's thread, read by every I/O and worker thread.
#include <atomic>
#include <chrono>
#include <cstdint>

namespace rihla::http {

class DrainState {
 public:
  using Clock = std::chrono::steady_clock;

  explicit DrainState(std::chrono::milliseconds period) : period_(period) {}
  DrainState(const DrainState&) = delete;
  DrainState& operator=(const DrainState&) = delete;

  // Begins the drain; true when this call began it (false: it had begun already).
  bool Begin();
  // Ends the drain period now (SIGINT, second SIGTERM); begins the drain if it had not begun.
  void Hurry();

  // True from Begin on: /readyz answers 503 and answers carry Connection: close.
  bool draining() const { return began_at_ns_.load(std::memory_order_acquire) != kNotBegun; }
  // True once the period is over (or was cut short): time to stop accepting.
  bool PeriodOver(Clock::time_point now) const;
  // True once SIGINT or a second SIGTERM cut the period short.
  bool hurried() const { return hurried_.load(std::memory_order_acquire); }
  // When the drain began (Clock::time_point{} before it did).
  Clock::time_point began_at() const;
  std::chrono::milliseconds period() const { return period_; }

 private:
  static constexpr std::int64_t kNotBegun = -1;
  const std::chrono::milliseconds period_;
  std::atomic<std::int64_t> began_at_ns_{kNotBegun};  // steady_clock nanoseconds since its epoch
  std::atomic<bool> hurried_{false};
};

}  // namespace rihla::http
