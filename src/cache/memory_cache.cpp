#include "cache/memory_cache.hpp"

namespace rihla::cache {

MemoryCache::MemoryCache(Metrics& metrics, std::chrono::milliseconds ttl, std::size_t max_entries)
    : hits_(metrics.Family(metric::kCacheRequests).WithLabels("hit")),
      misses_(metrics.Family(metric::kCacheRequests).WithLabels("miss")),
      coalesced_(metrics.Family(metric::kCacheRequests).WithLabels("coalesced")),
      invalidations_(metrics.Family(metric::kCacheInvalidations).WithLabels()),
      ttl_(ttl),
      max_entries_(max_entries) {}

std::uint64_t MemoryCache::GenerationLocked(const std::string& route) {
  auto [it, inserted] = generations_.try_emplace(route, 0);
  if (inserted) it->second = next_generation_++;
  return it->second;
}

std::optional<std::string> MemoryCache::Peek(const std::string& route, const std::string& key) {
  std::string full = route + '\n' + key;
  std::shared_ptr<const std::string> body;
  {
    std::shared_lock lock(mu_);
    auto e = entries_.find(full);
    if (e == entries_.end()) return std::nullopt;
    auto g = generations_.find(route);
    if (g == generations_.end() || e->second.generation != g->second || e->second.expires <= Clock::now()) {
      return std::nullopt;
    }
    body = e->second.body;
  }
  hits_.Increment();
  return *body;
}

Lookup MemoryCache::GetOrLoad(const std::string& route, const std::string& key,
                              const std::function<std::string()>& load) {
  if (auto body = Peek(route, key)) return Lookup{std::move(*body), true};
  std::string full = route + '\n' + key;
  std::uint64_t generation = 0;
  {
    std::lock_guard lock(mu_);
    generation = GenerationLocked(route);  // read before the load starts
  }
  bool joined = false;
  Lookup result = flights_.Do(
      full + '\n' + std::to_string(generation),
      [&] {
        misses_.Increment();
        auto body = std::make_shared<const std::string>(load());
        std::lock_guard lock(mu_);
        // Store only if no invalidation happened since the load began.
        if (generations_[route] == generation) {
          auto now = Clock::now();
          if (entries_.size() >= max_entries_) EvictLocked(now);
          entries_[full] = Entry{body, generation, now + ttl_};
        }
        return Lookup{*body, false};
      },
      joined);
  if (joined) {
    coalesced_.Increment();
    result.hit = true;
  }
  return result;
}

void MemoryCache::Invalidate(const std::string& route) {
  {
    std::lock_guard lock(mu_);
    generations_[route] = next_generation_++;
  }
  invalidations_.Increment();
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
    std::string_view full = it->first;
    std::string route(full.substr(0, full.find('\n')));
    auto g = generations_.find(route);
    bool stale = g == generations_.end() || g->second != it->second.generation || it->second.expires <= now;
    it = stale ? entries_.erase(it) : std::next(it);
  }
  if (entries_.size() >= max_entries_) entries_.clear();
}

}  // namespace rihla::cache
