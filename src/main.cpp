// rihla: parse the command line and configuration, run the command. Nothing else.
#include <CLI/CLI.hpp>

#include <csignal>
#include <iostream>

#include "app/app.hpp"

namespace {

using rihla::app::Config;

// Adds the flag of an integer setting; it is checked by the same ParseIntSetting (and so the
// same range) as its environment variable.
void AddIntFlag(CLI::App& command, Config& config, const char* flag) {
  const auto& s = rihla::app::IntSettingByFlag(flag);
  auto* option = command.add_option_function<std::string>(
      s.flag,
      [&config, &s](const std::string& text) {
        try {
          config.*s.field = rihla::app::ParseIntSetting(s, text, s.flag);
        } catch (const std::invalid_argument& e) {
          throw CLI::ValidationError(s.flag, e.what());
        }
      },
      std::string(s.env) + ": " + s.help);
  if (config.*s.field > 0) option->default_str(std::to_string(config.*s.field));
}

void AddGlobalOptions(CLI::App& cli, Config& config) {
  cli.add_option("--database-url", config.database_url,
                 "RIHLA_DATABASE_URL: sqlite:PATH, postgresql://user:pass@host:port/db or mysql://...")
      ->capture_default_str();
  cli.add_option("--log-level", [&](const std::vector<std::string>& v) {
       return rihla::ParseLogLevel(v.at(0), config.log_level);
     }, "RIHLA_LOG_LEVEL: debug, info, warn, error");
}

CLI::App* AddServe(CLI::App& cli, Config& config) {
  auto* serve = cli.add_subcommand("serve", "Run the HTTP server (applies pending migrations first).");
  serve->add_option("--listen", config.listen, "RIHLA_LISTEN: address:port")->capture_default_str();
  serve->add_option("--metrics-listen", config.metrics_listen,
                    "RIHLA_METRICS_LISTEN: address:port serving /metrics only (unset: /metrics on --listen)");
  serve->add_option("--redis-url", config.redis_url, "RIHLA_REDIS_URL: redis://host:port[/db], redis-cluster://host:port[,...] or redis-sentinel://host:port[,...]/master (default: in-process cache)");
  serve->add_option("--admin-token", config.admin_token, "RIHLA_ADMIN_TOKEN: bearer token for /v1/admin/* (unset: admin API disabled)");
  serve->add_option("--webhook-secret", config.webhook_secret, "RIHLA_WEBHOOK_SECRET: HMAC secret for Rihla-Signature (unset: webhook answers 503)");
  for (const auto& s : rihla::app::IntSettings()) AddIntFlag(*serve, config, s.flag);
  return serve;
}

}  // namespace

int main(int argc, char** argv) {
  // Writes to a peer that closed (clients, Redis via hiredis) must fail with EPIPE, not kill us.
  std::signal(SIGPIPE, SIG_IGN);
  Config config;
  try {
    rihla::app::LoadEnvironment(config);
  } catch (const std::exception& e) {
    std::cerr << "rihla: " << e.what() << "\n";
    return 2;
  }
  CLI::App cli{"rihla: flight search, bookings and payment webhooks over HTTP/JSON.\n"
               "Configuration comes from RIHLA_* environment variables; flags override them."};
  cli.set_version_flag("--version", std::string("rihla ") + RIHLA_VERSION + " (commit " + RIHLA_COMMIT + ")");
  cli.require_subcommand(1);
  cli.fallthrough();  // global options may follow the subcommand
  AddGlobalOptions(cli, config);
  auto* serve = AddServe(cli, config);

  cli.add_subcommand("migrate", "Apply pending database migrations.");
  auto* seed = cli.add_subcommand("seed", "Apply migrations and load the demo airports and schedule (idempotent).");
  int seed_days = 60;
  seed->add_option("--days", seed_days, "days of schedule from today (UTC); 0 loads only airports")
      ->capture_default_str()
      ->check(CLI::Range(0, 366));
  auto* cleanup = cli.add_subcommand("cleanup", "Delete expired idempotency records and old login failures in bounded batches.");
  AddIntFlag(*cleanup, config, "--idempotency-ttl-seconds");
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
