#include "app/config.hpp"

#include <charconv>
#include <cstdlib>
#include <stdexcept>

namespace rihla::app {
namespace {

int ParseInt(const char* name, std::string_view text, int min, int max) {
  int v = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || ptr != text.data() + text.size() || v < min || v > max) {
    throw std::invalid_argument(std::string(name) + " must be an integer from " + std::to_string(min) + " to " +
                                std::to_string(max));
  }
  return v;
}

}  // namespace

std::pair<std::string, std::uint16_t> Config::ListenAddress() const {
  auto colon = listen.rfind(':');
  if (colon == std::string::npos) throw std::invalid_argument("RIHLA_LISTEN must be address:port");
  std::string host = listen.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  if (host.empty() || host == "localhost") host = "127.0.0.1";
  int port = ParseInt("RIHLA_LISTEN port", std::string_view(listen).substr(colon + 1), 0, 65535);
  return {host, static_cast<std::uint16_t>(port)};
}

void LoadEnvironment(Config& c) {
  auto get = [](const char* name) -> const char* {
    const char* v = std::getenv(name);
    return v != nullptr && *v != '\0' ? v : nullptr;
  };
  if (auto v = get("RIHLA_LISTEN")) c.listen = v;
  if (auto v = get("RIHLA_DATABASE_URL")) c.database_url = v;
  if (auto v = get("RIHLA_REDIS_URL")) c.redis_url = v;
  if (auto v = get("RIHLA_ADMIN_TOKEN")) c.admin_token = v;
  if (auto v = get("RIHLA_WEBHOOK_SECRET")) c.webhook_secret = v;
  if (auto v = get("RIHLA_BOOKING_HOLD_SECONDS")) c.booking_hold_seconds = ParseInt("RIHLA_BOOKING_HOLD_SECONDS", v, 1, 86400 * 7);
  if (auto v = get("RIHLA_IDEMPOTENCY_TTL_SECONDS")) c.idempotency_ttl_seconds = ParseInt("RIHLA_IDEMPOTENCY_TTL_SECONDS", v, 1, 86400 * 30);
  if (auto v = get("RIHLA_IDEMPOTENCY_LEASE_SECONDS")) c.idempotency_lease_seconds = ParseInt("RIHLA_IDEMPOTENCY_LEASE_SECONDS", v, 1, 3600);
  if (auto v = get("RIHLA_THREADS")) c.threads = ParseInt("RIHLA_THREADS", v, 1, 256);
  if (auto v = get("RIHLA_WORKERS")) c.workers = ParseInt("RIHLA_WORKERS", v, 1, 1024);
  if (auto v = get("RIHLA_DB_POOL")) c.db_pool = ParseInt("RIHLA_DB_POOL", v, 1, 1024);
  if (auto v = get("RIHLA_MAX_QUEUE")) c.max_queue = ParseInt("RIHLA_MAX_QUEUE", v, 1, 1'000'000);
  if (auto v = get("RIHLA_READ_TIMEOUT_MS")) c.read_timeout_ms = ParseInt("RIHLA_READ_TIMEOUT_MS", v, 100, 3'600'000);
  if (auto v = get("RIHLA_REQUEST_TIMEOUT_MS")) c.request_timeout_ms = ParseInt("RIHLA_REQUEST_TIMEOUT_MS", v, 100, 3'600'000);
  if (auto v = get("RIHLA_CACHE_TTL_SECONDS")) c.cache_ttl_seconds = ParseInt("RIHLA_CACHE_TTL_SECONDS", v, 1, 86400);
  if (auto v = get("RIHLA_CACHE_MAX_ENTRIES")) c.cache_max_entries = ParseInt("RIHLA_CACHE_MAX_ENTRIES", v, 1, 10'000'000);
  if (auto v = get("RIHLA_SWEEP_INTERVAL_MS")) c.sweep_interval_ms = ParseInt("RIHLA_SWEEP_INTERVAL_MS", v, 50, 3'600'000);
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
    else throw std::invalid_argument("RIHLA_FAULT must be before_commit, after_commit, slow_operation or pause_fill");
#else
    throw std::invalid_argument("RIHLA_FAULT is only available in test builds (RIHLA_FAULT_POINTS)");
#endif
  }
}

}  // namespace rihla::app
