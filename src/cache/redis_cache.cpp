#include "cache/redis_cache.hpp"

#include <hiredis/hiredis.h>
#include <signal.h>

#include <algorithm>
#include <cctype>
#include <csignal>
#include <stdexcept>
#include <string_view>
#include <utility>

#include "security/crypto.hpp"

namespace rihla::cache {

namespace {

using std::chrono::milliseconds;

// Thrown by the helpers below after the failure was counted, logged and the cache degraded;
// never escapes a public method.
struct RedisFailure {};

constexpr milliseconds kFirstBackoff{100};
constexpr milliseconds kMaxBackoff{5000};
constexpr milliseconds kPollInterval{10};
constexpr std::size_t kUnlinkBatch = 1000;

// Current generation of a scope, created (atomically, with a TTL) if missing.
// KEYS: gen. ARGV: new token, gen ttl (s).
constexpr const char* kGenScript = R"lua(
local g = redis.call('GET', KEYS[1])
if g then return g end
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
return ARGV[1]
)lua";

// Before loading: {3} the generation moved on (do not cache), {2, entry} someone stored the entry
// meanwhile, {1} we hold the fill lease, {0} another instance holds it.
// KEYS: gen, entry, lock. ARGV: generation G, lease token, lease (ms).
constexpr const char* kLeaseScript = R"lua(
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return {3} end
local e = redis.call('GET', KEYS[2])
local p = ARGV[1] .. '\n'
if e and string.sub(e, 1, #p) == p then return {2, e} end
if redis.call('SET', KEYS[3], ARGV[2], 'NX', 'PX', ARGV[3]) then return {1} end
return {0}
)lua";

// Stores the entry only if the scope's generation is still G, then releases our lease.
// KEYS: gen, entry, lock. ARGV: G, "<G>\n<body>", ttl (ms), lease token.
constexpr const char* kStoreScript = R"lua(
local stored = 0
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[3])
  stored = 1
end
if redis.call('GET', KEYS[3]) == ARGV[4] then redis.call('DEL', KEYS[3]) end
return stored
)lua";

// KEYS: lock. ARGV: lease token.
constexpr const char* kUnlockScript = R"lua(
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
)lua";

// The body of an entry value "<gen>\n<body>" if it is stamped with `gen`.
std::optional<std::string> BodyIfCurrent(std::string_view value, std::string_view gen) {
  if (value.size() <= gen.size() || value.substr(0, gen.size()) != gen || value[gen.size()] != '\n') {
    return std::nullopt;
  }
  return std::string(value.substr(gen.size() + 1));
}

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
    : client_(ParseRedisUrl(url), opts.connect_timeout, opts.command_timeout, opts.pool_size),
      metrics_(metrics),
      logger_(logger),
      ttl_(ttl),
      gen_ttl_seconds_(std::max<std::int64_t>((ttl.count() * 10 + 999) / 1000, 24 * 60 * 60)),
      opts_(opts) {
  if (ttl.count() <= 0) throw std::invalid_argument("redis cache: ttl must be positive");
  if (opts_.fill_lease.count() <= 0 || opts_.connect_timeout.count() <= 0 || opts_.command_timeout.count() <= 0) {
    throw std::invalid_argument("redis cache: timeouts and fill lease must be positive");
  }
  // hiredis writes with write(2): a connection Redis closed would raise SIGPIPE and kill the
  // process. Ignore it unless the program installed its own handler.
  struct sigaction current {};
  if (sigaction(SIGPIPE, nullptr, &current) == 0 && current.sa_handler == SIG_DFL) std::signal(SIGPIPE, SIG_IGN);

  metrics_.Describe("rihla_cache_requests_total", "Search cache lookups by result (hit, miss, coalesced).");
  metrics_.Describe("rihla_cache_invalidations_total", "Route invalidations.");
  metrics_.Describe("rihla_cache_redis_errors_total",
                    "Redis errors and timeouts (each answered from the database without caching).");

  std::string error;
  if (auto conn = client_.Connect(error)) {
    client_.Release(*conn, true);
  } else {
    metrics_.Increment("rihla_cache_redis_errors_total");
    Warn("redis cache unreachable at start-up; serving from the database", error);
    std::lock_guard lock(state_mu_);
    MarkDegradedLocked();
  }
  recovery_ = std::thread([this] { RecoveryLoop(); });
}

RedisCache::~RedisCache() {
  {
    std::lock_guard lock(state_mu_);
    stop_ = true;
  }
  state_cv_.notify_all();
  if (recovery_.joinable()) recovery_.join();
}

std::string RedisCache::Status() { return degraded_.load() ? "degraded" : "ok"; }

// ---------------------------------------------------------------------------------------------
// Keys

std::string RedisCache::KeyPrefix(const domain::CacheScope& scope) { return "fs:{" + HashTag(scope.Key()) + "}:"; }

std::string RedisCache::GenKey(const domain::CacheScope& scope) { return KeyPrefix(scope) + "gen"; }

RedisCache::Keys RedisCache::MakeKeys(const domain::CacheScope& scope, const std::string& key) {
  std::string base = KeyPrefix(scope);
  std::string hash = Sha256Hex(key);
  return Keys{base + "gen", base + "e:" + hash, base + "lock:" + hash + ":"};
}

RedisCache::Conn RedisCache::Acquire(const char* op) {
  std::string error;
  if (auto conn = client_.Acquire(error)) return *conn;
  OnRedisError(op, error);
  throw RedisFailure{};
}

RedisCache::Reply RedisCache::Command(const std::vector<std::string>& args, const char* op) {
  for (int attempt = 0;; ++attempt) {
    Conn conn = Acquire(op);
    Reply reply;
    std::string error;
    if (client_.Exec(conn, args, reply, error)) {
      client_.Release(conn, true);
      return reply;
    }
    // A pooled connection that the server closed while idle (Redis restarted, idle timeout):
    // the pool is probably all stale; retry once on a fresh connection. Commands are idempotent.
    bool stale = !reply && attempt == 0 && conn.reused && conn.ctx->err == REDIS_ERR_EOF;
    client_.Release(conn, reply != nullptr);  // an error reply leaves the connection usable
    if (stale) {
      client_.DrainPool();
      continue;
    }
    OnRedisError(op, error);
    throw RedisFailure{};
  }
}

// ---------------------------------------------------------------------------------------------
// Failure handling

void RedisCache::Warn(const std::string& msg, const std::string& error) {
  std::int64_t now = NowMs();
  std::int64_t last = last_warn_ms_.load();
  if (last != 0 && now - last < 1000) return;
  if (!last_warn_ms_.compare_exchange_strong(last, now)) return;
  logger_.Write(LogLevel::kWarn, msg,
                {{"error", error}, {"redis", client_.url().host + ":" + std::to_string(client_.url().port)}});
}

void RedisCache::OnRedisError(const char* op, const std::string& error) {
  metrics_.Increment("rihla_cache_redis_errors_total");
  Warn(std::string("redis cache ") + op + " failed; serving from the database", error);
  {
    std::lock_guard lock(state_mu_);
    MarkDegradedLocked();
  }
  client_.DrainPool();
}

void RedisCache::MarkDegradedLocked() {
  if (degraded_.load()) return;
  degraded_.store(true);
  backoff_ = kFirstBackoff;
  next_attempt_ = Clock::now() + backoff_;
  state_cv_.notify_all();
}

void RedisCache::AddPendingLocked(const domain::CacheScope& scope) {
  if (purge_pending_) return;  // a pending purge drops every scope's generation anyway
  if (pending_scopes_.size() >= kMaxPendingScopes) {
    pending_scopes_.clear();
    purge_pending_ = true;
    return;
  }
  pending_scopes_.insert(scope);
}

void RedisCache::RecoveryLoop() {
  std::unique_lock lock(state_mu_);
  while (!stop_) {
    if (!degraded_.load()) {
      state_cv_.wait(lock);
      continue;
    }
    if (Clock::now() < next_attempt_) {
      state_cv_.wait_until(lock, next_attempt_);
      continue;
    }
    lock.unlock();
    bool ok = TryRecover();
    lock.lock();
    if (!ok && degraded_.load()) {
      backoff_ = std::min(backoff_ * 2, kMaxBackoff);
      next_attempt_ = Clock::now() + backoff_;
    }
  }
}

// Reconnects, re-applies the failed invalidations / purge, and only then leaves degraded mode.
bool RedisCache::TryRecover() {
  std::string error;
  auto conn = client_.Connect(error);
  Reply reply;
  if (conn && !client_.Exec(*conn, {"PING"}, reply, error)) {
    redisFree(conn->ctx);
    conn.reset();
  }
  if (!conn) {
    metrics_.Increment("rihla_cache_redis_errors_total");
    Warn("redis cache reconnect failed; serving from the database", error);
    return false;
  }
  for (;;) {
    std::set<domain::CacheScope> scopes;
    bool purge = false;
    {
      std::lock_guard lock(state_mu_);
      if (stop_) break;
      if (pending_scopes_.empty() && !purge_pending_) {
        degraded_.store(false);
        backoff_ = kFirstBackoff;
        break;
      }
      scopes.swap(pending_scopes_);
      purge = std::exchange(purge_pending_, false);
    }
    bool ok = !purge || ScanUnlink(*conn, error);
    for (auto it = scopes.begin(); ok && it != scopes.end(); ++it) {
      ok = client_.Exec(*conn, {"SET", GenKey(*it), RandomHex(16), "EX", std::to_string(gen_ttl_seconds_)}, reply, error);
    }
    if (!ok) {
      {
        std::lock_guard lock(state_mu_);
        if (purge) {
          purge_pending_ = true;
          pending_scopes_.clear();
        } else {
          for (const domain::CacheScope& scope : scopes) AddPendingLocked(scope);
        }
      }
      redisFree(conn->ctx);
      metrics_.Increment("rihla_cache_redis_errors_total");
      Warn("redis cache could not re-apply failed invalidations; serving from the database", error);
      return false;
    }
  }
  client_.Release(*conn, true);
  if (!degraded_.load()) logger_.Write(LogLevel::kInfo, "redis cache reconnected");
  return !degraded_.load();
}

bool RedisCache::ScanUnlink(Conn& conn, std::string& error) {
  std::string cursor = "0";
  Reply reply;
  do {
    if (!client_.Exec(conn, {"SCAN", cursor, "MATCH", "fs:*", "COUNT", "1000"}, reply, error)) return false;
    if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 2 || !IsText(reply->element[0]) ||
        reply->element[1]->type != REDIS_REPLY_ARRAY) {
      error = "unexpected SCAN reply";
      return false;
    }
    cursor = std::string(ReplyText(reply->element[0]));
    const redisReply* keys = reply->element[1];
    std::vector<std::string> batch;
    for (std::size_t i = 0; i <= keys->elements; ++i) {
      if (i < keys->elements && IsText(keys->element[i])) {
        if (batch.empty()) batch.emplace_back("UNLINK");
        batch.emplace_back(ReplyText(keys->element[i]));
      }
      if (!batch.empty() && (batch.size() > kUnlinkBatch || i == keys->elements)) {
        Reply unlinked;
        if (!client_.Exec(conn, batch, unlinked, error)) return false;
        batch.clear();
      }
    }
  } while (cursor != "0");
  return true;
}

// ---------------------------------------------------------------------------------------------
// Cache operations

RedisCache::PeekResult RedisCache::PeekRedis(const Keys& keys) {
  Reply reply = Command({"MGET", keys.gen, keys.entry}, "peek");
  if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 2) {
    OnRedisError("peek", "unexpected MGET reply");
    throw RedisFailure{};
  }
  PeekResult result;
  if (IsText(reply->element[0])) {
    result.gen = std::string(ReplyText(reply->element[0]));
    if (IsText(reply->element[1])) result.body = BodyIfCurrent(ReplyText(reply->element[1]), *result.gen);
  }
  return result;
}

std::string RedisCache::GetOrCreateGen(const Keys& keys) {
  Reply reply = Command({"EVAL", kGenScript, "1", keys.gen, RandomHex(16), std::to_string(gen_ttl_seconds_)},
                        "generation");
  if (!IsText(reply.get()) || reply->len == 0) {
    OnRedisError("generation", "unexpected reply");
    throw RedisFailure{};
  }
  return std::string(ReplyText(reply.get()));
}

std::optional<std::string> RedisCache::Peek(const domain::CacheScope& scope, const std::string& key) {
  if (degraded_.load()) return std::nullopt;
  try {
    PeekResult p = PeekRedis(MakeKeys(scope, key));
    if (!p.body) return std::nullopt;
    metrics_.Increment("rihla_cache_requests_total", "result=\"hit\"");
    return std::move(p.body);
  } catch (const RedisFailure&) {
    return std::nullopt;
  }
}

Lookup RedisCache::Bypass(const std::function<std::string()>& load) {
  metrics_.Increment("rihla_cache_requests_total", "result=\"miss\"");
  return Lookup{load(), false};
}

Lookup RedisCache::GetOrLoad(const domain::CacheScope& scope, const std::string& key,
                             const std::function<std::string()>& load) {
  if (degraded_.load()) return Bypass(load);
  Keys keys = MakeKeys(scope, key);
  std::string gen;
  try {
    PeekResult p = PeekRedis(keys);
    if (p.body) {
      metrics_.Increment("rihla_cache_requests_total", "result=\"hit\"");
      return Lookup{std::move(*p.body), true};
    }
    // The generation is read before the load starts: the fill is stored only if it still holds.
    gen = p.gen ? *p.gen : GetOrCreateGen(keys);
  } catch (const RedisFailure&) {
    return Bypass(load);
  }

  bool joined = false;
  Lookup result = inflight_.Do(
      scope.Key() + '\n' + key + '\n' + gen, [&] { return Fill(keys, gen, load); }, joined);
  if (joined) {
    metrics_.Increment("rihla_cache_requests_total", "result=\"coalesced\"");
    result.hit = true;
  }
  return result;
}

// The in-process leader for (scope, key, gen): takes the cross-instance fill lease, loads and
// stores, or waits for the instance that holds the lease.
Lookup RedisCache::Fill(const Keys& keys, const std::string& gen, const std::function<std::string()>& load) {
  const std::string lock_key = keys.lock_prefix + gen;
  const std::string token = RandomHex(16);
  long long state = -1;  // -1: Redis failed; else kLeaseScript's code
  try {
    Reply reply = Command({"EVAL", kLeaseScript, "3", keys.gen, keys.entry, lock_key, gen, token,
                           std::to_string(opts_.fill_lease.count())},
                          "lease");
    if (reply->type == REDIS_REPLY_ARRAY && reply->elements >= 1 && reply->element[0]->type == REDIS_REPLY_INTEGER) {
      state = reply->element[0]->integer;
      if (state == 2) {
        std::optional<std::string> body;
        if (reply->elements == 2 && IsText(reply->element[1])) body = BodyIfCurrent(ReplyText(reply->element[1]), gen);
        if (body) {
          metrics_.Increment("rihla_cache_requests_total", "result=\"hit\"");
          return Lookup{std::move(*body), true};
        }
        state = 3;  // cannot happen (the script checked the stamp); load without caching
      }
    } else {
      OnRedisError("lease", "unexpected reply");
    }
  } catch (const RedisFailure&) {
    state = -1;
  }

  if (state == 0) {  // another instance is filling: wait for its entry, briefly
    auto deadline = Clock::now() + opts_.wait_for_fill;
    while (!degraded_.load() && Clock::now() < deadline) {
      std::this_thread::sleep_for(std::min<Clock::duration>(kPollInterval, deadline - Clock::now()));
      Reply reply;
      try {
        reply = Command({"MGET", keys.gen, keys.entry, lock_key}, "wait");
      } catch (const RedisFailure&) {
        break;
      }
      if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 3 || !IsText(reply->element[0])) break;
      std::string current(ReplyText(reply->element[0]));
      if (IsText(reply->element[1])) {
        if (auto body = BodyIfCurrent(ReplyText(reply->element[1]), current)) {
          metrics_.Increment("rihla_cache_requests_total", "result=\"coalesced\"");
          return Lookup{std::move(*body), true};
        }
      }
      if (current != gen) break;               // invalidated: that fill will not be stored
      if (!IsText(reply->element[2])) break;  // the holder gave up (its load failed)
    }
  }

  metrics_.Increment("rihla_cache_requests_total", "result=\"miss\"");
  if (state != 1) return Lookup{load(), false};  // not ours to cache

  std::string body;
  try {
    body = load();
  } catch (...) {
    ReleaseLease(keys, gen, token);
    throw;
  }
  // While degraded (e.g. an invalidation just failed) nothing is stored; the lease expires.
  if (!degraded_.load()) {
    try {
      Command({"EVAL", kStoreScript, "3", keys.gen, keys.entry, lock_key, gen, gen + '\n' + body,
               std::to_string(ttl_.count()), token},
              "store");
    } catch (const RedisFailure&) {
    }
  }
  return Lookup{std::move(body), false};
}

void RedisCache::ReleaseLease(const Keys& keys, const std::string& gen, const std::string& token) {
  if (degraded_.load()) return;  // it expires by itself
  try {
    Command({"EVAL", kUnlockScript, "1", keys.lock_prefix + gen, token}, "unlock");
  } catch (const RedisFailure&) {
  }
}

void RedisCache::Invalidate(const domain::CacheScope& scope) {
  metrics_.Increment("rihla_cache_invalidations_total");
  {
    std::lock_guard lock(state_mu_);
    if (degraded_.load()) {  // re-applied by the recovery thread before Redis is used again
      AddPendingLocked(scope);
      return;
    }
  }
  try {
    Command({"SET", GenKey(scope), RandomHex(16), "EX", std::to_string(gen_ttl_seconds_)}, "invalidate");
    return;
  } catch (const RedisFailure&) {
  } catch (const std::exception& e) {
    metrics_.Increment("rihla_cache_redis_errors_total");
    Warn("redis cache invalidate failed; serving from the database", e.what());
  }
  // Degrade (again, should a recovery have slipped in) and remember the scope, atomically: the
  // recovery thread re-applies it before this instance uses Redis again.
  std::lock_guard lock(state_mu_);
  MarkDegradedLocked();
  AddPendingLocked(scope);
}

void RedisCache::PurgeAll() {
  {
    std::lock_guard lock(state_mu_);
    if (degraded_.load()) {
      purge_pending_ = true;
      pending_scopes_.clear();
      return;
    }
  }
  std::string error;
  try {
    Conn conn = Acquire("purge");
    bool ok = ScanUnlink(conn, error);
    client_.Release(conn, ok);
    if (ok) return;
    OnRedisError("purge", error);
  } catch (const RedisFailure&) {
  }
  std::lock_guard lock(state_mu_);
  MarkDegradedLocked();
  purge_pending_ = true;
  pending_scopes_.clear();
}

}  // namespace rihla::cache
