#include "app/config.hpp"

#include <array>
#include <cstdlib>
#include <optional>
#include <stdexcept>

#include "domain/parse_int.hpp"

namespace rihla::app {
namespace {

constexpr int kDay = 86400;

const auto kIntSettings = std::to_array<IntSetting>({
    {"RIHLA_BOOKING_HOLD_SECONDS", "--booking-hold-seconds", &Config::booking_hold_seconds, 1, kDay * 7,
     "unpaid booking hold"},
    {"RIHLA_IDEMPOTENCY_TTL_SECONDS", "--idempotency-ttl-seconds", &Config::idempotency_ttl_seconds, 1, kDay * 30,
     "idempotency record retention"},
    {"RIHLA_IDEMPOTENCY_LEASE_SECONDS", "--idempotency-lease-seconds", &Config::idempotency_lease_seconds, 1, 3600,
     "lease of an in-flight idempotency record"},
    {"RIHLA_TOKEN_TTL_SECONDS", "--token-ttl-seconds", &Config::token_ttl_seconds, 1, kDay * 3650,
     "bearer token lifetime"},
    {"RIHLA_THREADS", "--threads", &Config::threads, 1, 256, "I/O threads (default: number of cores)"},
    {"RIHLA_WORKERS", "--workers", &Config::workers, 1, 1024,
     "worker threads for blocking work (default: pool size; 4x the pool on SQLite)"},
    {"RIHLA_DB_POOL", "--db-pool", &Config::db_pool, 1, 1024, "database connections (default 8 SQLite, 16 others)"},
    {"RIHLA_GROUP_COMMIT_MAX", "--group-commit-max", &Config::group_commit_max, 1, 1024,
     "SQLite: most idempotent requests committed together in one transaction (1: one each)"},
    {"RIHLA_MAX_QUEUE", "--max-queue", &Config::max_queue, 1, 1'000'000, "requests waiting for a worker before 503"},
    {"RIHLA_READ_TIMEOUT_MS", "--read-timeout-ms", &Config::read_timeout_ms, 100, 3'600'000,
     "per-request read deadline and keep-alive idle time"},
    {"RIHLA_REQUEST_TIMEOUT_MS", "--request-timeout-ms", &Config::request_timeout_ms, 100, 3'600'000,
     "a request still queued after this gets 503"},
    {"RIHLA_CACHE_TTL_SECONDS", "--cache-ttl-seconds", &Config::cache_ttl_seconds, 1, kDay, "search cache entry lifetime"},
    {"RIHLA_CACHE_MAX_ENTRIES", "--cache-max-entries", &Config::cache_max_entries, 1, 10'000'000,
     "in-process search cache bound, entries"},
    {"RIHLA_CACHE_MAX_BYTES", "--cache-max-bytes", &Config::cache_max_bytes, 65'536, 2'000'000'000,
     "in-process search cache bound, bytes"},
    {"RIHLA_SWEEP_INTERVAL_MS", "--sweep-interval-ms", &Config::sweep_interval_ms, 50, 3'600'000,
     "booking expiry sweep period"},
    {"RIHLA_HASH_WORKERS", "--hash-workers", &Config::hash_workers, 1, 64,
     "threads for password hashing (login, signup), apart from the database workers (default: half the cores)"},
    {"RIHLA_HASH_QUEUE", "--hash-queue", &Config::hash_queue, 1, 100'000,
     "logins and signups waiting for a hashing thread before 503"},
    {"RIHLA_MAX_CONNECTIONS", "--max-connections", &Config::max_connections, 1, 1'000'000,
     "open client connections; above it new connections are closed at once"},
    {"RIHLA_REDIS_WAIT_REPLICAS", "--redis-wait-replicas", &Config::redis_wait_replicas, 0, 64,
     "Redis replicas that must acknowledge each cache invalidation (WAIT); 0: none"},
    {"RIHLA_DRAIN_SECONDS", "--drain-seconds", &Config::drain_seconds, 0, 3600,
     "on SIGTERM: answer /readyz 503 and close keep-alive connections after their next answer for this long, "
     "then stop accepting (SIGINT or a second SIGTERM skips it)"},
});

}  // namespace

std::span<const IntSetting> IntSettings() { return kIntSettings; }

const IntSetting& IntSettingByFlag(std::string_view flag) {
  for (const auto& s : kIntSettings) {
    if (flag == s.flag) return s;
  }
  throw std::out_of_range("no setting " + std::string(flag));
}

int ParseIntSetting(const IntSetting& s, std::string_view text, std::string_view name) {
  auto v = domain::ParseInteger<int>(text, s.min, s.max);
  if (!v) {
    throw std::invalid_argument(std::string(name) + " must be an integer from " + std::to_string(s.min) + " to " +
                                std::to_string(s.max));
  }
  return *v;
}

namespace {

std::pair<std::string, std::uint16_t> ParseListen(const std::string& listen, const char* env, const char* flag) {
  const IntSetting kPort{env, flag, nullptr, 0, 65535, "port"};
  auto colon = listen.rfind(':');
  if (colon == std::string::npos) throw std::invalid_argument(std::string(env) + " must be address:port");
  std::string host = listen.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  if (host.empty() || host == "localhost") host = "127.0.0.1";
  int port = ParseIntSetting(kPort, std::string_view(listen).substr(colon + 1), std::string(env) + " port");
  return {host, static_cast<std::uint16_t>(port)};
}

}  // namespace

std::pair<std::string, std::uint16_t> Config::ListenAddress() const {
  return ParseListen(listen, "RIHLA_LISTEN", "--listen");
}

std::pair<std::string, std::uint16_t> Config::MetricsListenAddress() const {
  return ParseListen(metrics_listen, "RIHLA_METRICS_LISTEN", "--metrics-listen");
}

void LoadEnvironment(Config& c) {
  auto get = [](const char* name) -> const char* {
    const char* v = std::getenv(name);
    return v != nullptr && *v != '\0' ? v : nullptr;
  };
  if (auto v = get("RIHLA_LISTEN")) c.listen = v;
  if (auto v = get("RIHLA_METRICS_LISTEN")) c.metrics_listen = v;
  if (auto v = get("RIHLA_DATABASE_URL")) c.database_url = v;
  if (auto v = get("RIHLA_REDIS_URL")) c.redis_url = v;
  if (auto v = get("RIHLA_ADMIN_TOKEN")) c.admin_token = v;
  if (auto v = get("RIHLA_WEBHOOK_SECRET")) c.webhook_secret = v;
  if (auto v = get("RIHLA_CACHE")) {
    std::string_view d = v;
    if (d != "on" && d != "off") throw std::invalid_argument("RIHLA_CACHE must be on or off");
    c.cache_enabled = d == "on";
  }
  if (auto v = get("RIHLA_DEMO_PAYMENTS")) {
    std::string_view d = v;
    if (d != "0" && d != "1") throw std::invalid_argument("RIHLA_DEMO_PAYMENTS must be 0 or 1");
    c.demo_payments = d == "1";
  }
  for (const auto& s : kIntSettings) {
    if (auto v = get(s.env)) c.*s.field = ParseIntSetting(s, v, s.env);
  }
  if (auto v = get("RIHLA_DB_POOLER")) {
    std::string_view p = v;
    if (p != "none" && p != "transaction") throw std::invalid_argument("RIHLA_DB_POOLER must be none or transaction");
    c.db_pooler = p == "transaction" ? storage::Pooler::kTransaction : storage::Pooler::kNone;
  }
  std::optional<bool> prepared;
  if (auto v = get("RIHLA_DB_PREPARED")) {
    std::string_view p = v;
    if (p != "on" && p != "off") throw std::invalid_argument("RIHLA_DB_PREPARED must be on or off");
    prepared = p == "on";
  }
  bool transaction_pooler = c.db_pooler == storage::Pooler::kTransaction;
  if (transaction_pooler && prepared.value_or(false)) {
    throw std::invalid_argument(
        "RIHLA_DB_PREPARED=on cannot be used with RIHLA_DB_POOLER=transaction: a prepared statement lives on one "
        "server connection and PgBouncer may run the next transaction on another");
  }
  c.db_prepared = prepared.value_or(!transaction_pooler);
  if (auto v = get("RIHLA_LOG_LEVEL")) {
    if (!ParseLogLevel(v, c.log_level)) throw std::invalid_argument("RIHLA_LOG_LEVEL must be debug, info, warn or error");
  }
  if (auto v = get("RIHLA_FAULT")) {
    [[maybe_unused]] std::string_view f = v;
#ifdef RIHLA_FAULT_POINTS
    if (f == "before_commit") c.fault = FaultPoint::kBeforeCommit;
    else if (f == "after_commit") c.fault = FaultPoint::kAfterCommit;
    else if (f == "slow_operation") c.fault = FaultPoint::kSlowOperation;
    else if (f == "pause_fill") c.fault = FaultPoint::kPauseFill;
    else if (f == "pause_before_hold") c.fault = FaultPoint::kPauseBeforeHold;
    else if (f == "commit_then_503") c.fault = FaultPoint::kCommitThen503;
    else if (f == "skip_invalidation") c.fault = FaultPoint::kSkipInvalidation;
    else if (f == "double_release") c.fault = FaultPoint::kDoubleRelease;
    else if (f == "skip_idempotency_claim") c.fault = FaultPoint::kSkipIdempotencyClaim;
    else if (f == "mix_correlation") c.fault = FaultPoint::kMixCorrelation;
    else throw std::invalid_argument(
        "RIHLA_FAULT must be before_commit, after_commit, slow_operation, pause_fill, pause_before_hold, "
        "commit_then_503, skip_invalidation, double_release, skip_idempotency_claim or mix_correlation");
#else
    throw std::invalid_argument("RIHLA_FAULT is only available in test builds (RIHLA_FAULT_POINTS)");
#endif
  }
}

}  // namespace rihla::app
