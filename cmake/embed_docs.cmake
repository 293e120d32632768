# Generates a C++ source holding docs/api.html (made by tools/build-docs.mjs) and
# docs/openapi.json as string literals, served by GET /docs and GET /openapi.json.
file(READ ${SRC_DIR}/api.html html)
file(READ ${SRC_DIR}/openapi.json json)
foreach(text html json)
  string(FIND "${${text}}" ")rihla_docs\"" clash)
  if(NOT clash EQUAL -1)
    message(FATAL_ERROR "docs/ holds the raw-string delimiter )rihla_docs\"; change it in cmake/embed_docs.cmake")
  endif()
endforeach()
file(WRITE ${OUT}.tmp "// Generated from docs/ by cmake/embed_docs.cmake. Do not edit.
#include \"handlers/embedded_docs.hpp\"
namespace rihla::handlers {
namespace {
constexpr char kApiHtml[] = R\"rihla_docs(${html})rihla_docs\";
constexpr char kOpenApiJson[] = R\"rihla_docs(${json})rihla_docs\";
}  // namespace
std::string_view EmbeddedApiHtml() { return {kApiHtml, sizeof kApiHtml - 1}; }
std::string_view EmbeddedOpenApiJson() { return {kOpenApiJson, sizeof kOpenApiJson - 1}; }
}  // namespace rihla::handlers
")
file(COPY_FILE ${OUT}.tmp ${OUT} ONLY_IF_DIFFERENT)
