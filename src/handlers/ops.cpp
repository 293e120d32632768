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

  // Ready when the database answers; a cache outage only degrades. Plain JSON either way.
  router.Add({.method = "GET",
              .pattern = "/readyz",
              .handler = [&deps](RequestContext&, const http::Request&, const http::PathParams&) {
                bool db_ok = deps.db.Ping();
                std::string cache = deps.cache.Status();
                boost::json::object body{{"status", db_ok ? "ok" : "unavailable"},
                                         {"checks", {{"database", db_ok ? "ok" : "unavailable"}, {"cache", cache}}}};
                return http::JsonResponse(db_ok ? 200 : 503, boost::json::serialize(body));
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
