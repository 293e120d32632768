#include "cache/memory_cache.hpp"

#include <algorithm>
#include <mutex>

namespace rihla::cache {

// No stale fill, with bounded generation state.
//
// A scope's generation is drawn from next_generation_, which only ever increases, so no two
// generations handed out by this cache are equal. A fill stores its entry only if the scope's
// generation is still the one it read before its load began, and an entry is served only while
// it carries the scope's current generation; Invalidate moves the generation on.
//
// A scope's state is dropped once nothing refers to it: no entry of it remains and no GetOrLoad
// is between reading its generation and storing (both hold a ref). That is safe:
//   - nothing can be served from it (it has no entries), and Invalidate of a scope without state
//     has nothing to hide;
//   - a later read recreates the state with a fresh generation, greater than every one handed
//     out before, so a stamp taken from the dropped state could never equal it and a fill
//     carrying such a stamp would be refused, exactly as if the state had been kept and bumped.
//     (The ref a fill holds keeps its state alive, so that does not even arise: the ref exists to
//     keep ScopeRef pointers valid and to not refuse fills needlessly, not for correctness.)

MemoryCache::MemoryCache(Metrics& metrics, std::chrono::milliseconds ttl, std::size_t max_entries,
                         std::size_t max_bytes, Now now)
    : hits_(metrics.Family(metric::kCacheRequests).WithLabels("hit")),
      misses_(metrics.Family(metric::kCacheRequests).WithLabels("miss")),
      coalesced_(metrics.Family(metric::kCacheRequests).WithLabels("coalesced")),
      invalidations_(metrics.Family(metric::kCacheInvalidations).WithLabels()),
      ttl_(ttl),
      max_entries_(std::max<std::size_t>(max_entries, 1)),
      max_bytes_(max_bytes),
      now_(std::move(now)) {
  ring_.reserve(std::min<std::size_t>(max_entries_, 1 << 16));
}

std::string MemoryCache::EntryKey(const domain::CacheScope& scope, const std::string& key) {
  return scope.Key() + '\n' + key;
}

bool MemoryCache::ServableLocked(const Entry& e, Clock::time_point now) {
  return e.generation == e.scope->second.generation && e.expires > now;
}

MemoryCache::ScopeRef MemoryCache::PinScopeLocked(const std::string& scope_key) {
  auto [it, inserted] = scopes_.try_emplace(scope_key);
  if (inserted) it->second.generation = next_generation_++;
  ++it->second.refs;
  return &*it;
}

void MemoryCache::UnpinScopeLocked(ScopeRef scope) {
  if (--scope->second.refs == 0) scopes_.erase(scopes_.find(scope->first));
}

std::optional<std::string> MemoryCache::Peek(const domain::CacheScope& scope, const std::string& key) {
  const std::string full = EntryKey(scope, key);
  const Clock::time_point now = now_();
  std::shared_ptr<const std::string> body;
  {
    std::shared_lock lock(mu_);
    auto e = entries_.find(full);
    if (e == entries_.end() || !ServableLocked(e->second, now)) return std::nullopt;
    // Only the CLOCK bit is written under the shared lock; skip the store when already set so
    // hot entries do not bounce a cache line between the I/O threads.
    if (!e->second.referenced.load(std::memory_order_relaxed)) {
      e->second.referenced.store(true, std::memory_order_relaxed);
    }
    body = e->second.body;
  }
  hits_.Increment();
  return *body;
}

Lookup MemoryCache::GetOrLoad(const domain::CacheScope& scope, const std::string& key,
                              const std::function<std::string()>& load) {
  if (auto body = Peek(scope, key)) return Lookup{std::move(*body), true};
  const std::string full = EntryKey(scope, key);
  ScopeRef state = nullptr;
  std::uint64_t generation = 0;
  {
    std::lock_guard lock(mu_);
    state = PinScopeLocked(scope.Key());
    generation = state->second.generation;  // read before the load starts
  }
  struct Unpin {  // however the call ends
    MemoryCache& cache;
    ScopeRef state;
    ~Unpin() {
      std::lock_guard lock(cache.mu_);
      cache.UnpinScopeLocked(state);
    }
  } unpin{*this, state};
  bool joined = false;
  Lookup result = inflight_.Do(
      full + '\n' + std::to_string(generation),
      [&] {
        {
          // A fill of this generation may have finished between our Peek and our Do (it left
          // the single-flight table when it ended): serve its entry, so one key and generation
          // is loaded once. Redis does the same in its lease script.
          std::shared_lock lock(mu_);
          auto e = entries_.find(full);
          if (e != entries_.end() && e->second.generation == generation && ServableLocked(e->second, now_())) {
            hits_.Increment();
            return Lookup{*e->second.body, true};
          }
        }
        misses_.Increment();
        auto body = std::make_shared<const std::string>(load());
        std::lock_guard lock(mu_);
        // Store only if no invalidation happened since the load began.
        if (state->second.generation == generation) StoreLocked(full, state, body, generation, now_());
        return Lookup{*body, false};
      },
      joined);
  if (joined) {
    coalesced_.Increment();
    result.hit = true;
  }
  return result;
}

std::size_t MemoryCache::Cost(const std::string& entry_key, const std::string& body) {
  return body.size() + 2 * entry_key.size() + kEntryOverhead;  // the map's key and the hash node's copy
}

// `scope` is pinned by the calling GetOrLoad, so evicting its last entry cannot drop its state.
void MemoryCache::StoreLocked(const std::string& entry_key, ScopeRef scope, std::shared_ptr<const std::string> body,
                              std::uint64_t generation, Clock::time_point now) {
  const std::size_t cost = Cost(entry_key, *body);
  // A superseded or expired entry of the same search makes room first, like any other.
  if (auto it = entries_.find(entry_key); it != entries_.end()) RemoveLocked(&*it);
  if (cost > max_bytes_) return;  // larger than the whole cache: answered, not cached
  while (!entries_.empty() && (entries_.size() >= max_entries_ || bytes_ + cost > max_bytes_)) EvictOneLocked(now);
  auto [it, inserted] = entries_.try_emplace(entry_key);
  Entry& e = it->second;
  e.scope = scope;
  ++scope->second.refs;
  e.body = std::move(body);
  e.generation = generation;
  e.expires = now + ttl_;
  e.bytes = cost;
  bytes_ += cost;
  if (free_slots_.empty()) {
    e.slot = ring_.size();
    ring_.push_back(&*it);
  } else {
    e.slot = free_slots_.back();
    free_slots_.pop_back();
    ring_[e.slot] = &*it;
  }
}

// CLOCK: at most two turns of the hand, since every entry it passes loses its bit and no reader
// can set one meanwhile (this runs under the exclusive lock). Amortised O(1): each extra step
// consumes a bit that a hit set, or passes a slot freed since (at most one per removal).
// Called only with entries_ non-empty.
void MemoryCache::EvictOneLocked(Clock::time_point now) {
  for (;;) {
    if (hand_ >= ring_.size()) hand_ = 0;
    EntryRef victim = ring_[hand_++];
    if (victim == nullptr) continue;
    Entry& e = victim->second;
    bool second_chance = ServableLocked(e, now) && e.referenced.exchange(false, std::memory_order_relaxed);
    if (second_chance) continue;
    RemoveLocked(victim);
    return;
  }
}

void MemoryCache::RemoveLocked(EntryRef entry) {
  ScopeRef scope = entry->second.scope;
  ring_[entry->second.slot] = nullptr;
  free_slots_.push_back(entry->second.slot);
  bytes_ -= entry->second.bytes;
  entries_.erase(entries_.find(entry->first));
  UnpinScopeLocked(scope);
}

void MemoryCache::Invalidate(const domain::CacheScope& scope) {
  {
    std::lock_guard lock(mu_);
    // A scope without state has no entry to hide and no fill in flight (see the top of the file).
    if (auto it = scopes_.find(scope.Key()); it != scopes_.end()) it->second.generation = next_generation_++;
    if (scope.IsRouteWide()) {
      // Operators and replays of records from before scopes were narrowed only: O(scopes held).
      const std::string prefix = scope.RouteKey() + '.';
      for (auto& [key, state] : scopes_) {
        if (key.starts_with(prefix)) state.generation = next_generation_++;
      }
    }
  }
  invalidations_.Increment();
}

void MemoryCache::PurgeAll() {
  std::lock_guard lock(mu_);
  for (EntryRef entry : ring_) {
    if (entry != nullptr) RemoveLocked(entry);
  }
  ring_.clear();
  free_slots_.clear();
  hand_ = 0;
  // What is left is pinned by fills in flight: refuse them.
  for (auto& [scope, state] : scopes_) state.generation = next_generation_++;
}

std::size_t MemoryCache::size() const {
  std::shared_lock lock(mu_);
  return entries_.size();
}

std::size_t MemoryCache::bytes() const {
  std::shared_lock lock(mu_);
  return bytes_;
}

std::size_t MemoryCache::scopes() const {
  std::shared_lock lock(mu_);
  return scopes_.size();
}

}  // namespace rihla::cache
