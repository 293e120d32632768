# Generates a C++ source holding docs/api.html (made by tools/build-docs.mjs), docs/openapi.json
# and the booking page web/{index.html,app.js,style.css} as string literals, served by GET /docs,
# GET /openapi.json, GET /, /app.js and /style.css.
file(READ ${SRC_DIR}/api.html html)
file(READ ${SRC_DIR}/openapi.json json)
file(READ ${WEB_DIR}/index.html web_index)
file(READ ${WEB_DIR}/app.js web_js)
file(READ ${WEB_DIR}/style.css web_css)
foreach(text html json web_index web_js web_css)
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
constexpr char kWebIndex[] = R\"rihla_docs(${web_index})rihla_docs\";
constexpr char kWebJs[] = R\"rihla_docs(${web_js})rihla_docs\";
constexpr char kWebCss[] = R\"rihla_docs(${web_css})rihla_docs\";
}  // namespace
std::string_view EmbeddedApiHtml() { return {kApiHtml, sizeof kApiHtml - 1}; }
std::string_view EmbeddedOpenApiJson() { return {kOpenApiJson, sizeof kOpenApiJson - 1}; }
std::string_view EmbeddedWebIndexHtml() { return {kWebIndex, sizeof kWebIndex - 1}; }
std::string_view EmbeddedWebAppJs() { return {kWebJs, sizeof kWebJs - 1}; }
std::string_view EmbeddedWebStyleCss() { return {kWebCss, sizeof kWebCss - 1}; }
}  // namespace rihla::handlers
")
file(COPY_FILE ${OUT}.tmp ${OUT} ONLY_IF_DIFFERENT)
