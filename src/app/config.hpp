#pragma once
// Process configuration: RIHLA_* environment variables, overridden by command-line flags.
// Both go through the same table of settings (IntSettings) and the same range checks, so a
// value the environment refuses is refused as a flag too.
#include <chrono>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "idempotency/idempotency.hpp"
#include "observability/logger.hpp"
#include "storage/connection_pool.hpp"

namespace rihla::app {

struct Config {
  std::string listen = "127.0.0.1:8080";
  std::string database_url = "sqlite:var/rihla.db";
  std::string redis_url;     // empty: in-process cache
  std::string admin_token;   // empty: admin API disabled (secret: never logged)
  std::string webhook_secret;  // empty: webhook answers 503 (secret: never logged)
  std::string metrics_listen;  // RIHLA_METRICS_LISTEN: serve /metrics only there (empty: main listener)
  bool demo_payments = false;  // RIHLA_DEMO_PAYMENTS=1: the page's "pay" button; loopback only
  int booking_hold_seconds = 900;
  int idempotency_ttl_seconds = 86400;
  int idempotency_lease_seconds = 30;
  int token_ttl_seconds = 2'592'000;  // bearer tokens expire this long after they were issued
  int threads = 0;           // 0: number of cores
  int workers = 0;           // 0: database pool size
  int group_commit_max = 64;  // SQLite group commit: units per batch transaction
  int db_pool = 0;           // 0: 8 for SQLite, 16 for server databases
  int max_queue = 2048;      // waiting requests before 503
  int read_timeout_ms = 15000;
  int request_timeout_ms = 10000;
  int cache_ttl_seconds = 60;
  bool cache_enabled = true;           // RIHLA_CACHE=off: every search reads the database
  int cache_max_entries = 100'000;      // in-process cache bound, entries
  int cache_max_bytes = 64 << 20;       // in-process cache bound, bytes (= MemoryCache::kDefaultMaxBytes)
  int sweep_interval_ms = 1000;  // booking expiry sweep (the cleanup job runs every 60 s)
  int hash_workers = 0;          // threads that hash passwords (login, signup); 0: half the cores
  int hash_queue = 64;           // logins/signups waiting for them before 503
  int max_connections = 10000;   // open client connections; above it new ones are closed at once
  int redis_wait_replicas = 0;   // WAIT for this many Redis replicas after each invalidation
  int drain_seconds = 5;         // SIGTERM: /readyz 503 and Connection: close this long, then stop accepting
  // RIHLA_DB_POOLER: none, or transaction (PgBouncer pool_mode=transaction, PostgreSQL only)
  storage::Pooler db_pooler = storage::Pooler::kNone;
  // RIHLA_DB_PREPARED: reuse prepared statements per connection (default on; off, and refused
  // on, behind a transaction pooler)
  bool db_prepared = true;
  LogLevel log_level = LogLevel::kInfo;
  FaultPoint fault = FaultPoint::kNone;  // RIHLA_FAULT, test builds only

  // Host and port of `listen`. Throws std::invalid_argument.
  std::pair<std::string, std::uint16_t> ListenAddress() const;
  // Host and port of `metrics_listen` (same rules). Throws std::invalid_argument.
  std::pair<std::string, std::uint16_t> MetricsListenAddress() const;
};

// One integer setting: its environment variable, its flag, where it lives in Config and the
// inclusive range it must be in. Which command takes the flag is the command line's business.
struct IntSetting {
  const char* env;   // "RIHLA_SWEEP_INTERVAL_MS"
  const char* flag;  // "--sweep-interval-ms"
  int Config::*field;
  int min;
  int max;
  const char* help;
};

// Every integer setting, in the order --help lists them.
std::span<const IntSetting> IntSettings();
// The setting whose flag is `flag`; throws std::out_of_range for an unknown one.
const IntSetting& IntSettingByFlag(std::string_view flag);

// Parses `text` as a decimal integer within the setting's range.
// Throws std::invalid_argument naming `name` (the variable or the flag) on a bad value.
int ParseIntSetting(const IntSetting& setting, std::string_view text, std::string_view name);

// Reads RIHLA_* variables into `config` (unset variables keep the defaults).
// Throws std::invalid_argument naming the variable on a bad value.
void LoadEnvironment(Config& config);

}  // namespace rihla::app
