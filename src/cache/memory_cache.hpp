#pragma once
// In-process SearchCache (the default): one process, no Redis. Thread-safe; Peek holds a mutex
// for a map lookup only, so it is fit for I/O threads.
#include <chrono>
#include <condition_variable>
#include <exception>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <unordered_map>

#include "cache/search_cache.hpp"
#include "cache/single_flight.hpp"
#include "observability/metrics.hpp"

namespace rihla::cache {

class MemoryCache : public SearchCache {
 public:
  MemoryCache(Metrics& metrics, std::chrono::milliseconds ttl, std::size_t max_entries);

  bool PeekIsNonBlocking() const override { return true; }
  std::optional<std::string> Peek(const domain::CacheScope& scope, const std::string& key) override;
  Lookup GetOrLoad(const domain::CacheScope& scope, const std::string& key,
                   const std::function<std::string()>& load) override;
  void Invalidate(const domain::CacheScope& scope) override;
  void PurgeAll() override;
  std::string Status() override { return "ok"; }

  std::size_t size() const;

 private:
  using Clock = std::chrono::steady_clock;
  struct Entry {
    std::string scope;  // CacheScope::Key() of the entry's scope
    std::shared_ptr<const std::string> body;
    std::uint64_t generation;
    Clock::time_point expires;
  };
  std::uint64_t GenerationLocked(const std::string& scope_key);
  void EvictLocked(Clock::time_point now);

  Metrics& metrics_;
  std::atomic<std::uint64_t>& hits_;
  std::atomic<std::uint64_t>& misses_;
  std::atomic<std::uint64_t>& coalesced_;
  std::atomic<std::uint64_t>& invalidations_;
  const std::chrono::milliseconds ttl_;
  const std::size_t max_entries_;
  // Readers (Peek, on every cached search from both I/O threads) share the lock.
  mutable std::shared_mutex mu_;
  std::unordered_map<std::string, std::uint64_t> generations_;        // key: scope key; guarded by mu_
  std::unordered_map<std::string, Entry> entries_;                     // key: scope key '\n' key; guarded by mu_
  std::uint64_t next_generation_ = 1;                                  // guarded by mu_
  SingleFlight<Lookup> inflight_;  // concurrent misses of one key in one generation: one load
};

}  // namespace rihla::cache
