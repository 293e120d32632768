#pragma once
// Search-result cache with O(1) scope invalidation and no stale fills.
//
// Every scope (domain::CacheScope: what one write can change, a route + date + cabin) has a
// generation.
// An entry is stamped with the generation that was current *before* its database read began,
// and is stored only if that generation is still current when the fill completes, and served
// only while it is. Invalidate(scope) just moves the generation on: its cost does not depend on
// how many searches are cached, and a fill that raced with a write can never become visible
// after the write answered.
//
// Concurrent misses for one key within a generation are coalesced into one load.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "domain/cache_scope.hpp"

namespace rihla::cache {

struct Lookup {
  std::string body;
  bool hit = false;  // served from the cache (or from another request's in-flight load)
};

class SearchCache {
 public:
  virtual ~SearchCache() = default;

  // True when Peek never blocks (in-process cache): it may then run on an I/O thread.
  virtual bool PeekIsNonBlocking() const = 0;
  // The current body for (scope, key), or nullopt. `key` identifies a search within the scope.
  virtual std::optional<std::string> Peek(const domain::CacheScope& scope, const std::string& key) = 0;
  // Returns the cached body, or runs `load` (once for all concurrent callers of this key and
  // generation) and caches its result if no invalidation happened meanwhile. Exceptions from
  // `load` propagate to every waiter and nothing is cached.
  virtual Lookup GetOrLoad(const domain::CacheScope& scope, const std::string& key,
                           const std::function<std::string()>& load) = 0;
  // Makes every entry of `scope` (of every scope it Covers, for a route-wide one) invisible, in
  // O(1) for the narrow scope of a write, on every instance sharing the cache by the
  // time it returns (a shared cache may block up to ~2 s for that when its backend did not
  // confirm the invalidation).
  virtual void Invalidate(const domain::CacheScope& scope) = 0;
  // The same for a write no client waits on (booking expiry): it may return before other
  // instances stop serving older entries, which they do within a second.
  virtual void InvalidateInBackground(const domain::CacheScope& scope) { Invalidate(scope); }
  // Drops everything (admin purge).
  virtual void PurgeAll() = 0;
  // "ok", "degraded" (backend failing, serving from the database) or "disabled".
  virtual std::string Status() = 0;
};

}  // namespace rihla::cache
