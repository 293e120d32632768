#include "cache/memory_cache.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <stdexcept>
#include <string>

#include "domain/time.hpp"
#include "observability/metrics.hpp"

namespace rihla::cache {
namespace {

using namespace std::chrono_literals;
using domain::CacheScope;

const CacheScope kRuhJed{"RUH", "JED"};
const CacheScope kRuhDmm{"RUH", "DMM"};

CacheScope Junk(int i) { return CacheScope{"J" + std::to_string(i), "JED"}; }

class MemoryCacheTest : public ::testing::Test {
 protected:
  // A cache on a clock the test moves by hand.
  MemoryCache Make(std::size_t max_entries = 100, std::chrono::milliseconds ttl = 60s,
                   std::size_t max_bytes = std::size_t{1} << 30) {
    return MemoryCache(metrics_, ttl, max_entries, max_bytes, [this] { return now_; });
  }
  static Lookup Fill(MemoryCache& cache, const CacheScope& scope, const std::string& key, std::string body = "v") {
    return cache.GetOrLoad(scope, key, [&] { return body; });
  }

  Metrics metrics_;
  MemoryCache::Clock::time_point now_ = MemoryCache::Clock::time_point{} + 24h;
};

TEST_F(MemoryCacheTest, MissesThenHits) {
  MemoryCache cache = Make();
  EXPECT_TRUE(cache.PeekIsNonBlocking());
  EXPECT_EQ(cache.Status(), "ok");
  int loads = 0;
  auto load = [&] {
    ++loads;
    return std::string("body");
  };
  EXPECT_FALSE(cache.Peek(kRuhJed, "q").has_value());
  Lookup first = cache.GetOrLoad(kRuhJed, "q", load);
  EXPECT_FALSE(first.hit);
  EXPECT_EQ(first.body, "body");
  Lookup second = cache.GetOrLoad(kRuhJed, "q", load);
  EXPECT_TRUE(second.hit);
  EXPECT_EQ(second.body, "body");
  EXPECT_EQ(loads, 1);
  EXPECT_EQ(cache.Peek(kRuhJed, "q").value_or(""), "body");
  // Same search key, other scope: another entry.
  EXPECT_FALSE(cache.Peek(kRuhDmm, "q").has_value());
  EXPECT_EQ(cache.size(), 1u);
}

TEST_F(MemoryCacheTest, RefusesAFillThatRacedWithAnInvalidation) {
  MemoryCache cache = Make();
  Lookup stale = cache.GetOrLoad(kRuhJed, "q", [&] {
    cache.Invalidate(kRuhJed);  // a write committed and invalidated while this load was reading
    return std::string("old");
  });
  EXPECT_EQ(stale.body, "old");  // the caller still gets its answer...
  EXPECT_FALSE(cache.Peek(kRuhJed, "q").has_value());  // ...but nobody else does
  EXPECT_EQ(cache.size(), 0u);
  Lookup fresh = Fill(cache, kRuhJed, "q", "new");
  EXPECT_FALSE(fresh.hit);
  EXPECT_EQ(cache.Peek(kRuhJed, "q").value_or(""), "new");
}

TEST_F(MemoryCacheTest, RefusesAFillThatRacedWithAPurge) {
  MemoryCache cache = Make();
  Fill(cache, kRuhDmm, "q");
  cache.GetOrLoad(kRuhJed, "q", [&] {
    cache.PurgeAll();
    return std::string("old");
  });
  EXPECT_FALSE(cache.Peek(kRuhJed, "q").has_value());
  EXPECT_FALSE(cache.Peek(kRuhDmm, "q").has_value());
  EXPECT_EQ(cache.size(), 0u);
  EXPECT_EQ(cache.scopes(), 0u);
}

TEST_F(MemoryCacheTest, AnEntryExpiresAfterItsTtl) {
  MemoryCache cache = Make(100, 1000ms);
  Fill(cache, kRuhJed, "q");
  now_ += 999ms;
  EXPECT_TRUE(cache.Peek(kRuhJed, "q").has_value());
  now_ += 1ms;
  EXPECT_FALSE(cache.Peek(kRuhJed, "q").has_value());
  int loads = 0;
  cache.GetOrLoad(kRuhJed, "q", [&] {
    ++loads;
    return std::string("again");
  });
  EXPECT_EQ(loads, 1);
  EXPECT_EQ(cache.Peek(kRuhJed, "q").value_or(""), "again");  // refilled with a new TTL
  EXPECT_EQ(cache.size(), 1u);
}

TEST_F(MemoryCacheTest, InvalidationHidesOnlyItsScopeWithoutWalkingEntries) {
  MemoryCache cache = Make(2000);
  for (int i = 0; i < 1000; ++i) Fill(cache, kRuhJed, "q" + std::to_string(i));
  Fill(cache, kRuhDmm, "q");
  ASSERT_EQ(cache.size(), 1001u);

  cache.Invalidate(kRuhJed);
  // O(1): the generation moved on; no entry was visited or removed.
  EXPECT_EQ(cache.size(), 1001u);
  for (int i = 0; i < 1000; ++i) ASSERT_FALSE(cache.Peek(kRuhJed, "q" + std::to_string(i)).has_value()) << i;
  EXPECT_TRUE(cache.Peek(kRuhDmm, "q").has_value());

  // A scope nothing was cached for keeps no state.
  std::size_t scopes = cache.scopes();
  cache.Invalidate(CacheScope{"DMM", "DXB"});
  EXPECT_EQ(cache.scopes(), scopes);
}

// Scopes as writes make them: route + date + cabin.
CacheScope Narrow(const std::string& from, const std::string& to, std::int64_t day, const std::string& cabin) {
  return CacheScope{from, to, day * domain::kDayMs, cabin};
}

TEST_F(MemoryCacheTest, ANarrowInvalidationLeavesOtherDatesAndCabinsCached) {
  MemoryCache cache = Make();
  const CacheScope d = Narrow("RUH", "JED", 20'000, "economy");
  const CacheScope next = Narrow("RUH", "JED", 20'001, "economy");
  const CacheScope business = Narrow("RUH", "JED", 20'000, "business");
  for (const CacheScope* s : {&d, &next, &business}) {
    Fill(cache, *s, "q1");
    Fill(cache, *s, "q2");
  }
  cache.Invalidate(d);
  EXPECT_FALSE(cache.Peek(d, "q1").has_value());
  EXPECT_FALSE(cache.Peek(d, "q2").has_value());
  for (const CacheScope* s : {&next, &business}) {
    EXPECT_TRUE(cache.Peek(*s, "q1").has_value()) << s->Key();
    EXPECT_TRUE(cache.Peek(*s, "q2").has_value()) << s->Key();
  }
}

// An operator's route purge, or a replay of a record stored before scopes were narrowed.
TEST_F(MemoryCacheTest, ARouteWideInvalidationHidesEveryScopeOfTheRouteOnly) {
  MemoryCache cache = Make();
  const CacheScope d = Narrow("RUH", "JED", 20'000, "economy");
  const CacheScope next = Narrow("RUH", "JED", 20'001, "first");
  const CacheScope other = Narrow("RUH", "DMM", 20'000, "economy");
  for (const CacheScope* s : {&d, &next, &other}) Fill(cache, *s, "q");
  // A fill racing the route-wide invalidation is refused too.
  cache.GetOrLoad(Narrow("RUH", "JED", 20'002, "economy"), "q", [&] {
    cache.Invalidate(CacheScope::Route("RUH", "JED"));
    return std::string("old");
  });
  EXPECT_FALSE(cache.Peek(d, "q").has_value());
  EXPECT_FALSE(cache.Peek(next, "q").has_value());
  EXPECT_FALSE(cache.Peek(Narrow("RUH", "JED", 20'002, "economy"), "q").has_value());
  EXPECT_TRUE(cache.Peek(other, "q").has_value());
}

TEST_F(MemoryCacheTest, KeepsAHotKeyAHitWhileTenTimesMaxEntriesDistinctKeysFloodIt) {
  constexpr std::size_t kMax = 100;
  MemoryCache cache = Make(kMax);
  Fill(cache, kRuhJed, "hot", "hot-body");
  for (int i = 0; i < static_cast<int>(10 * kMax); ++i) {
    Fill(cache, Junk(i), "q");
    ASSERT_EQ(cache.Peek(kRuhJed, "hot").value_or(""), "hot-body") << "after " << i << " junk entries";
    ASSERT_LE(cache.size(), kMax);
  }
  int loads = 0;
  Lookup hot = cache.GetOrLoad(kRuhJed, "hot", [&] {
    ++loads;
    return std::string("reloaded");
  });
  EXPECT_TRUE(hot.hit);
  EXPECT_EQ(loads, 0);
  EXPECT_EQ(cache.size(), kMax);
}

TEST_F(MemoryCacheTest, AFullCacheEvictsOneEntryNotAll) {
  constexpr int kMax = 50;
  MemoryCache cache = Make(kMax);
  for (int i = 0; i < kMax; ++i) Fill(cache, Junk(i), "q");
  Fill(cache, kRuhJed, "q");
  EXPECT_EQ(cache.size(), static_cast<std::size_t>(kMax));
  int still_cached = 0;
  for (int i = 0; i < kMax; ++i) still_cached += cache.Peek(Junk(i), "q").has_value();
  EXPECT_EQ(still_cached, kMax - 1);
  EXPECT_TRUE(cache.Peek(kRuhJed, "q").has_value());
}

TEST_F(MemoryCacheTest, EvictsSupersededEntriesBeforeReadOnes) {
  MemoryCache cache = Make(3);
  Fill(cache, Junk(0), "q");
  Fill(cache, Junk(1), "q");
  Fill(cache, Junk(2), "q");
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(cache.Peek(Junk(i), "q").has_value());  // all recently read
  cache.Invalidate(Junk(1));
  Fill(cache, kRuhJed, "q");
  EXPECT_TRUE(cache.Peek(Junk(0), "q").has_value());
  EXPECT_TRUE(cache.Peek(Junk(2), "q").has_value());
  EXPECT_TRUE(cache.Peek(kRuhJed, "q").has_value());
  EXPECT_EQ(cache.size(), 3u);
}

TEST_F(MemoryCacheTest, GenerationStateStaysBounded) {
  constexpr std::size_t kMax = 50;
  MemoryCache cache = Make(kMax);
  for (int i = 0; i < static_cast<int>(10 * kMax); ++i) {
    Fill(cache, Junk(i), "q");
    cache.Invalidate(Junk(i + 1));       // a write to a scope nothing cached yet
    cache.Invalidate(Junk(i / 2));       // and to one that may still have an entry
    ASSERT_LE(cache.scopes(), kMax) << i;
  }
  EXPECT_THROW(cache.GetOrLoad(kRuhJed, "q", []() -> std::string { throw std::runtime_error("db down"); }),
               std::runtime_error);
  EXPECT_LE(cache.scopes(), kMax);  // a failed load leaves no state behind
  cache.PurgeAll();
  EXPECT_EQ(cache.size(), 0u);
  EXPECT_EQ(cache.scopes(), 0u);
  // The cache still works after its scope state was dropped and recreated.
  Fill(cache, Junk(1), "q", "after");
  EXPECT_EQ(cache.Peek(Junk(1), "q").value_or(""), "after");
}

// The byte bound: an entry costs its body, its key (twice) and a fixed overhead.
std::size_t CostOf(const CacheScope& scope, const std::string& key, std::size_t body) {
  return body + 2 * (scope.Key().size() + 1 + key.size()) + MemoryCache::kEntryOverhead;
}

TEST_F(MemoryCacheTest, TheByteBoundEvictsColdEntriesUntilTheNewOneFits) {
  const std::string body(1000, 'x');
  const std::size_t cost = CostOf(Junk(10), "q", body.size());  // Junk(10..99): same key length
  const std::size_t max_bytes = 10 * cost;
  MemoryCache cache = Make(1000, 60s, max_bytes);
  Fill(cache, Junk(10), "q", body);  // the hot entry, read after every fill
  for (int i = 11; i < 100; ++i) {
    Fill(cache, Junk(i), "q", body);
    ASSERT_LE(cache.bytes(), max_bytes) << i;
    ASSERT_TRUE(cache.Peek(Junk(10), "q").has_value()) << "hot entry evicted after " << i;
  }
  EXPECT_EQ(cache.size(), 10u);  // full by bytes, far below max_entries
  EXPECT_EQ(cache.bytes(), 10 * cost);
  EXPECT_LE(cache.scopes(), 10u);  // generation state stays bounded by what is held

  // A body three entries large makes room for itself by evicting (at least) three cold ones.
  const std::string big(3 * cost - CostOf(Junk(50), "big", 0), 'y');
  Fill(cache, Junk(50), "big", big);
  EXPECT_EQ(cache.Peek(Junk(50), "big").value_or(""), big);
  EXPECT_TRUE(cache.Peek(Junk(10), "q").has_value());
  EXPECT_LE(cache.bytes(), max_bytes);
  EXPECT_EQ(cache.size(), 8u);
}

TEST_F(MemoryCacheTest, ARefilledEntryIsCountedOnceAtItsNewSize) {
  MemoryCache cache = Make(100, 1000ms, 1 << 20);
  Fill(cache, kRuhJed, "q", std::string(5000, 'a'));
  now_ += 1000ms;  // expired: the next search refills it
  Fill(cache, kRuhJed, "q", std::string(100, 'b'));
  EXPECT_EQ(cache.size(), 1u);
  EXPECT_EQ(cache.bytes(), CostOf(kRuhJed, "q", 100));
  cache.PurgeAll();
  EXPECT_EQ(cache.bytes(), 0u);
}

TEST_F(MemoryCacheTest, ABodyLargerThanTheWholeCacheIsAnsweredNotCached) {
  MemoryCache cache = Make(100, 60s, 4096);
  Fill(cache, kRuhDmm, "small", "s");
  Lookup big = Fill(cache, kRuhJed, "q", std::string(8192, 'z'));
  EXPECT_EQ(big.body.size(), 8192u);
  EXPECT_FALSE(cache.Peek(kRuhJed, "q").has_value());
  EXPECT_TRUE(cache.Peek(kRuhDmm, "small").has_value());  // nothing was evicted for it
  EXPECT_EQ(cache.scopes(), 1u);
}

TEST_F(MemoryCacheTest, AFailedLoadPropagatesAndCachesNothing) {
  MemoryCache cache = Make();
  EXPECT_THROW(cache.GetOrLoad(kRuhJed, "q", []() -> std::string { throw std::runtime_error("db down"); }),
               std::runtime_error);
  EXPECT_EQ(cache.size(), 0u);
  EXPECT_EQ(cache.scopes(), 0u);
  EXPECT_FALSE(Fill(cache, kRuhJed, "q").hit);
}

}  // namespace
}  // namespace rihla::cache
