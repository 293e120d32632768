#include "cache/memory_cache.hpp"

namespace rihla::cache {

MemoryCache::MemoryCache(Metrics& metrics, std::chrono::milliseconds ttl, std::size_t max_entries)
    : metrics_(metrics),
      hits_(metrics.CounterRef("rihla_cache_requests_total", "result=\"hit\"")),
      misses_(metrics.CounterRef("rihla_cache_requests_total", "result=\"miss\"")),
      coalesced_(metrics.CounterRef("rihla_cache_requests_total", "result=\"coalesced\"")),
      invalidations_(metrics.CounterRef("rihla_cache_invalidations_total")),
      ttl_(ttl),
      max_entries_(max_entries) {
  metrics_.Describe("rihla_cache_requests_total", "Search cache lookups by result (hit, miss, coalesced).");
  metrics_.Describe("rihla_cache_invalidations_total", "Route invalidations.");
}

std::uint64_t MemoryCache::GenerationLocked(const std::string& scope_key) {
  auto [it, inserted] = generations_.try_emplace(scope_key, 0);
  if (inserted) it->second = next_generation_++;
  return it->second;
}

std::optional<std::string> MemoryCache::Peek(const domain::CacheScope& scope, const std::string& key) {
  const std::string scope_key = scope.Key();
  std::string full = scope_key + '\n' + key;
  std::shared_ptr<const std::string> body;
  {
    std::shared_lock lock(mu_);
    auto e = entries_.find(full);
    if (e == entries_.end()) return std::nullopt;
    auto g = generations_.find(scope_key);
    if (g == generations_.end() || e->second.generation != g->second || e->second.expires <= Clock::now()) {
      return std::nullopt;
    }
    body = e->second.body;
  }
  hits_.fetch_add(1, std::memory_order_relaxed);
  return *body;
}

Lookup MemoryCache::GetOrLoad(const domain::CacheScope& scope, const std::string& key,
                              const std::function<std::string()>& load) {
  if (auto body = Peek(scope, key)) return Lookup{std::move(*body), true};
  const std::string scope_key = scope.Key();
  std::string full = scope_key + '\n' + key;
  std::uint64_t generation = 0;
  {
    std::lock_guard lock(mu_);
    generation = GenerationLocked(scope_key);  // read before the load starts
  }
  bool joined = false;
  Lookup result = inflight_.Do(
      full + '\n' + std::to_string(generation),
      [&] {
        misses_.fetch_add(1, std::memory_order_relaxed);
        auto body = std::make_shared<const std::string>(load());
        std::lock_guard lock(mu_);
        // Store only if no invalidation happened since the load began.
        if (generations_[scope_key] == generation) {
          auto now = Clock::now();
          if (entries_.size() >= max_entries_) EvictLocked(now);
          entries_[full] = Entry{scope_key, body, generation, now + ttl_};
        }
        return Lookup{*body, false};
      },
      joined);
  if (joined) {
    coalesced_.fetch_add(1, std::memory_order_relaxed);
    result.hit = true;
  }
  return result;
}

void MemoryCache::Invalidate(const domain::CacheScope& scope) {
  {
    std::lock_guard lock(mu_);
    generations_[scope.Key()] = next_generation_++;
  }
  invalidations_.fetch_add(1, std::memory_order_relaxed);
}

void MemoryCache::PurgeAll() {
  std::lock_guard lock(mu_);
  entries_.clear();
  for (auto& [route, gen] : generations_) gen = next_generation_++;
}

std::size_t MemoryCache::size() const {
  std::lock_guard lock(mu_);
  return entries_.size();
}

// Drops expired and superseded entries; if still full, drops everything (bounded memory).
// Amortized: runs only when the map reaches max_entries.
void MemoryCache::EvictLocked(Clock::time_point now) {
  for (auto it = entries_.begin(); it != entries_.end();) {
    auto g = generations_.find(it->second.scope);
    bool stale = g == generations_.end() || g->second != it->second.generation || it->second.expires <= now;
    it = stale ? entries_.erase(it) : std::next(it);
  }
  if (entries_.size() >= max_entries_) entries_.clear();
}

}  // namespace rihla::cache
