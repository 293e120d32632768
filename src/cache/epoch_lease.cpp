#include "cache/epoch_lease.hpp"

#include <algorithm>
#include <stdexcept>
#include <utility>

namespace rihla::cache {

EpochLease::EpochLease(ReadEpoch read, BumpEpoch bump, EpochLeaseOptions options)
    : read_(std::move(read)), bump_(std::move(bump)), options_(options) {
  if (!read_ || !bump_) throw std::invalid_argument("epoch lease: read and bump are required");
  if (options_.refresh.count() <= 0 || options_.refresh >= options_.lease) {
    throw std::invalid_argument("epoch lease: refresh must be positive and shorter than the lease");
  }
  Refresh();
  thread_ = std::thread([this] { Loop(); });
}

EpochLease::~EpochLease() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void EpochLease::Adopt(std::int64_t epoch, Clock::time_point read_start) {
  std::lock_guard lock(state_mu_);
  // Epochs only move forward; an older read finishing late neither lowers the epoch nor, with
  // the epoch it had, shortens the lease. Holding a newer epoch with the lease of a later read
  // is safe: a bump after that read started is one this instance has not seen yet either way.
  if (held_ && (epoch < epoch_ || (epoch == epoch_ && read_start <= read_start_))) return;
  epoch_ = epoch;
  read_start_ = held_ ? std::max(read_start_, read_start) : read_start;
  held_ = true;
}

void EpochLease::Refresh() {
  Clock::time_point start = Clock::now();
  try {
    Adopt(read_(), start);
  } catch (const std::exception&) {
    // The lease runs out by itself; shared entries stop being served until a read succeeds.
  }
}

void EpochLease::Loop() {
  std::unique_lock lock(mu_);
  while (!cv_.wait_for(lock, options_.refresh, [&] { return stop_; })) {
    lock.unlock();
    Refresh();
    lock.lock();
  }
}

std::optional<std::int64_t> EpochLease::Current() const {
  std::lock_guard lock(state_mu_);
  if (!held_ || Clock::now() - read_start_ >= options_.lease) return std::nullopt;
  return epoch_;
}

void EpochLease::Bump() {
  Clock::time_point start = Clock::now();
  try {
    Adopt(bump_(), start);
  } catch (const std::exception&) {
    // Without the bump, instances that can read the database keep the old epoch: nothing more
    // this writer can do, and instances that cannot read it stop at their lease end.
  }
}

void EpochLease::BumpAndWaitOut() {
  Bump();
  std::this_thread::sleep_for(options_.lease);
}

}  // namespace rihla::cache
