// GET /docs (the API reference page, generated from docs/openapi.json) and GET /openapi.json.
// Both are static, embedded in the binary, and answered inline on the I/O thread.
#include "handlers/embedded_docs.hpp"
#include "handlers/routes.hpp"

namespace rihla::handlers {
namespace {

http::Response Static(std::string content_type, std::string_view body) {
  http::Response r;
  r.content_type = std::move(content_type);
  r.body = std::string(body);
  return r;
}

}  // namespace

void AddDocsRoutes(http::Router& router, Deps&) {
  router.Add({.method = "GET",
              .pattern = "/docs",
              .handler = [](RequestContext&, const http::Request&, const http::PathParams&) {
                return Static("text/html; charset=utf-8", EmbeddedApiHtml());
              },
              .runs_inline = true});
  router.Add({.method = "GET",
              .pattern = "/openapi.json",
              .handler = [](RequestContext&, const http::Request&, const http::PathParams&) {
                return Static("application/json", EmbeddedOpenApiJson());
              },
              .runs_inline = true});
}

}  // namespace rihla::handlers
