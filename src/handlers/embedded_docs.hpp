#pragma once
// docs/api.html and docs/openapi.json, compiled into the binary (cmake/embed_docs.cmake) so
// that GET /docs and GET /openapi.json need no files at run time.
#include <string_view>

namespace rihla::handlers {

std::string_view EmbeddedApiHtml();
std::string_view EmbeddedOpenApiJson();

}  // namespace rihla::handlers
