#pragma once
// The one place that registers every route (RegisterRoutes, in routes.cpp, calls one function
// per endpoint group). Handlers are thin: parse the request, call a service or pure domain
// function, render. They run on the worker pool their route names unless marked inline.
#include <string>

#include "cache/search_cache.hpp"
#include "http/drain.hpp"
#include "http/router.hpp"
#include "observability/metrics.hpp"
#include "storage/database.hpp"

namespace rihla::services {
class FlightService;
class AuthService;
class BookingService;
class PaymentService;
}  // namespace rihla::services

namespace rihla::handlers {

struct Deps {
  services::FlightService& flights;
  services::AuthService& auth;
  services::BookingService& bookings;
  services::PaymentService& payments;
  storage::Database& db;
  cache::SearchCache& cache;
  Metrics& metrics;
  const http::DrainState& drain;     // SIGTERM's drain: /readyz answers 503 while it runs
  std::string demo_payments_secret;  // non-empty: RIHLA_DEMO_PAYMENTS=1 (the webhook secret)
  bool metrics_elsewhere = false;    // RIHLA_METRICS_LISTEN set: /metrics only on that listener
};

void RegisterRoutes(http::Router& router, Deps& deps);

// One function per endpoint group (handlers/<group>.cpp).
void AddOpsRoutes(http::Router& router, Deps& deps);
// GET /metrics: registered by RegisterRoutes unless deps.metrics_elsewhere, and by the composition
// root on the RIHLA_METRICS_LISTEN listener's own router.
void AddMetricsRoute(http::Router& router, Deps& deps);
void AddFlightRoutes(http::Router& router, Deps& deps);
void AddAdminRoutes(http::Router& router, Deps& deps);
void AddAuthRoutes(http::Router& router, Deps& deps);
void AddBookingRoutes(http::Router& router, Deps& deps);
void AddWebhookRoutes(http::Router& router, Deps& deps);
void AddDocsRoutes(http::Router& router, Deps& deps);
void AddWebRoutes(http::Router& router, Deps& deps);

}  // namespace rihla::handlers
