#include "http/drain.hpp"

namespace rihla::http {

bool DrainState::Begin() {
  std::int64_t now = Clock::now().time_since_epoch().count();
  std::int64_t expected = kNotBegun;
  return began_at_ns_.compare_exchange_strong(expected, now, std::memory_order_acq_rel);
}

void DrainState::Hurry() {
  Begin();
  hurried_.store(true, std::memory_order_release);
}

bool DrainState::PeriodOver(Clock::time_point now) const {
  if (!draining()) return false;
  return hurried_.load(std::memory_order_acquire) || now >= began_at() + period_;
}

DrainState::Clock::time_point DrainState::began_at() const {
  std::int64_t ns = began_at_ns_.load(std::memory_order_acquire);
  if (ns == kNotBegun) return Clock::time_point{};
  return Clock::time_point(Clock::duration(ns));
}

}  // namespace rihla::http
