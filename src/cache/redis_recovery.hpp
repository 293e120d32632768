#pragma once
// The degraded state of a RedisCache and the thread that ends it: the degraded flag, the
// invalidations (and purge) that Redis did not confirm, and the reconnect backoff
// (100 ms doubling to max_backoff, 5 s by default; 500 ms under Sentinel, whose failover rihla
// must follow within a couple of seconds). See "Failed invalidations" in redis_cache.hpp for why they are kept.
//
// The invariant this class owns: "nothing pending" and "leave degraded mode" are decided under
// the same mutex that queues a failed invalidation, so an invalidation that fails while a
// recovery is under way is either re-applied by that recovery or keeps the cache degraded.
// Thread-safe.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include "domain/cache_scope.hpp"

namespace rihla::cache {

class RedisRecovery {
 public:
  // Past this many pending scopes the set is replaced by "purge everything": bounded memory,
  // still correct (an entry is only valid under its generation key, and a purge deletes them).
  static constexpr std::size_t kMaxPendingScopes = 10000;

  struct Pending {
    std::set<domain::CacheScope> scopes;  // generations to move on
    bool purge = false;                   // delete every cache key first
  };
  // One recovery try, run on the recovery thread while degraded: reconnect, then re-apply what
  // TakePendingOrRecover hands out until it returns nullopt. Returns !degraded() at the end.
  using Attempt = std::function<bool()>;

  explicit RedisRecovery(std::chrono::milliseconds max_backoff = std::chrono::milliseconds(5000))
      : max_backoff_(max_backoff) {}
  ~RedisRecovery() { Stop(); }
  RedisRecovery(const RedisRecovery&) = delete;
  RedisRecovery& operator=(const RedisRecovery&) = delete;

  // Starts the recovery thread; call once. `attempt` must stay callable until Stop returns.
  void Start(Attempt attempt);
  // Stops and joins the recovery thread (idempotent).
  void Stop();

  // While true, no request touches Redis. Lock-free.
  bool degraded() const { return degraded_.load(); }
  void MarkDegraded();

  // An invalidation (purge) to send: queued instead, returning true, if the cache is degraded.
  bool DeferIfDegraded(const domain::CacheScope& scope);
  bool DeferPurgeIfDegraded();
  // An invalidation (purge) Redis did not confirm: degrade and queue it, atomically.
  void InvalidationFailed(const domain::CacheScope& scope);
  void PurgeFailed();

  // For Attempt: the next work to re-apply; nullopt once nothing is pending, having left
  // degraded mode (or when stopping, staying degraded).
  std::optional<Pending> TakePendingOrRecover();
  // For Attempt: queues again work it could not re-apply.
  void Requeue(Pending work);

 private:
  using Clock = std::chrono::steady_clock;

  void Loop();
  void MarkDegradedLocked();
  void AddPendingLocked(const domain::CacheScope& scope);
  void PurgePendingLocked();

  const std::chrono::milliseconds max_backoff_;
  Attempt attempt_;
  std::atomic<bool> degraded_{false};  // written under mu_
  std::mutex mu_;
  std::condition_variable cv_;
  std::set<domain::CacheScope> pending_scopes_;  // guarded by mu_: invalidations to re-apply
  bool purge_pending_ = false;                   // guarded by mu_
  std::chrono::milliseconds backoff_{100};       // guarded by mu_
  Clock::time_point next_attempt_{};             // guarded by mu_
  bool stop_ = false;                            // guarded by mu_
  std::thread thread_;
};

}  // namespace rihla::cache
