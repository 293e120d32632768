#include "app/app.hpp"

#include "app/fd_limit.hpp"

#include <condition_variable>
#include <iostream>
#include <mutex>
#include <optional>
#include <thread>
#include <tuple>

#include "cache/memory_cache.hpp"
#include "cache/no_cache.hpp"
#include "cache/redis_cache.hpp"
#include "domain/cache_scope.hpp"
#include "domain/search.hpp"
#include "domain/time.hpp"
#include "handlers/idempotent_response.hpp"
#include "handlers/routes.hpp"
#include "http/pipeline.hpp"
#include "http/router.hpp"
#include "http/server.hpp"
#include "http/worker_pool.hpp"
#include "idempotency/idempotency.hpp"
#include "observability/correlation.hpp"
#include "observability/metric_families.hpp"
#include "services/auth_service.hpp"
#include "services/booking_service.hpp"
#include "services/flight_service.hpp"
#include "services/payment_service.hpp"
#include "storage/cache_epoch_repository.hpp"
#include "storage/database.hpp"
#include "storage/group_commit.hpp"
#include "storage/migrations.hpp"
#include "storage/retention.hpp"
#include "storage/seed.hpp"

namespace rihla::app {
namespace {

storage::DatabaseOptions DbOptions(const Config& c, const storage::DatabaseUrl& url) {
  storage::DatabaseOptions o;
  o.pool_size = c.db_pool > 0 ? static_cast<std::size_t>(c.db_pool) : storage::DialectOf(url.engine).default_pool_size;
  o.pooler = c.db_pooler;
  o.prepared = c.db_prepared;
  return o;
}

idempotency::Options IdemOptions(const Config& c) {
  idempotency::Options o;
  o.lease = std::chrono::seconds(c.idempotency_lease_seconds);
  o.ttl = std::chrono::seconds(c.idempotency_ttl_seconds);
  // A search entry from before a write lives at most the cache TTL after it was stored; the
  // margin covers a slow fill that read before the commit and stored after it, and clock skew.
  o.scope_replay_window = std::chrono::seconds(c.cache_ttl_seconds) + std::chrono::seconds(60);
  o.fault = c.fault;
  return o;
}

// Runs `fn` every `interval` on its own thread until stopped. Used for booking expiry and
// for the cleanup of expired rows; each run gets its own RequestContext (correlation id) for
// its logs.
class PeriodicJob {
 public:
  PeriodicJob(std::chrono::milliseconds interval, std::function<void()> fn)
      : thread_([this, interval, fn = std::move(fn)] {
          std::unique_lock lock(mu_);
          while (!cv_.wait_for(lock, interval, [&] { return stop_; })) {
            lock.unlock();
            fn();
            lock.lock();
          }
        }) {}
  ~PeriodicJob() {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

// How often `serve` removes rows past their retention (idempotency records, login failures).
constexpr std::chrono::seconds kCleanupInterval{60};
// Rows one cleanup statement deletes.
constexpr int kCleanupBatch = 1000;

struct RemovedRows {
  std::size_t idempotency_records = 0;
  std::size_t login_failures = 0;
};

// Deletes idempotency records past their retention (never a live lease) and login failures
// older than the throttle window, in set-based batches until none are left. Used by the
// cleanup job and by `rihla cleanup`. Throws what Database::WriteStatement throws.
RemovedRows RemoveExpiredRows(storage::Database& db, idempotency::Executor& idem, std::int64_t now_ms) {
  RemovedRows removed;
  removed.idempotency_records = idem.Cleanup(now_ms, kCleanupBatch);
  std::int64_t cutoff =
      now_ms - std::chrono::duration_cast<std::chrono::milliseconds>(storage::kLoginFailureRetention).count();
  for (;;) {
    std::size_t deleted = 0;
    db.WriteStatement(
        [&](storage::Tx& tx) { deleted = storage::DeleteLoginFailuresBefore(tx, cutoff, kCleanupBatch); });
    removed.login_failures += deleted;
    if (deleted < static_cast<std::size_t>(kCleanupBatch)) break;
  }
  return removed;
}

// No cache (RIHLA_CACHE=off), the in-process cache, or Redis when RIHLA_REDIS_URL is set (shared
// by all instances), checked against the cache epoch lease kept in `db` (which must outlive the
// cache).
// Throws std::invalid_argument on a bad Redis URL; an unreachable Redis only degrades.
std::unique_ptr<cache::SearchCache> MakeCache(const Config& c, Metrics& metrics, Logger& logger,
                                              storage::Database& db) {
  auto ttl = std::chrono::seconds(c.cache_ttl_seconds);
  if (!c.cache_enabled) return std::make_unique<cache::NoCache>(metrics);
  if (c.redis_url.empty()) {
    return std::make_unique<cache::MemoryCache>(metrics, ttl, static_cast<std::size_t>(c.cache_max_entries),
                                                static_cast<std::size_t>(c.cache_max_bytes));
  }
  cache::RedisCacheOptions options;
  options.wait_replicas = c.redis_wait_replicas;
  options.epoch = std::make_shared<cache::EpochLease>(
      [&db] {
        std::int64_t epoch = 0;
        db.Read([&](storage::Tx& tx) { epoch = storage::ReadCacheEpoch(tx); });
        return epoch;
      },
      [&db] {
        std::int64_t epoch = 0;
        db.Write([&](storage::Tx& tx) { epoch = storage::BumpCacheEpoch(tx); });
        return epoch;
      });
  return std::make_unique<cache::RedisCache>(c.redis_url, metrics, logger, ttl, options);
}

RequestContext JobContext(Logger& logger, const char* job) {
  RequestContext ctx;
  ctx.logger = &logger;
  ctx.correlation_id = std::string("job-") + job + "-" + NewUuidV4();
  ctx.method = "JOB";
  ctx.route_template = job;
  return ctx;
}

// True for 127.0.0.0/8 and ::1 (ListenAddress() already maps "localhost" to 127.0.0.1).
bool IsLoopbackHost(const std::string& host) { return host.rfind("127.", 0) == 0 || host == "::1"; }


// Thread counts of one `serve` process.
struct ThreadCounts {
  std::size_t io = 1;       // I/O threads (RIHLA_THREADS, default: cores)
  std::size_t workers = 1;  // database workers (RIHLA_WORKERS, default: pool size; 4x with group commit)
  std::size_t hashing = 1;  // password hashing (RIHLA_HASH_WORKERS, default: half the cores)
};

// With group commit (`grouped`), a worker waiting for its batch holds no connection, so more
// workers than connections make larger batches: on 2 cores, 4x the pool took fresh-key bookings
// on SQLite from ~6,000/s to ~8,000/s at the same p99 (bench/results/booking-notes.md).
constexpr std::size_t kGroupedWorkersPerConnection = 4;

ThreadCounts CountThreads(const Config& config, const storage::Database& db, bool grouped) {
  ThreadCounts t;
  t.io = config.threads > 0 ? static_cast<std::size_t>(config.threads)
                            : std::max(1u, std::thread::hardware_concurrency());
  t.workers = config.workers > 0 ? static_cast<std::size_t>(config.workers)
                                 : db.pool_size() * (grouped ? kGroupedWorkersPerConnection : 1);
  // Half the cores at most: a storm of argon2 hashes must leave CPU for everything else.
  t.hashing = config.hash_workers > 0 ? static_cast<std::size_t>(config.hash_workers)
                                      : std::max<std::size_t>(1, t.io / 2);
  return t;
}

// The gauges read when /metrics is rendered; the referenced components outlive the registry's use.
void RegisterGauges(Metrics& metrics, const storage::Database& db, const http::WorkerPool& workers,
                    const http::WorkerPool& hashing, const services::BookingService& bookings,
                    cache::SearchCache& cache) {
  metrics.RegisterGauge(metric::kDbPoolInUse, [&db] { return double(db.in_use()); });
  metrics.RegisterGauge(metric::kDbPoolSize, [&db] { return double(db.pool_size()); });
  metrics.RegisterGauge(metric::kWorkersBusy, [&workers] { return double(workers.busy()); });
  metrics.RegisterGauge(metric::kWorkersQueued, [&workers] { return double(workers.queued()); });
  metrics.RegisterGauge(metric::kHashWorkersBusy, [&hashing] { return double(hashing.busy()); });
  metrics.RegisterGauge(metric::kHashWorkersQueued, [&hashing] { return double(hashing.queued()); });
  metrics.RegisterGauge(metric::kBookingExpiryLag, [&bookings] { return bookings.ExpiryLagSeconds(domain::NowMs()); });
  metrics.RegisterGauge(metric::kCacheDegraded, [&cache] { return cache.Status() == "degraded" ? 1.0 : 0.0; });
}

// Options of the main listener. Raises the open-file limit and caps connections below it,
// leaving descriptors for the database and Redis (logged when that lowers the cap).
http::ServerOptions MainListenerOptions(const Config& config, const ThreadCounts& threads,
                                        const storage::Database& db, Logger& logger, std::uint64_t& fd_limit) {
  http::ServerOptions options;
  std::tie(options.host, options.port) = config.ListenAddress();
  options.io_threads = threads.io;
  options.read_timeout = std::chrono::milliseconds(config.read_timeout_ms);
  fd_limit = RaiseOpenFileLimit();
  options.max_connections = ConnectionCap(static_cast<std::size_t>(config.max_connections), fd_limit,
                                          ReservedDescriptors(db.pool_size(), threads.workers));
  if (options.max_connections < static_cast<std::size_t>(config.max_connections)) {
    LogEvent(logger, LogLevel::kWarn, "open file limit lowers the connection cap",
             {{"open_file_limit", fd_limit}, {"max_connections", options.max_connections}});
  }
  return options;
}

// RIHLA_METRICS_LISTEN: /metrics alone on its own (internal) listener with one I/O thread. It
// serves through the main listener's drain and stops when destroyed, after the main one.
class MetricsListener {
 public:
  MetricsListener(const Config& config, handlers::Deps& deps, Logger& logger, Metrics& metrics,
                  domain::CredentialResolver& auth, http::WorkerPools pools, http::DrainState& drain)
      : config_(config), logger_(logger) {
    handlers::AddMetricsRoute(router_, deps);
    pipeline_ = std::make_unique<http::Pipeline>(router_, logger, metrics, auth,
                                                 std::chrono::milliseconds(config.request_timeout_ms));
    http::ServerOptions options;
    std::tie(options.host, options.port) = config.MetricsListenAddress();
    options.io_threads = 1;
    options.max_connections = 64;
    options.handle_signals = false;  // it follows the main listener's drain, then Stop()
    server_ = std::make_unique<http::Server>(options, *pipeline_, pools, drain, logger);
  }
  ~MetricsListener() {
    server_->Stop();
    if (thread_.joinable()) thread_.join();
  }
  // Binds; false (logged) when it cannot.
  bool Listen() {
    try {
      port_ = server_->Listen();
      return true;
    } catch (const std::exception& e) {
      LogEvent(logger_, LogLevel::kError, "cannot listen", {{"listen", config_.metrics_listen}, {"error", e.what()}});
      return false;
    }
  }
  // Serves on its own thread until the process is signalled.
  void Start() {
    logger_.Announce("metrics listening", {{"url", "http://" + config_.MetricsListenAddress().first + ":" +
                                                       std::to_string(port_) + "/metrics"},
                                           {"port", port_}});
    thread_ = std::thread([this] { server_->Run(); });
  }

 private:
  const Config& config_;
  Logger& logger_;
  http::Router router_;
  std::unique_ptr<http::Pipeline> pipeline_;
  std::unique_ptr<http::Server> server_;
  std::uint16_t port_ = 0;
  std::thread thread_;
};

// The two background jobs, each on its own thread so a long cleanup never holds up expiry.
// Destroying it stops both (after their current run).
struct BackgroundJobs {
  BackgroundJobs(const Config& config, Logger& logger, storage::Database& db, idempotency::Executor& idem,
                 services::BookingService& bookings)
      : sweeper(std::chrono::milliseconds(config.sweep_interval_ms),
                [&logger, &bookings] {
                  auto ctx = JobContext(logger, "sweeper");
                  try {
                    bookings.ExpireDue(ctx, domain::NowMs());
                  } catch (const std::exception& e) {
                    ctx.Log(LogLevel::kWarn, "booking expiry sweep failed", {{"error", e.what()}});
                  }
                }),
        cleanup(kCleanupInterval, [&logger, &db, &idem] {
          auto ctx = JobContext(logger, "cleanup");
          try {
            auto removed = RemoveExpiredRows(db, idem, domain::NowMs());
            if (removed.idempotency_records > 0 || removed.login_failures > 0) {
              ctx.Log(LogLevel::kInfo, "expired rows removed",
                      {{"idempotency_records", removed.idempotency_records},
                       {"login_failures", removed.login_failures}});
            }
          } catch (const std::exception& e) {
            ctx.Log(LogLevel::kWarn, "cleanup failed", {{"error", e.what()}});
          }
        }) {}
  PeriodicJob sweeper;
  PeriodicJob cleanup;
};

}  // namespace

int Serve(const Config& config) {
  Metrics metrics;
  Logger logger(config.log_level, stdout, {.dropped = metrics.Family(metric::kLogDropped).WithLabels()});
  auto url = storage::ParseDatabaseUrl(config.database_url);
  auto [host, port] = config.ListenAddress();
  // Demo payments let any signed-in user mark a booking paid: never on a reachable address.
  if (config.demo_payments && (config.webhook_secret.empty() || !IsLoopbackHost(host))) {
    LogEvent(logger, LogLevel::kError, "cannot start: RIHLA_DEMO_PAYMENTS=1 needs a loopback RIHLA_LISTEN and RIHLA_WEBHOOK_SECRET",
             {{"listen", config.listen}});
    return 2;
  }
  storage::Database db(url, DbOptions(config, url));
  try {
    storage::ApplyMigrations(db, logger);
  } catch (const std::exception& e) {
    LogEvent(logger, LogLevel::kError, "cannot start: migrations", {{"error", e.what()}, {"database", url.redacted}});
    return 1;
  }
  std::unique_ptr<cache::SearchCache> cache_owner;
  try {
    cache_owner = MakeCache(config, metrics, logger, db);
  } catch (const std::exception& e) {
    LogEvent(logger, LogLevel::kError, "cannot start: cache", {{"error", e.what()}});
    return 1;
  }
  cache::SearchCache& cache = *cache_owner;

  // Services, over storage and the cache.
  // A single-writer engine commits concurrent idempotent requests in shared batches.
  std::unique_ptr<storage::GroupCommit> group_commit;
  if (storage::DialectOf(url.engine).single_writer) {
    group_commit = std::make_unique<storage::GroupCommit>(db, static_cast<std::size_t>(config.group_commit_max));
  }
  idempotency::Executor idem(db, IdemOptions(config), metrics, handlers::RenderProblem, group_commit.get());
  services::FlightService flights(db, cache, metrics, config.fault);
  services::AuthService auth(db, config.admin_token,
                             services::AuthOptions{.token_ttl = std::chrono::seconds(config.token_ttl_seconds)});
  services::BookingService bookings(db, idem, flights, std::chrono::seconds(config.booking_hold_seconds),
                                   config.fault);
  services::PaymentService payments(idem, config.webhook_secret);

  // Routes, pools, the pipeline and the listeners.
  // SIGTERM's drain, driven by the main listener, read by every listener and /readyz.
  http::DrainState drain(std::chrono::seconds(config.drain_seconds));
  http::Router router;
  handlers::Deps deps{flights, auth, bookings, payments, db, cache, metrics, drain};
  if (config.demo_payments) deps.demo_payments_secret = config.webhook_secret;
  deps.metrics_elsewhere = !config.metrics_listen.empty();
  handlers::RegisterRoutes(router, deps);
  const ThreadCounts threads = CountThreads(config, db, group_commit != nullptr);
  http::WorkerPool workers(threads.workers, static_cast<std::size_t>(config.max_queue));
  http::WorkerPool hashing(threads.hashing, static_cast<std::size_t>(config.hash_queue));
  RegisterGauges(metrics, db, workers, hashing, bookings, cache);
  http::Pipeline pipeline(router, logger, metrics, auth, std::chrono::milliseconds(config.request_timeout_ms),
                          config.fault);
  std::uint64_t fd_limit = 0;
  http::ServerOptions options = MainListenerOptions(config, threads, db, logger, fd_limit);
  http::Server server(options, pipeline, http::WorkerPools{workers, hashing}, drain, logger);
  std::uint16_t bound = 0;
  try {
    bound = server.Listen();
  } catch (const std::exception& e) {
    LogEvent(logger, LogLevel::kError, "cannot listen", {{"listen", config.listen}, {"error", e.what()}});
    return 1;
  }
  std::optional<MetricsListener> metrics_listener;
  if (deps.metrics_elsewhere) {
    metrics_listener.emplace(config, deps, logger, metrics, auth, http::WorkerPools{workers, hashing}, drain);
    if (!metrics_listener->Listen()) return 1;
  }

  // Run until signalled, then stop in reverse order of dependence.
  auto jobs = std::make_unique<BackgroundJobs>(config, logger, db, idem, bookings);
  logger.Announce("listening",
           {{"url", "http://" + host + ":" + std::to_string(bound)},
            {"port", bound},
            {"database", url.redacted},
            {"cache", config.redis_url.empty() ? "in-process" : "redis"},
            {"io_threads", threads.io},
            {"open_file_limit", fd_limit},
            {"max_connections", options.max_connections},
            {"workers", threads.workers},
            {"hash_workers", threads.hashing},
            {"drain_seconds", config.drain_seconds}});
  if (metrics_listener) metrics_listener->Start();
  server.Run();
  metrics_listener.reset();
  jobs.reset();
  workers.Stop();
  hashing.Stop();
  LogEvent(logger, LogLevel::kInfo, "stopped");
  logger.Flush();
  return 0;
}

int Migrate(const Config& config) {
  Logger logger(config.log_level);
  auto url = storage::ParseDatabaseUrl(config.database_url);
  storage::Database db(url, DbOptions(config, url));
  try {
    int applied = storage::ApplyMigrations(db, logger);
    LogEvent(logger, LogLevel::kInfo, "migrations up to date", {{"applied", applied}, {"database", url.redacted}});
    return 0;
  } catch (const std::exception& e) {
    LogEvent(logger, LogLevel::kError, "migrate failed", {{"error", e.what()}});
    return 1;
  }
}

int Seed(const Config& config, int days) {
  Logger logger(config.log_level);
  auto url = storage::ParseDatabaseUrl(config.database_url);
  storage::Database db(url, DbOptions(config, url));
  try {
    storage::ApplyMigrations(db, logger);
    storage::SeedDemoData(db, logger, domain::NowMs(), days);
    return 0;
  } catch (const std::exception& e) {
    LogEvent(logger, LogLevel::kError, "seed failed", {{"error", e.what()}});
    return 1;
  }
}

int Cleanup(const Config& config) {
  Logger logger(config.log_level);
  auto url = storage::ParseDatabaseUrl(config.database_url);
  storage::Database db(url, DbOptions(config, url));
  Metrics metrics;
  try {
    if (storage::PendingMigrations(db) > 0) throw std::runtime_error("database has pending migrations; run migrate");
    idempotency::Executor idem(db, IdemOptions(config), metrics, handlers::RenderProblem);
    auto removed = RemoveExpiredRows(db, idem, domain::NowMs());
    LogEvent(logger, LogLevel::kInfo, "idempotency cleanup done",
             {{"removed", removed.idempotency_records}, {"login_failures_removed", removed.login_failures}});
    return 0;
  } catch (const std::exception& e) {
    LogEvent(logger, LogLevel::kError, "cleanup failed", {{"error", e.what()}});
    return 1;
  }
}

int PurgeCache(const Config& config, const std::string& route, bool all) {
  Logger logger(config.log_level);
  if (config.redis_url.empty()) {
    LogEvent(logger, LogLevel::kError,
             "no RIHLA_REDIS_URL: the in-process cache lives inside each server process and cannot be purged "
             "from outside (restart the server, or wait RIHLA_CACHE_TTL_SECONDS)");
    return 2;
  }
  Metrics metrics;
  try {
    cache::RedisCache cache(config.redis_url, metrics, logger, std::chrono::seconds(config.cache_ttl_seconds));
    if (cache.Status() != "ok") throw std::runtime_error("Redis is unreachable");
    if (all) {
      cache.PurgeAll();
    } else {
      auto scope = domain::CacheScope::ParseRoute(route);
      if (!scope) throw std::invalid_argument("--route must be FROM-TO, two IATA airport codes");
      cache.PurgeScope(*scope);
    }
    if (cache.Status() != "ok") throw std::runtime_error("the purge failed");
    LogEvent(logger, LogLevel::kInfo, "cache purged", {{"route", all ? "*" : domain::ToUpper(route)}});
    return 0;
  } catch (const std::exception& e) {
    LogEvent(logger, LogLevel::kError, "cache purge failed", {{"error", e.what()}});
    return 1;
  }
}

}  // namespace rihla::app
