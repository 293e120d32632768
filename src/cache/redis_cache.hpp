#pragma once
// Redis-backed SearchCache, shared by every instance that uses the same Redis: same semantics as
// MemoryCache (scope generations, stamped entries, check-and-set fills, coalesced misses).
//
// Keys, all built from domain::CacheScope in KeyPrefix. The hash tag is the route alone
// (`{RUH-JED}`), so every key of a route, route-wide or narrow, lies in one Redis Cluster slot and
// the multi-key MGET and Lua scripts below are Cluster-legal. Every key is written with a TTL; for
// the scope RUH-JED 2026-12-03 economy (P = fs:{RUH-JED}:2026-12-03.economy:):
//   fs:{RUH-JED}:gen                 route token: random, EX max(entry ttl * 10, 1 day)
//   P gen                            scope token: the same
//   P e:<sha256(key)>                "<gen>.<epoch>\n<body>", PX entry ttl
//   P lock:<sha256(key)>:<gen>.<epoch>  random owner token, PX fill_lease
// A scope's generation <gen> is "<route token>/<scope token>": a write (booking, expiry, admin
// change) sets a new scope token, O(1), and leaves the route's other dates and cabins valid; an
// operator's route purge (a route-wide scope, whose own gen key is the route token) sets a new
// route token, which moves the generation of every scope of the route on, also O(1).
// (<epoch> is the cache epoch the fill ran under, 0 without an epoch lease; see below.)
// (A route or part key that is not [A-Za-z0-9._-]{1,64} is replaced by '#' + a hash of it, so it
// cannot break the hash tag or collide with another scope's keys.)
// Upgrading from the route-only layout (fs:{RUH-JED}:e:...): old entries are never read again
// and expire; instances of both layouts must not share one Redis (an old instance would not see
// a new one's narrow invalidations), so upgrade them together.
//
// Hot path, O(1), no KEYS/SCAN/sets:
//   Peek        MGET route-gen gen entry; the entry counts only if it is stamped with the current gen.
//   GetOrLoad   Peek; on a miss read (or atomically create) the current gen G *before* loading;
//               coalesce in-process by (scope, key, G); across instances one Lua call re-checks the
//               entry and takes the fill lease (SET lock NX PX). The lease holder loads and stores
//               with a Lua script that writes the entry only if GET gen == G (so a fill that raced
//               with an invalidation never becomes visible) and releases its lease. An instance
//               that did not get the lease polls every ~10 ms for up to wait_for_fill, then loads
//               itself without caching.
//   Invalidate  one SET of a new random token on the scope's gen key.
//
// Redis failures never fail a search. Any error or timeout counts rihla_cache_redis_errors_total,
// logs a warning (at most once a second), marks the cache degraded and the call is answered by
// `load()` without caching. While degraded, no request touches Redis (no added latency): a
// background thread (RedisRecovery) reconnects with exponential backoff (100 ms doubling to
// 5 s, 500 ms under Sentinel), re-learning the topology (Cluster slot map, Sentinel primary)
// and PINGing every primary; Status() says "degraded" until it succeeds.
//
// Failed invalidations (the freshness promise). An Invalidate that fails (or that is called
// while degraded) cannot have moved the scope's generation on, so entries computed before the
// write may still be in Redis. Handling:
//   1. The scope is added to an in-memory pending set and the cache is degraded, atomically
//      (under one mutex). This instance then serves only from the database.
//   2. The recovery thread, after reconnecting, re-sends `SET gen <new token>` for every pending
//      scope (and finishes a failed PurgeAll) *before* it clears `degraded`; "pending set empty"
//      and "clear degraded" are decided under the same mutex as step 1 (RedisRecovery's), so
//      an invalidation that fails during recovery is never lost. A scope whose invalidation
//      timed out but actually happened is just invalidated twice (harmless).
//   3. A fill that was in flight across the failure does not store while degraded; after the
//      recovery its gen check fails because the generation was bumped.
//   4. If more than RedisRecovery::kMaxPendingScopes scopes are pending, the set is replaced by
//      "purge everything" (SCAN fs:* on every primary + UNLINK) on recovery: bounded memory, still correct (an
//      entry is only valid under its gen key, and a deleted gen is recreated with a fresh token).
// Other instances (contract v1.1): with an epoch lease (Options::epoch, cache/epoch_lease.hpp),
// every entry is also stamped with the cache epoch its fill ran under ("<gen>.<epoch>") and is
// served only while this instance's lease on that epoch is fresh, re-checked after the read. An
// invalidation Redis did not confirm (the SET failed or timed out, it was deferred because this
// instance is degraded, or WAIT saw fewer than Options::wait_replicas replicas) bumps the epoch
// in the database and waits out the lease before Invalidate returns, so once the write answers
// no instance can serve an entry from before it (about lease + the failed command's timeout of
// extra latency; never an error). Without an epoch lease (the `cache purge` command) a failed
// invalidation is only re-applied by the recovery as above.
//
// Searches that cannot be checked (degraded, or the lease is not fresh) are answered from the
// database, coalesced per instance by FreshFlight: a search only ever joins a load that had not
// started when it arrived, so such an answer is never older than the search.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cache/epoch_lease.hpp"
#include "cache/fresh_flight.hpp"
#include "cache/redis_client.hpp"
#include "cache/redis_recovery.hpp"
#include "cache/search_cache.hpp"
#include "cache/single_flight.hpp"
#include "observability/logger.hpp"
#include "observability/metric_families.hpp"

namespace rihla::cache {

struct RedisCacheOptions {
  std::chrono::milliseconds connect_timeout{200};
  std::chrono::milliseconds command_timeout{200};
  std::size_t pool_size = 16;                     // idle connections kept
  std::chrono::milliseconds fill_lease{2000};     // how long one instance holds a key's fill lock
  std::chrono::milliseconds wait_for_fill{1000};  // how long others wait for it, then load uncached
  // The cache epoch lease shared entries are checked against; nullptr: generations only.
  std::shared_ptr<EpochLease> epoch;
  // After each generation bump, WAIT for this many replicas (for at most command_timeout / 2);
  // fewer counts as not confirmed. 0: no WAIT.
  int wait_replicas = 0;
};

class RedisCache : public SearchCache {
 public:
  using Options = RedisCacheOptions;

  // Throws std::invalid_argument on a bad URL. Does not throw when Redis is unreachable: the
  // cache starts degraded and keeps trying in the background.
  RedisCache(std::string url, Metrics& metrics, Logger& logger, std::chrono::milliseconds ttl,
             Options opts = {});
  ~RedisCache() override;
  RedisCache(const RedisCache&) = delete;
  RedisCache& operator=(const RedisCache&) = delete;

  bool PeekIsNonBlocking() const override { return false; }
  std::optional<std::string> Peek(const domain::CacheScope& scope, const std::string& key) override;
  Lookup GetOrLoad(const domain::CacheScope& scope, const std::string& key,
                   const std::function<std::string()>& load) override;
  // Never throws; see "Failed invalidations" above.
  void Invalidate(const domain::CacheScope& scope) override;
  // As Invalidate, but an unconfirmed invalidation bumps the epoch without waiting out the lease.
  void InvalidateInBackground(const domain::CacheScope& scope) override;
  // SCAN fs:* on every primary + UNLINK in batches, one slot per UNLINK (admin only). Never
  // throws; a failed purge is finished by the recovery thread before the cache is used again.
  void PurgeAll() override;
  std::string Status() override;

  void PurgeScope(const domain::CacheScope& scope) { Invalidate(scope); }
  // Redis commands sent so far (an EVAL counts as one), including the recovery thread's.
  std::uint64_t commands_sent() const { return client_.commands_sent(); }

 private:
  struct Keys {
    std::string route_gen;  // the route-wide scope's gen key (== gen for a route-wide scope)
    std::string gen;
    std::string entry;
    std::string lock_prefix;  // + gen
  };
  struct PeekResult {
    std::optional<std::string> gen;   // current generation, if the key exists
    std::optional<std::string> body;  // entry body, only if stamped with `gen` and the epoch
  };
  // What a generation bump achieved.
  enum class Bump { kConfirmed, kFailed, kUnderReplicated };
  // What kLeaseScript found, before loading.
  enum class LeaseState { kRedisFailed, kOtherInstanceFills, kOurs, kStale };
  struct Lease {
    LeaseState state = LeaseState::kRedisFailed;
    std::optional<std::string> body;  // set when another fill stored the entry meanwhile
  };
  using Reply = RedisClient::Reply;

  // The one place that lays a scope out as Redis keys.
  static std::string KeyPrefix(const domain::CacheScope& scope);
  static Keys MakeKeys(const domain::CacheScope& scope, const std::string& key);
  static std::string GenKey(const domain::CacheScope& scope);

  // These throw RedisFailure (internal) after counting/logging the failure and degrading.
  Reply Command(const std::vector<std::string>& args, const char* op);
  PeekResult PeekRedis(const Keys& keys, std::int64_t epoch);
  std::string GetOrCreateGen(const Keys& keys);

  // The epoch entries must carry: 0 without a lease; nullopt when the lease is not fresh.
  std::optional<std::int64_t> CurrentEpoch() const;
  // Answers from the database, coalesced per instance (FreshFlight), caching nothing.
  Lookup FromDatabase(const domain::CacheScope& scope, const std::string& key,
                      const std::function<std::string()>& load);
  // The in-process leader of (scope, key, stamp): TakeLease, then WaitForFill or LoadAndStore.
  // `stamp` is "<gen>.<epoch>".
  Lookup Fill(const Keys& keys, const std::string& gen, const std::string& stamp,
              const std::function<std::string()>& load);
  Lease TakeLease(const Keys& keys, const std::string& gen, const std::string& stamp, const std::string& token);
  std::optional<std::string> WaitForFill(const Keys& keys, const std::string& gen, const std::string& stamp);
  Lookup LoadAndStore(const Keys& keys, const std::string& gen, const std::string& stamp, const std::string& token,
                      const std::function<std::string()>& load);
  void ReleaseLease(const Keys& keys, const std::string& stamp, const std::string& token);
  // SET gen (and WAIT, with wait_replicas) on one connection. Counts and logs failures.
  Bump BumpGeneration(const domain::CacheScope& scope);
  // Invalidate's body; `wait`: wait out the epoch lease after an unconfirmed bump.
  void InvalidateScope(const domain::CacheScope& scope, bool wait);
  // After an invalidation Redis did not confirm: bump the epoch and (with `wait`) wait out the
  // lease.
  void EnsureNoInstanceServesOlder(bool wait = true);

  bool ScanUnlink(std::string& error);

  void OnRedisError(const char* op, const std::string& error);
  // RedisRecovery's attempt: reconnect, re-apply pending invalidations / purge.
  bool TryRecover();
  bool Reapply(const RedisRecovery::Pending& work, std::string& error);
  void Warn(const std::string& msg, const std::string& error);

  RedisClient client_;
  const Counter hits_;
  const Counter misses_;
  const Counter coalesced_;
  const Counter invalidations_;
  const Counter redis_errors_;
  Logger& logger_;
  const std::chrono::milliseconds ttl_;
  const std::int64_t gen_ttl_seconds_;
  const Options opts_;

  std::atomic<std::int64_t> last_warn_ms_{0};

  // In-process single flight; key: scope key '\n' key '\n' stamp.
  SingleFlight<Lookup> inflight_;
  // Database answers while Redis cannot be checked; key: scope key '\n' key.
  FreshFlight<std::string> from_db_;

  // Last member: its thread calls TryRecover, so it stops before the members above go.
  RedisRecovery recovery_;
};

}  // namespace rihla::cache
