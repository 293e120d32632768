// rihla: parse the command line and configuration, run the command. Nothing else.
#include <CLI/CLI.hpp>

#include <csignal>
#include <iostream>

#include "app/app.hpp"

int main(int argc, char** argv) {
  // Writes to a peer that closed (clients, Redis via hiredis) must fail with EPIPE, not kill us.
  std::signal(SIGPIPE, SIG_IGN);
  rihla::app::Config config;
  try {
    rihla::app::LoadEnvironment(config);
  } catch (const std::exception& e) {
    std::cerr << "rihla: " << e.what() << "\n";
    return 2;
  }
  CLI::App cli{"rihla: flight search, bookings and payment webhooks over HTTP/JSON.\n"
               "Configuration comes from RIHLA_* environment variables; flags override them."};
  cli.require_subcommand(1);
  cli.fallthrough();  // global options may follow the subcommand
  cli.add_option("--database-url", config.database_url,
                 "RIHLA_DATABASE_URL: sqlite:PATH, postgresql://user:pass@host:port/db or mysql://...")
      ->capture_default_str();
  cli.add_option("--log-level", [&](const std::vector<std::string>& v) {
       return rihla::ParseLogLevel(v.at(0), config.log_level);
     }, "RIHLA_LOG_LEVEL: debug, info, warn, error");

  auto* serve = cli.add_subcommand("serve", "Run the HTTP server (applies pending migrations first).");
  serve->add_option("--listen", config.listen, "RIHLA_LISTEN: address:port")->capture_default_str();
  serve->add_option("--threads", config.threads, "RIHLA_THREADS: I/O threads (default: number of cores)");
  serve->add_option("--workers", config.workers, "RIHLA_WORKERS: worker threads for blocking work (default: pool size)");
  serve->add_option("--db-pool", config.db_pool, "RIHLA_DB_POOL: database connections (default 8 SQLite, 16 others)");
  serve->add_option("--redis-url", config.redis_url, "RIHLA_REDIS_URL: redis://host:port[/db] (default: in-process cache)");
  serve->add_option("--admin-token", config.admin_token, "RIHLA_ADMIN_TOKEN: bearer token for /v1/admin/* (unset: admin API disabled)");
  serve->add_option("--webhook-secret", config.webhook_secret, "RIHLA_WEBHOOK_SECRET: HMAC secret for Rihla-Signature (unset: webhook answers 503)");
  serve->add_option("--booking-hold-seconds", config.booking_hold_seconds, "RIHLA_BOOKING_HOLD_SECONDS: unpaid booking hold")->capture_default_str();
  serve->add_option("--idempotency-ttl-seconds", config.idempotency_ttl_seconds, "RIHLA_IDEMPOTENCY_TTL_SECONDS: record retention")->capture_default_str();
  serve->add_option("--idempotency-lease-seconds", config.idempotency_lease_seconds, "RIHLA_IDEMPOTENCY_LEASE_SECONDS: lease of an in-flight record")->capture_default_str();
  serve->add_option("--max-queue", config.max_queue, "RIHLA_MAX_QUEUE: requests waiting for a worker before 503")->capture_default_str();
  serve->add_option("--read-timeout-ms", config.read_timeout_ms, "RIHLA_READ_TIMEOUT_MS: per-request read deadline and keep-alive idle time")->capture_default_str();
  serve->add_option("--request-timeout-ms", config.request_timeout_ms, "RIHLA_REQUEST_TIMEOUT_MS: a request still queued after this gets 503")->capture_default_str();
  serve->add_option("--cache-ttl-seconds", config.cache_ttl_seconds, "RIHLA_CACHE_TTL_SECONDS: search cache entry lifetime")->capture_default_str();
  serve->add_option("--sweep-interval-ms", config.sweep_interval_ms, "RIHLA_SWEEP_INTERVAL_MS: booking expiry sweep period")->capture_default_str();

  cli.add_subcommand("migrate", "Apply pending database migrations.");
  auto* seed = cli.add_subcommand("seed", "Apply migrations and load the demo airports and schedule (idempotent).");
  int seed_days = 60;
  seed->add_option("--days", seed_days, "days of schedule from today (UTC); 0 loads only airports")
      ->capture_default_str()
      ->check(CLI::Range(0, 366));
  auto* cleanup = cli.add_subcommand("cleanup", "Delete expired idempotency records in bounded batches.");
  cleanup->add_option("--idempotency-ttl-seconds", config.idempotency_ttl_seconds, "RIHLA_IDEMPOTENCY_TTL_SECONDS");
  auto* cache = cli.add_subcommand("cache", "Search cache administration.");
  auto* purge = cache->add_subcommand("purge", "Invalidate cached searches of one route or all.");
  std::string route;
  bool all = false;
  purge->add_option("--route", route, "route as FROM-TO, e.g. RUH-JED");
  purge->add_flag("--all", all, "every route");
  purge->add_option("--redis-url", config.redis_url, "RIHLA_REDIS_URL");
  cache->require_subcommand(1);

  CLI11_PARSE(cli, argc, argv);
  try {
    if (*serve) return rihla::app::Serve(config);
    if (cli.got_subcommand("migrate")) return rihla::app::Migrate(config);
    if (*seed) return rihla::app::Seed(config, seed_days);
    if (*cleanup) return rihla::app::Cleanup(config);
    if (*purge) {
      if (route.empty() == !all) {
        std::cerr << "rihla cache purge: give exactly one of --route FROM-TO or --all\n";
        return 2;
      }
      return rihla::app::PurgeCache(config, route, all);
    }
  } catch (const std::exception& e) {
    std::cerr << "rihla: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
