// GET /healthz, /readyz, /metrics.
#include <boost/json.hpp>

#include "handlers/routes.hpp"

namespace rihla::handlers {

void AddOpsRoutes(http::Router& router, Deps& deps) {
  router.Add({.method = "GET",
              .pattern = "/healthz",
              .handler = [](RequestContext&, const http::Request&, const http::PathParams&) {
                return http::JsonResponse(200, R"({"status":"ok"})");
              },
              .runs_inline = true});

  // Ready when the database answers and the process is not draining (SIGTERM: a balancer with
  // active checks takes it out while it still serves); a cache outage only degrades. Plain
  // JSON either way, status `ok`, `unavailable` or `draining`.
  router.Add({.method = "GET",
              .pattern = "/readyz",
              .handler = [&deps](RequestContext&, const http::Request&, const http::PathParams&) {
                bool db_ok = deps.db.Ping();
                std::string cache = deps.cache.Status();
                bool draining = deps.drain.draining();
                const char* status = draining ? "draining" : db_ok ? "ok" : "unavailable";
                boost::json::object body{{"status", status},
                                         {"checks", {{"database", db_ok ? "ok" : "unavailable"}, {"cache", cache}}}};
                return http::JsonResponse(db_ok && !draining ? 200 : 503, boost::json::serialize(body));
              }});

}

void AddMetricsRoute(http::Router& router, Deps& deps) {
  router.Add({.method = "GET",
              .pattern = "/metrics",
              .handler = [&deps](RequestContext&, const http::Request&, const http::PathParams&) {
                http::Response r;
                r.content_type = "text/plain; version=0.0.4; charset=utf-8";
                r.body = deps.metrics.Render();
                return r;
              },
              .runs_inline = true});
}

}  // namespace rihla::handlers
