#pragma once
// Every metric family rihla exposes on /metrics, declared once: name, HELP text, type and label
// names. A component takes its handles from the registry at construction, e.g.
//   Counter hits = metrics.Family(metric::kCacheRequests).WithLabels("hit");
// A new metric is one declaration here and one call where it is counted; docs/operations.md
// lists them for operators.
#include <array>

#include "observability/metrics.hpp"

namespace rihla::metric {

// Upper bounds (seconds) of the request latency histogram buckets.
inline constexpr std::array<double, 12> kLatencyBuckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                           0.05,   0.1,   0.25,   0.5,   1.0,  2.5};

// --- HTTP (http::Pipeline) ---
// `method` is one of the standard methods or OTHER; `route` is the matched route template (never
// the raw path) or one of the pipeline's fixed names (e.g. "unparsed"); `status` the HTTP status.
inline constexpr HistogramDef<3> kHttpRequestDuration{
    "http_request_duration_seconds",
    "Time from request parsed to response ready.",
    {"method", "route", "status"},
    kLatencyBuckets,
    "http_requests_total",
    "Requests answered, by method, route template and status."};
inline constexpr CounterDef<0> kLoadShed{"rihla_load_shed_total",
                                         "Requests answered 503 because the worker queue was full."};

// --- Search cache (cache::MemoryCache, cache::RedisCache) ---
// result: hit, miss or coalesced.
inline constexpr CounterDef<1> kCacheRequests{
    "rihla_cache_requests_total", "Search cache lookups by result (hit, miss, coalesced).", {"result"}};
inline constexpr CounterDef<0> kCacheInvalidations{"rihla_cache_invalidations_total", "Route invalidations."};
inline constexpr CounterDef<0> kCacheRedisErrors{
    "rihla_cache_redis_errors_total", "Redis errors and timeouts (each answered from the database without caching)."};

// --- Search (services::FlightService) ---
inline constexpr CounterDef<0> kSearchDbQueries{"rihla_search_db_queries_total",
                                                "Flight searches answered from the database (cache fills and bypasses)."};

// --- Idempotency (idempotency::Executor) ---
// outcome: executed, replayed, in_progress, reused, taken_over, released or parked (a concurrent
// webhook redelivery set aside off the workers until the first delivery answers; once per wait).
inline constexpr CounterDef<1> kIdempotencyRequests{
    "rihla_idempotency_requests_total",
    "Idempotent requests by outcome (executed, replayed, in_progress, reused, taken_over, released, parked).",
    {"outcome"}};

// --- Logging (Logger) ---
inline constexpr CounterDef<0> kLogDropped{"rihla_log_dropped_total",
                                           "Log lines dropped because the output did not keep up."};

// --- Gauges (registered by the composition root, src/app) ---
inline constexpr GaugeDef kDbPoolInUse{"rihla_db_pool_in_use", "Database connections in use."};
inline constexpr GaugeDef kDbPoolSize{"rihla_db_pool_size", "Database connection pool size."};
inline constexpr GaugeDef kWorkersBusy{"rihla_workers_busy", "Worker threads running a request."};
inline constexpr GaugeDef kWorkersQueued{"rihla_workers_queued", "Requests waiting for a worker."};
inline constexpr GaugeDef kHashWorkersBusy{"rihla_hash_workers_busy", "Password-hashing threads running a login or signup."};
inline constexpr GaugeDef kHashWorkersQueued{"rihla_hash_workers_queued", "Logins and signups waiting for a hashing thread."};
inline constexpr GaugeDef kBookingExpiryLag{
    "rihla_booking_expiry_lag_seconds",
    "Age of the oldest booking whose hold ended but that is still pending (0 when none), as the expiry sweep last saw it."};
// 1 while SearchCache::Status() is "degraded" (what /readyz shows as checks.cache).
inline constexpr GaugeDef kCacheDegraded{
    "rihla_cache_degraded", "1 while the search cache is unreachable and searches are answered from the database."};

}  // namespace rihla::metric
