#include "handlers/routes.hpp"

namespace rihla::handlers {

void RegisterRoutes(http::Router& router, Deps& deps) {
  AddOpsRoutes(router, deps);
  if (!deps.metrics_elsewhere) AddMetricsRoute(router, deps);
  AddFlightRoutes(router, deps);
  AddAdminRoutes(router, deps);
  AddAuthRoutes(router, deps);
  AddBookingRoutes(router, deps);
  AddWebhookRoutes(router, deps);
  AddDocsRoutes(router, deps);
  AddWebRoutes(router, deps);
}

}  // namespace rihla::handlers
