#pragma once
// In-process SearchCache (the default): one process, no Redis. Thread-safe; Peek takes a shared
// lock for a map lookup and sets one atomic bit, so it is fit for I/O threads.
//
// Bounded memory:
//   - at most max_entries entries and max_bytes bytes (an entry costs its body, its key twice and
//     kEntryOverhead for the map node, ring slot and shared body). A fill into a full cache evicts
//     cold entries, one at a time until the new one fits, chosen by CLOCK (second chance): the
//     hand skips, and clears, entries read since it last passed them, and evicts the first stale
//     (superseded or expired) or unread one. The cache is never flushed as a whole, so a flood of
//     one-off searches cannot turn popular searches into misses. A body larger than max_bytes on
//     its own is answered but not cached.
//   - generation state only for scopes that still have an entry or a fill in flight, so at most
//     max_entries + (concurrent misses) scopes, however many distinct scopes were ever seen.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "cache/search_cache.hpp"
#include "cache/single_flight.hpp"
#include "observability/metric_families.hpp"

namespace rihla::cache {

class MemoryCache : public SearchCache {
 public:
  using Clock = std::chrono::steady_clock;
  using Now = std::function<Clock::time_point()>;

  // What one entry costs beyond its body and key: the map node and its bucket, the Entry, the
  // body's shared block and string header, the ring slot (measured on libstdc++, rounded up).
  static constexpr std::size_t kEntryOverhead = 192;

  static constexpr std::size_t kDefaultMaxBytes = std::size_t{64} << 20;  // RIHLA_CACHE_MAX_BYTES's default

  // max_entries >= 1 (0 counts as 1). `now` reads the clock for TTL expiry (tests inject one).
  MemoryCache(Metrics& metrics, std::chrono::milliseconds ttl, std::size_t max_entries,
              std::size_t max_bytes = kDefaultMaxBytes, Now now = Clock::now);

  bool PeekIsNonBlocking() const override { return true; }
  std::optional<std::string> Peek(const domain::CacheScope& scope, const std::string& key) override;
  Lookup GetOrLoad(const domain::CacheScope& scope, const std::string& key,
                   const std::function<std::string()>& load) override;
  // O(1) for a narrow scope (every write's); a route-wide scope (an operator's, or a replay of a
  // record from before scopes were narrowed) moves on each scope of its route held: O(scopes).
  void Invalidate(const domain::CacheScope& scope) override;
  void PurgeAll() override;
  std::string Status() override { return "ok"; }

  std::size_t size() const;    // entries held, <= max_entries
  std::size_t bytes() const;   // their cost, <= max_bytes
  std::size_t scopes() const;  // scopes with generation state

 private:
  struct ScopeState {
    std::uint64_t generation = 0;
    std::size_t refs = 0;  // entries of the scope + GetOrLoad calls past their Peek; dropped at 0
  };
  using Scopes = std::unordered_map<std::string, ScopeState>;  // key: CacheScope::Key()
  using ScopeRef = Scopes::value_type*;  // stable: unordered_map nodes never move
  struct Entry {
    ScopeRef scope = nullptr;  // the entry's scope; holds one of its refs
    std::shared_ptr<const std::string> body;
    std::uint64_t generation = 0;
    Clock::time_point expires;
    std::size_t bytes = 0;     // Cost(key, body)
    std::size_t slot = 0;      // its ring slot
    std::atomic<bool> referenced{false};  // CLOCK bit: read since the hand last passed; set under a shared lock
  };
  using Entries = std::unordered_map<std::string, Entry>;  // key: scope key '\n' search key
  using EntryRef = Entries::value_type*;

  static std::string EntryKey(const domain::CacheScope& scope, const std::string& key);
  static bool ServableLocked(const Entry& e, Clock::time_point now);
  ScopeRef PinScopeLocked(const std::string& scope_key);
  void UnpinScopeLocked(ScopeRef scope);
  void StoreLocked(const std::string& entry_key, ScopeRef scope, std::shared_ptr<const std::string> body,
                   std::uint64_t generation, Clock::time_point now);
  static std::size_t Cost(const std::string& entry_key, const std::string& body);
  void EvictOneLocked(Clock::time_point now);
  void RemoveLocked(EntryRef entry);  // frees its ring slot

  const Counter hits_;
  const Counter misses_;
  const Counter coalesced_;
  const Counter invalidations_;
  const std::chrono::milliseconds ttl_;
  const std::size_t max_entries_;
  const std::size_t max_bytes_;
  const Now now_;
  // Readers (Peek, on every cached search from both I/O threads) share the lock.
  mutable std::shared_mutex mu_;
  Scopes scopes_;                       // guarded by mu_
  Entries entries_;                     // guarded by mu_
  std::vector<EntryRef> ring_;          // guarded by mu_: CLOCK order; nullptr: a free slot
  std::vector<std::size_t> free_slots_; // guarded by mu_: the nullptr slots of ring_
  std::size_t bytes_ = 0;               // guarded by mu_: sum of the entries' bytes
  std::size_t hand_ = 0;                // guarded by mu_: next slot the CLOCK hand looks at
  std::uint64_t next_generation_ = 1;   // guarded by mu_: only ever increases
  SingleFlight<Lookup> inflight_;  // concurrent misses of one key in one generation: one load
};

}  // namespace rihla::cache
