#include "cache/redis_cache.hpp"

#include <hiredis/hiredis.h>
#include <signal.h>

#include <algorithm>
#include <cctype>
#include <csignal>
#include <map>
#include <stdexcept>
#include <string_view>
#include <thread>
#include <utility>

#include "security/crypto.hpp"

namespace rihla::cache {

namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

// Thrown by the helpers below after the failure was counted, logged and the cache degraded;
// never escapes a public method.
struct RedisFailure {};

constexpr milliseconds kPollInterval{10};
constexpr std::size_t kUnlinkBatch = 1000;

// A scope's generation is "<route token>/<scope token>": the token of its route-wide scope and
// its own (the same key for a route-wide scope). Bumping either moves it on. kCurrentGen (a Lua
// prefix of the scripts that compare it) reads it; false when either token is missing.
#define RIHLA_CURRENT_GEN_LUA \
  "local function current_gen()\n" \
  "  local r, s = redis.call('GET', KEYS[1]), redis.call('GET', KEYS[2])\n" \
  "  if not r or not s then return false end\n" \
  "  return r .. '/' .. s\n" \
  "end\n"

// Current generation of a scope, its missing tokens created (atomically, with a TTL).
// KEYS: route gen, scope gen. ARGV: new route token, new scope token, gen ttl (s).
constexpr const char* kGenScript = R"lua(
local function get_or_create(key, token)
  local g = redis.call('GET', key)
  if g then return g end
  redis.call('SET', key, token, 'EX', ARGV[3])
  return token
end
local r = get_or_create(KEYS[1], ARGV[1])
return r .. '/' .. get_or_create(KEYS[2], ARGV[2])
)lua";

// Before loading: {3} the generation moved on (do not cache), {2, entry} someone stored the entry
// meanwhile, {1} we hold the fill lease, {0} another instance holds it (see LeaseCode).
// KEYS: route gen, scope gen, entry, lock. ARGV: generation G, lease token, lease (ms), stamp
// "<G>.<epoch>".
constexpr const char* kLeaseScript = RIHLA_CURRENT_GEN_LUA R"lua(
if current_gen() ~= ARGV[1] then return {3} end
local e = redis.call('GET', KEYS[3])
local p = ARGV[4] .. '\n'
if e and string.sub(e, 1, #p) == p then return {2, e} end
if redis.call('SET', KEYS[4], ARGV[2], 'NX', 'PX', ARGV[3]) then return {1} end
return {0}
)lua";

// Stores the entry only if the scope's generation is still G, then releases our lease.
// KEYS: route gen, scope gen, entry, lock. ARGV: G, "<stamp>\n<body>", ttl (ms), lease token.
constexpr const char* kStoreScript = RIHLA_CURRENT_GEN_LUA R"lua(
local stored = 0
if current_gen() == ARGV[1] then
  redis.call('SET', KEYS[3], ARGV[2], 'PX', ARGV[3])
  stored = 1
end
if redis.call('GET', KEYS[4]) == ARGV[4] then redis.call('DEL', KEYS[4]) end
return stored
)lua";
#undef RIHLA_CURRENT_GEN_LUA

// KEYS: lock. ARGV: lease token.
constexpr const char* kUnlockScript = R"lua(
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
)lua";

// The stamp of entries filled under generation `gen` and cache epoch `epoch`.
std::string Stamp(std::string_view gen, std::int64_t epoch) {
  return std::string(gen) + "." + std::to_string(epoch);
}

// The body of an entry value "<stamp>\n<body>" if it carries `stamp`.
std::optional<std::string> BodyIfCurrent(std::string_view value, std::string_view stamp) {
  if (value.size() <= stamp.size() || value.substr(0, stamp.size()) != stamp || value[stamp.size()] != '\n') {
    return std::nullopt;
  }
  return std::string(value.substr(stamp.size() + 1));
}

// The generation "<route token>/<scope token>" from the two gen keys' values; nullopt when
// either is missing (as current_gen() in the scripts).
std::optional<std::string> Generation(const redisReply* route_token, const redisReply* scope_token) {
  if (!IsText(route_token) || !IsText(scope_token)) return std::nullopt;
  return std::string(ReplyText(route_token)) + "/" + std::string(ReplyText(scope_token));
}

// kLeaseScript's first reply element.
enum LeaseCode : long long { kLeaseOther = 0, kLeaseOurs = 1, kLeaseStored = 2, kLeaseStale = 3 };

// A scope key usable inside a `{...}` hash tag, or '#' + a hash of it.
std::string HashTag(const std::string& scope_key) {
  bool plain = !scope_key.empty() && scope_key.size() <= 64 &&
               std::all_of(scope_key.begin(), scope_key.end(), [](char c) {
                 return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
               });
  return plain ? scope_key : "#" + Sha256Hex(scope_key).substr(0, 32);
}

std::int64_t NowMs() {
  return std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

}  // namespace

RedisCache::RedisCache(std::string url, Metrics& metrics, Logger& logger, std::chrono::milliseconds ttl,
                       Options opts)
    : client_(ParseRedisTarget(url), opts.connect_timeout, opts.command_timeout, opts.pool_size),
      hits_(metrics.Family(metric::kCacheRequests).WithLabels("hit")),
      misses_(metrics.Family(metric::kCacheRequests).WithLabels("miss")),
      coalesced_(metrics.Family(metric::kCacheRequests).WithLabels("coalesced")),
      invalidations_(metrics.Family(metric::kCacheInvalidations).WithLabels()),
      redis_errors_(metrics.Family(metric::kCacheRedisErrors).WithLabels()),
      logger_(logger),
      ttl_(ttl),
      gen_ttl_seconds_(std::max<std::int64_t>((ttl.count() * 10 + 999) / 1000, 24 * 60 * 60)),
      opts_(opts),
      recovery_(client_.target().mode == RedisMode::kSentinel ? milliseconds(500) : milliseconds(5000)) {
  if (ttl.count() <= 0) throw std::invalid_argument("redis cache: ttl must be positive");
  if (opts_.fill_lease.count() <= 0 || opts_.connect_timeout.count() <= 0 || opts_.command_timeout.count() <= 0) {
    throw std::invalid_argument("redis cache: timeouts and fill lease must be positive");
  }
  if (opts_.wait_replicas < 0) throw std::invalid_argument("redis cache: wait_replicas must not be negative");
  // hiredis writes with write(2): a connection Redis closed would raise SIGPIPE and kill the
  // process. Ignore it unless the program installed its own handler.
  struct sigaction current {};
  if (sigaction(SIGPIPE, nullptr, &current) == 0 && current.sa_handler == SIG_DFL) std::signal(SIGPIPE, SIG_IGN);

  std::string error;
  if (!client_.Refresh(error)) {
    redis_errors_.Increment();
    Warn("redis cache unreachable at start-up; serving from the database", error);
    recovery_.MarkDegraded();
  }
  recovery_.Start([this] { return TryRecover(); });
}

RedisCache::~RedisCache() { recovery_.Stop(); }

std::string RedisCache::Status() { return recovery_.degraded() || !CurrentEpoch() ? "degraded" : "ok"; }

std::optional<std::int64_t> RedisCache::CurrentEpoch() const {
  if (!opts_.epoch) return std::int64_t{0};
  return opts_.epoch->Current();
}

// ---------------------------------------------------------------------------------------------
// Keys

// The hash tag is the route alone, so all of a route's keys share one Cluster slot.
std::string RedisCache::KeyPrefix(const domain::CacheScope& scope) {
  std::string prefix = "fs:{" + HashTag(scope.RouteKey()) + "}:";
  if (!scope.IsRouteWide()) prefix += HashTag(scope.PartKey()) + ":";
  return prefix;
}

std::string RedisCache::GenKey(const domain::CacheScope& scope) { return KeyPrefix(scope) + "gen"; }

RedisCache::Keys RedisCache::MakeKeys(const domain::CacheScope& scope, const std::string& key) {
  std::string base = KeyPrefix(scope);
  std::string hash = Sha256Hex(key);
  return Keys{GenKey(scope.RouteScope()), base + "gen", base + "e:" + hash, base + "lock:" + hash + ":"};
}

// Routed by the first key (its scope's hash tag); RedisClient follows redirects and retries a
// stale pooled connection once (every command rihla sends is idempotent).
RedisCache::Reply RedisCache::Command(const std::vector<std::string>& args, const char* op) {
  Reply reply;
  std::string error;
  if (client_.Run(args, reply, error)) return reply;
  OnRedisError(op, error);
  throw RedisFailure{};
}

// ---------------------------------------------------------------------------------------------
// Failure handling

void RedisCache::Warn(const std::string& msg, const std::string& error) {
  std::int64_t now = NowMs();
  std::int64_t last = last_warn_ms_.load();
  if (last != 0 && now - last < 1000) return;
  if (!last_warn_ms_.compare_exchange_strong(last, now)) return;
  logger_.Write(LogLevel::kWarn, msg,
                {{"error", error}, {"redis", client_.target().Describe()}});
}

void RedisCache::OnRedisError(const char* op, const std::string& error) {
  redis_errors_.Increment();
  Warn(std::string("redis cache ") + op + " failed; serving from the database", error);
  recovery_.MarkDegraded();
  client_.DrainPool();
}

// Reconnects, re-applies the failed invalidations / purge, and only then leaves degraded mode
// (RedisRecovery decides that, under the lock that queues failed invalidations).
bool RedisCache::TryRecover() {
  std::string error;
  // Learns the topology again (slot map, or the primary from the sentinels) and PINGs every
  // primary: the cache is used again only once every slot can be reached.
  if (!client_.Refresh(error)) {
    redis_errors_.Increment();
    Warn("redis cache reconnect failed; serving from the database", error);
    return false;
  }
  while (auto work = recovery_.TakePendingOrRecover()) {
    if (!Reapply(*work, error)) {
      recovery_.Requeue(std::move(*work));
      client_.DrainPool();
      redis_errors_.Increment();
      Warn("redis cache could not re-apply failed invalidations; serving from the database", error);
      return false;
    }
  }
  bool recovered = !recovery_.degraded();
  if (recovered) logger_.Write(LogLevel::kInfo, "redis cache reconnected");
  return recovered;
}

bool RedisCache::Reapply(const RedisRecovery::Pending& work, std::string& error) {
  if (work.purge && !ScanUnlink(error)) return false;
  Reply reply;
  for (const domain::CacheScope& scope : work.scopes) {
    if (!client_.Run({"SET", GenKey(scope), RandomHex(16), "EX", std::to_string(gen_ttl_seconds_)}, reply, error)) {
      return false;
    }
  }
  return true;
}

// SCAN runs on every primary (a Cluster node lists only its own keys); each UNLINK stays inside
// one slot (a multi-key command across slots is refused with CROSSSLOT on a Cluster).
bool RedisCache::ScanUnlink(std::string& error) {
  // The Cluster's current primaries (or, under Sentinel, the primary if it was forgotten).
  if ((client_.clustered() || client_.Primaries().empty()) && !client_.Refresh(error)) return false;
  std::vector<RedisNode> primaries = client_.Primaries();
  if (primaries.empty()) {
    error = "no primary known";
    return false;
  }
  Reply reply;
  for (const RedisNode& node : primaries) {
    std::string cursor = "0";
    do {
      if (!client_.RunOn(node, {"SCAN", cursor, "MATCH", "fs:*", "COUNT", "1000"}, reply, error)) return false;
      if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 2 || !IsText(reply->element[0]) ||
          reply->element[1]->type != REDIS_REPLY_ARRAY) {
        error = "unexpected SCAN reply";
        return false;
      }
      cursor = std::string(ReplyText(reply->element[0]));
      const redisReply* keys = reply->element[1];
      std::map<int, std::vector<std::string>> by_slot;  // one UNLINK per slot (one batch without a Cluster)
      for (std::size_t i = 0; i < keys->elements; ++i) {
        if (!IsText(keys->element[i])) continue;
        std::string_view key = ReplyText(keys->element[i]);
        std::vector<std::string>& batch = by_slot[client_.clustered() ? KeySlot(key) : 0];
        if (batch.empty()) batch.emplace_back("UNLINK");
        batch.emplace_back(key);
      }
      for (auto& [slot, batch] : by_slot) {
        for (std::size_t from = 1; from < batch.size(); from += kUnlinkBatch) {
          std::vector<std::string> unlink{"UNLINK"};
          std::size_t to = std::min(batch.size(), from + kUnlinkBatch);
          unlink.insert(unlink.end(), batch.begin() + static_cast<std::ptrdiff_t>(from),
                        batch.begin() + static_cast<std::ptrdiff_t>(to));
          Reply unlinked;
          if (!client_.Run(unlink, unlinked, error)) return false;
        }
      }
    } while (cursor != "0");
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// Cache operations

RedisCache::PeekResult RedisCache::PeekRedis(const Keys& keys, std::int64_t epoch) {
  Reply reply = Command({"MGET", keys.route_gen, keys.gen, keys.entry}, "peek");
  if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 3) {
    OnRedisError("peek", "unexpected MGET reply");
    throw RedisFailure{};
  }
  PeekResult result;
  result.gen = Generation(reply->element[0], reply->element[1]);
  if (result.gen && IsText(reply->element[2])) {
    result.body = BodyIfCurrent(ReplyText(reply->element[2]), Stamp(*result.gen, epoch));
  }
  return result;
}

std::string RedisCache::GetOrCreateGen(const Keys& keys) {
  Reply reply = Command({"EVAL", kGenScript, "2", keys.route_gen, keys.gen, RandomHex(16), RandomHex(16),
                         std::to_string(gen_ttl_seconds_)},
                        "generation");
  if (!IsText(reply.get()) || reply->len == 0) {
    OnRedisError("generation", "unexpected reply");
    throw RedisFailure{};
  }
  return std::string(ReplyText(reply.get()));
}

std::optional<std::string> RedisCache::Peek(const domain::CacheScope& scope, const std::string& key) {
  std::optional<std::int64_t> epoch = CurrentEpoch();
  if (recovery_.degraded() || !epoch) return std::nullopt;
  try {
    PeekResult p = PeekRedis(MakeKeys(scope, key), *epoch);
    if (!p.body || CurrentEpoch() != epoch) return std::nullopt;  // the lease must still hold as we answer
    hits_.Increment();
    return std::move(p.body);
  } catch (const RedisFailure&) {
    return std::nullopt;
  }
}

Lookup RedisCache::FromDatabase(const domain::CacheScope& scope, const std::string& key,
                                const std::function<std::string()>& load) {
  bool joined = false;
  std::string body = from_db_.Do(
      scope.Key() + '\n' + key,
      [&] {
        misses_.Increment();
        return load();
      },
      joined);
  if (joined) coalesced_.Increment();
  return Lookup{std::move(body), joined};
}

Lookup RedisCache::GetOrLoad(const domain::CacheScope& scope, const std::string& key,
                             const std::function<std::string()>& load) {
  std::optional<std::int64_t> epoch = CurrentEpoch();
  if (recovery_.degraded() || !epoch) return FromDatabase(scope, key, load);
  Keys keys = MakeKeys(scope, key);
  std::string gen;
  try {
    PeekResult p = PeekRedis(keys, *epoch);
    if (p.body && CurrentEpoch() == epoch) {  // the lease must still hold as we answer
      hits_.Increment();
      return Lookup{std::move(*p.body), true};
    }
    // The generation is read before the load starts: the fill is stored only if it still holds.
    gen = p.gen ? *p.gen : GetOrCreateGen(keys);
  } catch (const RedisFailure&) {
    return FromDatabase(scope, key, load);
  }

  const std::string stamp = Stamp(gen, *epoch);
  bool joined = false;
  Lookup result = inflight_.Do(
      scope.Key() + '\n' + key + '\n' + stamp, [&] { return Fill(keys, gen, stamp, load); }, joined);
  if (joined) {
    coalesced_.Increment();
    result.hit = true;
  }
  return result;
}

// The in-process leader for (scope, key, gen): takes the cross-instance fill lease, then loads
// and stores, or waits for the instance that holds the lease.
Lookup RedisCache::Fill(const Keys& keys, const std::string& gen, const std::string& stamp,
                        const std::function<std::string()>& load) {
  const std::string token = RandomHex(16);
  Lease lease = TakeLease(keys, gen, stamp, token);
  if (lease.body) {
    hits_.Increment();
    return Lookup{std::move(*lease.body), true};
  }
  if (lease.state == LeaseState::kOtherInstanceFills) {
    if (auto body = WaitForFill(keys, gen, stamp)) {
      coalesced_.Increment();
      return Lookup{std::move(*body), true};
    }
  }
  misses_.Increment();
  if (lease.state != LeaseState::kOurs) return Lookup{load(), false};  // not ours to cache
  return LoadAndStore(keys, gen, stamp, token, load);
}

// One Lua call: re-checks the generation and the entry, and takes the fill lease if free.
RedisCache::Lease RedisCache::TakeLease(const Keys& keys, const std::string& gen, const std::string& stamp,
                                        const std::string& token) {
  Lease lease;
  try {
    Reply reply = Command({"EVAL", kLeaseScript, "4", keys.route_gen, keys.gen, keys.entry, keys.lock_prefix + stamp,
                           gen, token, std::to_string(opts_.fill_lease.count()), stamp},
                          "lease");
    if (reply->type != REDIS_REPLY_ARRAY || reply->elements < 1 || reply->element[0]->type != REDIS_REPLY_INTEGER) {
      OnRedisError("lease", "unexpected reply");
      return lease;
    }
    switch (reply->element[0]->integer) {
      case kLeaseOther:
        lease.state = LeaseState::kOtherInstanceFills;
        break;
      case kLeaseOurs:
        lease.state = LeaseState::kOurs;
        break;
      case kLeaseStored:
        if (reply->elements == 2 && IsText(reply->element[1])) {
          lease.body = BodyIfCurrent(ReplyText(reply->element[1]), stamp);
        }
        // Without a body (cannot happen: the script checked the stamp) load without caching.
        lease.state = LeaseState::kStale;
        break;
      default:
        lease.state = LeaseState::kStale;
        break;
    }
  } catch (const RedisFailure&) {
    lease.state = LeaseState::kRedisFailed;
  }
  return lease;
}

// Polls (every kPollInterval, up to wait_for_fill) for the entry another instance is filling
// under its lease. nullopt when it does not come: the generation moved on, the holder gave up,
// Redis failed or the wait ran out.
std::optional<std::string> RedisCache::WaitForFill(const Keys& keys, const std::string& gen,
                                                   const std::string& stamp) {
  const std::string lock_key = keys.lock_prefix + stamp;
  auto deadline = Clock::now() + opts_.wait_for_fill;
  while (!recovery_.degraded() && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::min<Clock::duration>(kPollInterval, deadline - Clock::now()));
    Reply reply;
    try {
      reply = Command({"MGET", keys.route_gen, keys.gen, keys.entry, lock_key}, "wait");
    } catch (const RedisFailure&) {
      return std::nullopt;
    }
    if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 4) return std::nullopt;
    std::optional<std::string> current = Generation(reply->element[0], reply->element[1]);
    if (!current) return std::nullopt;
    if (IsText(reply->element[2])) {
      if (auto body = BodyIfCurrent(ReplyText(reply->element[2]), stamp)) return body;
    }
    if (*current != gen) return std::nullopt;              // invalidated: that fill will not be stored
    if (!IsText(reply->element[3])) return std::nullopt;  // the holder gave up (its load failed)
  }
  return std::nullopt;
}

// We hold the lease: load, then store only if the generation still is `gen` (kStoreScript),
// releasing the lease either way. A failed load releases it and rethrows.
Lookup RedisCache::LoadAndStore(const Keys& keys, const std::string& gen, const std::string& stamp,
                                const std::string& token, const std::function<std::string()>& load) {
  std::string body;
  try {
    body = load();
  } catch (...) {
    ReleaseLease(keys, stamp, token);
    throw;
  }
  // While degraded (e.g. an invalidation just failed) nothing is stored; the lease expires.
  if (!recovery_.degraded()) {
    try {
      Command({"EVAL", kStoreScript, "4", keys.route_gen, keys.gen, keys.entry, keys.lock_prefix + stamp, gen,
               stamp + '\n' + body, std::to_string(ttl_.count()), token},
              "store");
    } catch (const RedisFailure&) {
    }
  }
  return Lookup{std::move(body), false};
}

void RedisCache::ReleaseLease(const Keys& keys, const std::string& stamp, const std::string& token) {
  if (recovery_.degraded()) return;  // it expires by itself
  try {
    Command({"EVAL", kUnlockScript, "1", keys.lock_prefix + stamp, token}, "unlock");
  } catch (const RedisFailure&) {
  }
}

RedisCache::Bump RedisCache::BumpGeneration(const domain::CacheScope& scope) {
  std::vector<RedisClient::Args> cmds{{"SET", GenKey(scope), RandomHex(16), "EX", std::to_string(gen_ttl_seconds_)}};
  // WAIT on the connection that wrote (the scope's primary): how many replicas have everything it
  // wrote so far.
  if (opts_.wait_replicas > 0) {
    auto budget = std::max<std::int64_t>(1, opts_.command_timeout.count() / 2);
    cmds.push_back({"WAIT", std::to_string(opts_.wait_replicas), std::to_string(budget)});
  }
  std::vector<Reply> replies;
  std::string error;
  if (!client_.Run(cmds, replies, error)) {
    OnRedisError(replies.size() > 1 ? "invalidate (WAIT)" : "invalidate", error);
    return Bump::kFailed;
  }
  if (opts_.wait_replicas == 0) return Bump::kConfirmed;
  const Reply& acked = replies.back();
  if (acked->type == REDIS_REPLY_INTEGER && acked->integer >= opts_.wait_replicas) return Bump::kConfirmed;
  redis_errors_.Increment();
  Warn("redis cache invalidation reached fewer replicas than RIHLA_REDIS_WAIT_REPLICAS",
       "acknowledged by " + std::to_string(acked->type == REDIS_REPLY_INTEGER ? acked->integer : -1));
  return Bump::kUnderReplicated;
}

void RedisCache::EnsureNoInstanceServesOlder(bool wait) {
  if (!opts_.epoch) return;
  if (wait) opts_.epoch->BumpAndWaitOut();
  else opts_.epoch->Bump();
}

void RedisCache::Invalidate(const domain::CacheScope& scope) { InvalidateScope(scope, true); }

void RedisCache::InvalidateInBackground(const domain::CacheScope& scope) { InvalidateScope(scope, false); }

void RedisCache::InvalidateScope(const domain::CacheScope& scope, bool wait) {
  invalidations_.Increment();
  // While degraded the invalidation is queued and re-applied by the recovery thread before this
  // instance uses Redis again; other instances are held off by the epoch.
  if (recovery_.DeferIfDegraded(scope)) {
    EnsureNoInstanceServesOlder(wait);
    return;
  }
  Bump bump = Bump::kFailed;
  try {
    bump = BumpGeneration(scope);
  } catch (const std::exception& e) {
    redis_errors_.Increment();
    Warn("redis cache invalidate failed; serving from the database", e.what());
  }
  if (bump == Bump::kConfirmed) return;
  // Degrade and remember the scope, atomically: the recovery thread re-applies it before this
  // instance uses Redis again. (Under-replicated: the primary has it; a failover may lose it.)
  if (bump == Bump::kFailed) recovery_.InvalidationFailed(scope);
  EnsureNoInstanceServesOlder(wait);
}

void RedisCache::PurgeAll() {
  if (recovery_.DeferPurgeIfDegraded()) {
    EnsureNoInstanceServesOlder();
    return;
  }
  std::string error;
  if (ScanUnlink(error)) return;
  OnRedisError("purge", error);
  recovery_.PurgeFailed();
  EnsureNoInstanceServesOlder();  // a new epoch hides every entry, as a purge does
}

}  // namespace rihla::cache
