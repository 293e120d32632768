// GET /docs (the API reference page, generated from docs/openapi.json) and GET /openapi.json.
// Both are static, embedded in the binary, and answered inline on the I/O thread.
#include "handlers/embedded_docs.hpp"
#include "handlers/routes.hpp"

namespace rihla::handlers {

void AddDocsRoutes(http::Router& router, Deps&) {
  router.Add({.method = "GET",
              .pattern = "/docs",
              .handler = [](RequestContext&, const http::Request&, const http::PathParams&) {
                return http::StaticResponse("text/html; charset=utf-8", EmbeddedApiHtml());
              },
              .runs_inline = true});
  router.Add({.method = "GET",
              .pattern = "/openapi.json",
              .handler = [](RequestContext&, const http::Request&, const http::PathParams&) {
                return http::StaticResponse("application/json", EmbeddedOpenApiJson());
              },
              .runs_inline = true});
}

}  // namespace rihla::handlers
