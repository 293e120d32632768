// RedisCache (the component, without a server process) against a real Redis: set
// RIHLA_TEST_REDIS_URL (scripts/services.sh start DIR redis), otherwise these tests are skipped.
// They do not use a database, so they run once, under the sqlite prefix. The tests that need no
// Redis are in unit/redis_cache_offline_test.cpp.
#include "cache/redis_cache.hpp"

#include <gtest/gtest.h>
#include <hiredis/hiredis.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <latch>
#include <memory>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "domain/time.hpp"
#include "observability/logger.hpp"
#include "observability/metrics.hpp"
#include "security/crypto.hpp"
#include "support/server_process.hpp"

namespace rihla::cache {
namespace {

using namespace std::chrono_literals;

std::string EnvOrEmpty(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr ? value : "";
}

// The scope whose Key() is `route` ("T1a2b-JED"): the key strings the tests read back are
// then exactly the layout before CacheScope existed (fs:{T1a2b-JED}:...).
domain::CacheScope S(const std::string& route) {
  auto dash = route.find('-');
  return domain::CacheScope{route.substr(0, dash), route.substr(dash + 1)};
}

class RedisSearchCache : public ::testing::Test {
 protected:
  void SetUp() override {
    url_ = EnvOrEmpty("RIHLA_TEST_REDIS_URL");
    if (url_.empty()) GTEST_SKIP() << "RIHLA_TEST_REDIS_URL is not set";
    if (test::Backend() != "sqlite") GTEST_SKIP() << "database-independent: runs under the sqlite prefix only";
    RedisUrl parsed = ParseRedisUrl(url_);
    timeval tv{5, 0};
    admin_ = redisConnectWithTimeout(parsed.host.c_str(), parsed.port, tv);
    ASSERT_NE(admin_, nullptr);
    ASSERT_EQ(admin_->err, 0) << admin_->errstr;
    if (!parsed.password.empty()) AdminOk(redisCommand(admin_, "AUTH %s", parsed.password.c_str()));
    if (parsed.db != 0) AdminOk(redisCommand(admin_, "SELECT %d", parsed.db));
    route_ = "T" + RandomHex(4) + "-JED";  // fresh per test: the Redis outlives test runs
  }
  void TearDown() override {
    if (admin_ != nullptr) redisFree(admin_);
  }

  static void AdminOk(void* raw) {
    auto* reply = static_cast<redisReply*>(raw);
    ASSERT_NE(reply, nullptr);
    EXPECT_NE(reply->type, REDIS_REPLY_ERROR) << std::string(reply->str, reply->len);
    freeReplyObject(reply);
  }

  std::unique_ptr<RedisCache> Make(RedisCache::Options opts = {}) {
    return std::make_unique<RedisCache>(url_, metrics_, logger_, 60s, opts);
  }

  std::vector<std::string> ScanKeys(const std::string& pattern) {
    std::vector<std::string> keys;
    std::string cursor = "0";
    do {
      auto* r = static_cast<redisReply*>(
          redisCommand(admin_, "SCAN %s MATCH %s COUNT 1000", cursor.c_str(), pattern.c_str()));
      if (r == nullptr || r->type != REDIS_REPLY_ARRAY || r->elements != 2) {
        ADD_FAILURE() << "SCAN failed";
        if (r != nullptr) freeReplyObject(r);
        return keys;
      }
      cursor.assign(r->element[0]->str, r->element[0]->len);
      for (std::size_t i = 0; i < r->element[1]->elements; ++i) {
        keys.emplace_back(r->element[1]->element[i]->str, r->element[1]->element[i]->len);
      }
      freeReplyObject(r);
    } while (cursor != "0");
    return keys;
  }

  long long Pttl(const std::string& key) {
    auto* r = static_cast<redisReply*>(redisCommand(admin_, "PTTL %b", key.data(), key.size()));
    long long value = r != nullptr && r->type == REDIS_REPLY_INTEGER ? r->integer : -100;
    if (r != nullptr) freeReplyObject(r);
    return value;
  }

  std::string Get(const std::string& key) {
    auto* r = static_cast<redisReply*>(redisCommand(admin_, "GET %b", key.data(), key.size()));
    std::string value = r != nullptr && r->type == REDIS_REPLY_STRING ? std::string(r->str, r->len) : "";
    if (r != nullptr) freeReplyObject(r);
    return value;
  }

  std::string ConfigGet(const char* name) {
    auto* r = static_cast<redisReply*>(redisCommand(admin_, "CONFIG GET %s", name));
    std::string value;
    if (r != nullptr && r->type == REDIS_REPLY_ARRAY && r->elements == 2) {
      value.assign(r->element[1]->str, r->element[1]->len);
    }
    if (r != nullptr) freeReplyObject(r);
    return value;
  }

  static bool WaitForStatus(RedisCache& cache, const std::string& status, std::chrono::milliseconds limit) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (cache.Status() != status) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      std::this_thread::sleep_for(20ms);
    }
    return true;
  }

  std::string url_;
  std::string route_;
  redisContext* admin_ = nullptr;
  Metrics metrics_;
  Logger logger_{LogLevel::kWarn, stderr};
};

TEST_F(RedisSearchCache, MissThenHit) {
  auto cache = Make();
  EXPECT_EQ(cache->Status(), "ok");
  EXPECT_FALSE(cache->PeekIsNonBlocking());
  int calls = 0;
  auto load = [&] {
    ++calls;
    return std::string("body-1");
  };
  EXPECT_FALSE(cache->Peek(S(route_), "k").has_value());
  Lookup first = cache->GetOrLoad(S(route_), "k", load);
  EXPECT_FALSE(first.hit);
  EXPECT_EQ(first.body, "body-1");
  Lookup second = cache->GetOrLoad(S(route_), "k", load);
  EXPECT_TRUE(second.hit);
  EXPECT_EQ(second.body, "body-1");
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(cache->Peek(S(route_), "k").value_or(""), "body-1");
  // Another key of the route is a separate entry; empty bodies are cached too.
  Lookup other = cache->GetOrLoad(S(route_), "k2", [] { return std::string(); });
  EXPECT_FALSE(other.hit);
  EXPECT_TRUE(cache->GetOrLoad(S(route_), "k2", [] { return std::string("x"); }).hit);
  EXPECT_EQ(cache->Peek(S(route_), "k2").value_or("missing"), "");
}

// The layout other instances (and operators) rely on: fs:{<route>}:gen (the route token) and,
// for a narrow scope, fs:{<route>}:<date>.<cabin>:gen (its own token) and :e:<sha256(key)>,
// whose value is "<route token>/<scope token>.<epoch>\n<body>" (epoch 0 without an epoch lease).
// A route-wide scope's own token is the route token.
TEST_F(RedisSearchCache, KeyLayoutIsTheSharedOne) {
  auto cache = Make();
  cache->GetOrLoad(S(route_), "k", [] { return std::string("v"); });
  std::vector<std::string> keys = ScanKeys("fs:{" + route_ + "}:*");
  std::set<std::string> got(keys.begin(), keys.end());
  EXPECT_EQ(got, (std::set<std::string>{"fs:{" + route_ + "}:gen", "fs:{" + route_ + "}:e:" + Sha256Hex("k")}));
  const std::string gen = Get("fs:{" + route_ + "}:gen");
  EXPECT_EQ(Get("fs:{" + route_ + "}:e:" + Sha256Hex("k")), gen + "/" + gen + ".0\nv");
}

TEST_F(RedisSearchCache, NarrowScopesShareTheRoutesHashTag) {
  auto cache = Make();
  domain::CacheScope narrow = S(route_);
  narrow.day = 20'000 * domain::kDayMs;  // 2024-10-04
  narrow.cabin = "business";
  cache->GetOrLoad(narrow, "k", [] { return std::string("v"); });
  const std::string p = "fs:{" + route_ + "}:2024-10-04.business:";
  std::vector<std::string> keys = ScanKeys("fs:{" + route_ + "}:*");
  std::set<std::string> got(keys.begin(), keys.end());
  EXPECT_EQ(got, (std::set<std::string>{"fs:{" + route_ + "}:gen", p + "gen", p + "e:" + Sha256Hex("k")}));
  EXPECT_EQ(Get(p + "e:" + Sha256Hex("k")), Get("fs:{" + route_ + "}:gen") + "/" + Get(p + "gen") + ".0\nv");
}

// A write's invalidation is one SET of its scope's token: the route's other dates and cabins
// stay hits on every instance; a route-wide purge (one SET of the route token) hides them all.
TEST_F(RedisSearchCache, NarrowInvalidationKeepsOtherDatesAndCabinsAndAPurgeOfTheRouteHidesAll) {
  auto a = Make();
  auto b = Make();
  auto at = [&](std::int64_t day, const std::string& cabin) {
    domain::CacheScope s = S(route_);
    s.day = day * domain::kDayMs;
    s.cabin = cabin;
    return s;
  };
  const domain::CacheScope d = at(20'000, "economy"), next = at(20'001, "economy"), business = at(20'000, "business");
  for (const auto* s : {&d, &next, &business}) a->GetOrLoad(*s, "k", [] { return std::string("v"); });
  const std::uint64_t before = b->commands_sent();
  b->Invalidate(d);
  EXPECT_EQ(b->commands_sent() - before, 1u);  // O(1): one SET
  EXPECT_FALSE(a->Peek(d, "k").has_value());
  EXPECT_EQ(a->Peek(next, "k").value_or(""), "v");
  EXPECT_EQ(a->Peek(business, "k").value_or(""), "v");
  // A fill racing a route-wide purge is refused.
  a->GetOrLoad(d, "k", [&] {
    b->PurgeScope(S(route_));
    return std::string("old");
  });
  EXPECT_FALSE(a->Peek(d, "k").has_value());
  EXPECT_FALSE(a->Peek(next, "k").has_value());
  EXPECT_FALSE(a->Peek(business, "k").has_value());
  EXPECT_FALSE(a->GetOrLoad(next, "k", [] { return std::string("v2"); }).hit);
  EXPECT_EQ(b->Peek(next, "k").value_or(""), "v2");
}

TEST_F(RedisSearchCache, InvalidateMakesNextLookupMissOnEveryInstance) {
  auto a = Make();
  auto b = Make();  // another server instance sharing the Redis
  EXPECT_EQ(a->GetOrLoad(S(route_), "k", [] { return std::string("v1"); }).body, "v1");
  EXPECT_EQ(b->Peek(S(route_), "k").value_or(""), "v1");
  EXPECT_EQ(a->GetOrLoad(S("OTHER-RT" + route_.substr(1, 4)), "k", [] { return std::string("o1"); }).body, "o1");

  b->Invalidate(S(route_));
  EXPECT_FALSE(a->Peek(S(route_), "k").has_value());
  int calls = 0;
  Lookup again = a->GetOrLoad(S(route_), "k", [&] {
    ++calls;
    return std::string("v2");
  });
  EXPECT_FALSE(again.hit);
  EXPECT_EQ(again.body, "v2");
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(b->Peek(S(route_), "k").value_or(""), "v2");
  // Other routes are untouched.
  EXPECT_EQ(a->Peek(S("OTHER-RT" + route_.substr(1, 4)), "k").value_or(""), "o1");
  b->PurgeScope(S(route_));
  EXPECT_FALSE(a->Peek(S(route_), "k").has_value());
}

TEST_F(RedisSearchCache, FillThatRacedWithInvalidationIsNotStored) {
  auto cache = Make();
  Lookup stale = cache->GetOrLoad(S(route_), "k", [&] {
    cache->Invalidate(S(route_));  // a write committed and invalidated while this load was reading
    return std::string("old");
  });
  EXPECT_EQ(stale.body, "old");
  EXPECT_FALSE(cache->Peek(S(route_), "k").has_value());
  int calls = 0;
  Lookup fresh = cache->GetOrLoad(S(route_), "k", [&] {
    ++calls;
    return std::string("new");
  });
  EXPECT_FALSE(fresh.hit);
  EXPECT_EQ(fresh.body, "new");
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(cache->GetOrLoad(S(route_), "k", [] { return std::string("never"); }).body, "new");
}

TEST_F(RedisSearchCache, ConcurrentColdMissesLoadOnce) {
  auto cache = Make();
  constexpr int kThreads = 50;
  std::atomic<int> calls{0};
  std::latch start(kThreads);
  std::vector<std::string> bodies(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      start.arrive_and_wait();
      bodies[i] = cache
                      ->GetOrLoad(S(route_), "cold",
                                  [&] {
                                    ++calls;
                                    std::this_thread::sleep_for(200ms);
                                    return "body-" + RandomHex(8);
                                  })
                      .body;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(calls.load(), 1);
  for (const std::string& body : bodies) EXPECT_EQ(body, bodies[0]);
  EXPECT_EQ(cache->Peek(S(route_), "cold").value_or(""), bodies[0]);
}

TEST_F(RedisSearchCache, ConcurrentColdMissesAcrossInstancesLoadOnce) {
  auto a = Make();
  auto b = Make();
  constexpr int kThreads = 20;
  std::atomic<int> calls{0};
  std::latch start(kThreads);
  std::vector<std::string> bodies(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      RedisCache& cache = i % 2 == 0 ? *a : *b;
      start.arrive_and_wait();
      bodies[i] = cache
                      .GetOrLoad(S(route_), "cold",
                                 [&] {
                                   ++calls;
                                   std::this_thread::sleep_for(200ms);
                                   return "body-" + RandomHex(8);
                                 })
                      .body;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(calls.load(), 1);  // the other instance waited for the lease holder's entry
  for (const std::string& body : bodies) EXPECT_EQ(body, bodies[0]);
}

TEST_F(RedisSearchCache, LoadErrorPropagatesAndReleasesTheLease) {
  auto cache = Make();
  EXPECT_THROW(cache->GetOrLoad(S(route_), "k", []() -> std::string { throw std::runtime_error("db down"); }),
               std::runtime_error);
  EXPECT_FALSE(cache->Peek(S(route_), "k").has_value());
  EXPECT_TRUE(ScanKeys("fs:{" + route_ + "}:lock:*").empty());
  auto started = std::chrono::steady_clock::now();
  Lookup next = cache->GetOrLoad(S(route_), "k", [] { return std::string("ok"); });
  EXPECT_FALSE(next.hit);
  EXPECT_EQ(next.body, "ok");
  EXPECT_LT(std::chrono::steady_clock::now() - started, 500ms);  // did not wait for a stale lease
  EXPECT_TRUE(cache->GetOrLoad(S(route_), "k", [] { return std::string("x"); }).hit);
}

TEST_F(RedisSearchCache, InvalidationCostDoesNotDependOnEntryCount) {
  auto cache = Make();
  const std::string small = route_ + "S";
  const std::string large = route_ + "L";
  for (int i = 0; i < 10; ++i) cache->GetOrLoad(S(small), "k" + std::to_string(i), [] { return std::string("s"); });
  for (int i = 0; i < 1000; ++i) cache->GetOrLoad(S(large), "k" + std::to_string(i), [] { return std::string("l"); });
  ASSERT_TRUE(cache->Peek(S(large), "k999").has_value());

  std::uint64_t before = cache->commands_sent();
  cache->Invalidate(S(small));
  std::uint64_t small_cost = cache->commands_sent() - before;
  before = cache->commands_sent();
  cache->Invalidate(S(large));
  std::uint64_t large_cost = cache->commands_sent() - before;

  EXPECT_EQ(small_cost, large_cost);
  EXPECT_EQ(large_cost, 1u);
  for (int i = 0; i < 1000; ++i) ASSERT_FALSE(cache->Peek(S(large), "k" + std::to_string(i)).has_value()) << i;
  for (int i = 0; i < 10; ++i) ASSERT_FALSE(cache->Peek(S(small), "k" + std::to_string(i)).has_value()) << i;
}

TEST_F(RedisSearchCache, EveryKeyHasATtlAfterChurn) {
  auto a = Make();
  auto b = Make();
  std::vector<std::thread> threads;
  for (int t = 0; t < 6; ++t) {
    threads.emplace_back([&, t] {
      RedisCache& cache = t % 2 == 0 ? *a : *b;
      for (int i = 0; i < 150; ++i) {
        std::string route = route_ + std::to_string(i % 3);
        std::string key = "k" + std::to_string((i * 7 + t) % 11);
        if (i % 13 == 0) {
          cache.Invalidate(S(route));
          continue;
        }
        try {  // a waiter coalesced onto a failing load gets its exception too
          cache.GetOrLoad(S(route), key, [&]() -> std::string {
            if (i % 17 == 0) throw std::runtime_error("boom");
            if (i % 5 == 0) cache.Invalidate(S(route));
            return "body-" + std::to_string(i);
          });
        } catch (const std::runtime_error&) {
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(a->Status(), "ok");

  std::vector<std::string> keys = ScanKeys("fs:*");
  std::size_t ours = 0;
  for (const std::string& key : keys) {
    if (key.find(route_) != std::string::npos) ++ours;
    long long pttl = Pttl(key);
    EXPECT_NE(pttl, -1) << key << " has no TTL";
    if (pttl != -2) {  // -2: expired or deleted since the SCAN
      EXPECT_GT(pttl, 0) << key;
    }
  }
  EXPECT_GT(ours, 3u);
  EXPECT_GT(Pttl("fs:{" + route_ + "0}:gen"), 23LL * 60 * 60 * 1000);  // generations: >= 1 day
}

TEST_F(RedisSearchCache, PurgeAllRemovesEveryCacheKey) {
  auto cache = Make();
  for (int r = 0; r < 3; ++r) {
    for (int i = 0; i < 20; ++i) {
      cache->GetOrLoad(S(route_ + std::to_string(r)), "k" + std::to_string(i), [] { return std::string("v"); });
    }
  }
  ASSERT_FALSE(ScanKeys("fs:*").empty());
  cache->PurgeAll();
  EXPECT_TRUE(ScanKeys("fs:*").empty());
  EXPECT_EQ(cache->Status(), "ok");
  int calls = 0;
  cache->GetOrLoad(S(route_ + "0"), "k0", [&] {
    ++calls;
    return std::string("v2");
  });
  EXPECT_EQ(calls, 1);
}

// An invalidation that fails (here: Redis refuses writes) degrades this instance, which then
// serves from the database; on recovery it re-applies the invalidation before using Redis
// again, so no instance keeps serving the pre-write entry.
TEST_F(RedisSearchCache, FailedInvalidationIsReappliedOnRecovery) {
  auto a = Make();
  auto b = Make();
  EXPECT_EQ(a->GetOrLoad(S(route_), "k", [] { return std::string("old"); }).body, "old");
  const std::string gen_key = "fs:{" + route_ + "}:gen";
  const std::string gen_before = Get(gen_key);
  ASSERT_FALSE(gen_before.empty());

  const std::string maxmemory = ConfigGet("maxmemory");
  const std::string policy = ConfigGet("maxmemory-policy");
  AdminOk(redisCommand(admin_, "CONFIG SET maxmemory-policy noeviction"));
  AdminOk(redisCommand(admin_, "CONFIG SET maxmemory 1"));  // every write now fails with OOM
  struct Restore {  // puts the configuration back even if an assertion fails
    redisContext* ctx;
    std::string maxmemory, policy;
    ~Restore() {
      AdminOk(redisCommand(ctx, "CONFIG SET maxmemory %s", maxmemory.c_str()));
      AdminOk(redisCommand(ctx, "CONFIG SET maxmemory-policy %s", policy.c_str()));
    }
  };
  {
    Restore restore{admin_, maxmemory, policy};
    a->Invalidate(S(route_));  // must not throw
    EXPECT_EQ(a->Status(), "degraded");
    EXPECT_EQ(Get(gen_key), gen_before);  // the invalidation really did not happen
    int calls = 0;
    Lookup local = a->GetOrLoad(S(route_), "k", [&] {
      ++calls;
      return std::string("fresh");
    });
    EXPECT_EQ(local.body, "fresh");  // this instance bypasses Redis meanwhile
    EXPECT_FALSE(local.hit);
    EXPECT_EQ(calls, 1);
    EXPECT_FALSE(a->Peek(S(route_), "k").has_value());
    std::this_thread::sleep_for(400ms);  // a few failed recovery attempts
    EXPECT_EQ(a->Status(), "degraded");
  }
  ASSERT_TRUE(WaitForStatus(*a, "ok", 10s));
  EXPECT_NE(Get(gen_key), gen_before);  // re-applied by the recovery
  EXPECT_FALSE(b->Peek(S(route_), "k").has_value());
  int calls = 0;
  EXPECT_EQ(b->GetOrLoad(S(route_), "k",
                         [&] {
                           ++calls;
                           return std::string("fresh");
                         })
                .body,
            "fresh");
  EXPECT_EQ(calls, 1);
  EXPECT_TRUE(a->GetOrLoad(S(route_), "k", [] { return std::string("x"); }).hit);
}

// Redis stops and comes back: searches never fail, and the cache reconnects by itself.
TEST_F(RedisSearchCache, SurvivesRedisRestart) {
  const std::string stop = EnvOrEmpty("RIHLA_TEST_REDIS_STOP_CMD");
  const std::string start = EnvOrEmpty("RIHLA_TEST_REDIS_START_CMD");
  if (stop.empty() || start.empty()) GTEST_SKIP() << "RIHLA_TEST_REDIS_STOP_CMD/START_CMD not set";
  auto cache = Make();
  EXPECT_EQ(cache->GetOrLoad(S(route_), "k", [] { return std::string("v1"); }).body, "v1");
  ASSERT_EQ(std::system((stop + " >/dev/null 2>&1").c_str()), 0);
  Lookup down = cache->GetOrLoad(S(route_), "k", [] { return std::string("from-db"); });
  EXPECT_EQ(down.body, "from-db");
  EXPECT_FALSE(down.hit);
  EXPECT_EQ(cache->Status(), "degraded");
  cache->Invalidate(S(route_));
  ASSERT_EQ(std::system((start + " >/dev/null 2>&1").c_str()), 0);
  // The admin connection died with the server.
  redisFree(admin_);
  RedisUrl parsed = ParseRedisUrl(url_);
  admin_ = redisConnectWithTimeout(parsed.host.c_str(), parsed.port, timeval{5, 0});
  ASSERT_TRUE(WaitForStatus(*cache, "ok", 15s));
  EXPECT_EQ(cache->GetOrLoad(S(route_), "k", [] { return std::string("v2"); }).body, "v2");
  EXPECT_TRUE(cache->GetOrLoad(S(route_), "k", [] { return std::string("v3"); }).hit);
}

}  // namespace
}  // namespace rihla::cache
