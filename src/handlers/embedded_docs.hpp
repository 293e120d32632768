#pragma once
// docs/api.html, docs/openapi.json and web/, compiled into the binary (cmake/embed_docs.cmake) so
// that GET /docs, GET /openapi.json and the booking page need no files at run time.
#include <string_view>

namespace rihla::handlers {

std::string_view EmbeddedApiHtml();
std::string_view EmbeddedOpenApiJson();
// web/: the booking page.
std::string_view EmbeddedWebIndexHtml();
std::string_view EmbeddedWebAppJs();
std::string_view EmbeddedWebStyleCss();

}  // namespace rihla::handlers
