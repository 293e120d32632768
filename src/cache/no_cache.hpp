#pragma once
// RIHLA_CACHE=off: a SearchCache that caches nothing. Every search reads the database (each
// request on its own: no coalescing), writes invalidate nothing; Status() is "disabled". For
// operations (ruling the cache out) and for measuring uncached search.
#include "cache/search_cache.hpp"
#include "observability/metric_families.hpp"

namespace rihla::cache {

class NoCache : public SearchCache {
 public:
  explicit NoCache(Metrics& metrics) : misses_(metrics.Family(metric::kCacheRequests).WithLabels("miss")) {}

  bool PeekIsNonBlocking() const override { return true; }
  std::optional<std::string> Peek(const domain::CacheScope&, const std::string&) override { return std::nullopt; }
  Lookup GetOrLoad(const domain::CacheScope&, const std::string&, const std::function<std::string()>& load) override {
    misses_.Increment();
    return Lookup{load(), false};
  }
  void Invalidate(const domain::CacheScope&) override {}
  void PurgeAll() override {}
  std::string Status() override { return "disabled"; }

 private:
  const Counter misses_;
};

}  // namespace rihla::cache
