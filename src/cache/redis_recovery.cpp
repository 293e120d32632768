#include "cache/redis_recovery.hpp"

#include <algorithm>
#include <utility>

namespace rihla::cache {

namespace {

constexpr std::chrono::milliseconds kFirstBackoff{100};

}  // namespace

void RedisRecovery::Start(Attempt attempt) {
  attempt_ = std::move(attempt);
  thread_ = std::thread([this] { Loop(); });
}

void RedisRecovery::Stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void RedisRecovery::MarkDegraded() {
  std::lock_guard lock(mu_);
  MarkDegradedLocked();
}

void RedisRecovery::MarkDegradedLocked() {
  if (degraded_.load()) return;
  degraded_.store(true);
  backoff_ = kFirstBackoff;
  next_attempt_ = Clock::now() + backoff_;
  cv_.notify_all();
}

void RedisRecovery::AddPendingLocked(const domain::CacheScope& scope) {
  if (purge_pending_) return;  // a pending purge drops every scope's generation anyway
  if (pending_scopes_.size() >= kMaxPendingScopes) {
    PurgePendingLocked();
    return;
  }
  pending_scopes_.insert(scope);
}

void RedisRecovery::PurgePendingLocked() {
  purge_pending_ = true;
  pending_scopes_.clear();
}

bool RedisRecovery::DeferIfDegraded(const domain::CacheScope& scope) {
  std::lock_guard lock(mu_);
  if (!degraded_.load()) return false;
  AddPendingLocked(scope);
  return true;
}

bool RedisRecovery::DeferPurgeIfDegraded() {
  std::lock_guard lock(mu_);
  if (!degraded_.load()) return false;
  PurgePendingLocked();
  return true;
}

void RedisRecovery::InvalidationFailed(const domain::CacheScope& scope) {
  std::lock_guard lock(mu_);
  MarkDegradedLocked();  // again, should a recovery have slipped in
  AddPendingLocked(scope);
}

void RedisRecovery::PurgeFailed() {
  std::lock_guard lock(mu_);
  MarkDegradedLocked();
  PurgePendingLocked();
}

std::optional<RedisRecovery::Pending> RedisRecovery::TakePendingOrRecover() {
  std::lock_guard lock(mu_);
  if (stop_) return std::nullopt;
  if (pending_scopes_.empty() && !purge_pending_) {
    degraded_.store(false);
    backoff_ = kFirstBackoff;
    return std::nullopt;
  }
  Pending work;
  work.scopes.swap(pending_scopes_);
  work.purge = std::exchange(purge_pending_, false);
  return work;
}

void RedisRecovery::Requeue(Pending work) {
  std::lock_guard lock(mu_);
  if (work.purge) {
    PurgePendingLocked();
  } else {
    for (const domain::CacheScope& scope : work.scopes) AddPendingLocked(scope);
  }
}

void RedisRecovery::Loop() {
  std::unique_lock lock(mu_);
  while (!stop_) {
    if (!degraded_.load()) {
      cv_.wait(lock);
      continue;
    }
    if (Clock::now() < next_attempt_) {
      cv_.wait_until(lock, next_attempt_);
      continue;
    }
    lock.unlock();
    bool ok = attempt_();
    lock.lock();
    if (!ok && degraded_.load()) {
      backoff_ = std::min(backoff_ * 2, max_backoff_);
      next_attempt_ = Clock::now() + backoff_;
    }
  }
}

}  // namespace rihla::cache
