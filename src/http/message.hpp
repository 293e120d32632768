#pragma once
// Transport-neutral request/response values. Only http/server.cpp knows Beast; everything else
// (pipeline, handlers, tests) works with these.
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace rihla::http {

struct Request {
  std::string method;   // "GET", "POST", ...
  std::string target;   // raw request-target
  std::string path;     // target before '?'
  std::string query;    // target after '?', raw (percent-encoded)
  std::vector<std::pair<std::string, std::string>> headers;  // names lowercase
  std::string body;

  // First value of a header (name lowercase), or empty.
  std::string_view Header(std::string_view lower_name) const {
    for (const auto& [k, v] : headers) {
      if (k == lower_name) return v;
    }
    return {};
  }
  bool HasHeader(std::string_view lower_name) const {
    for (const auto& [k, v] : headers) {
      if (k == lower_name) return true;
    }
    return false;
  }
};

struct Response {
  int status = 200;
  std::string content_type = "application/json; charset=utf-8";
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  void SetHeader(std::string name, std::string value) { headers.emplace_back(std::move(name), std::move(value)); }
  std::string_view Header(std::string_view name) const {
    for (const auto& [k, v] : headers) {
      if (k == name) return v;
    }
    return {};
  }
};

// A 200/201 JSON response.
inline Response JsonResponse(int status, std::string body) {
  Response r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

// A 200 response with a body of any media type (static pages, scripts, documents).
inline Response StaticResponse(std::string content_type, std::string_view body) {
  Response r;
  r.content_type = std::move(content_type);
  r.body = std::string(body);
  return r;
}

}  // namespace rihla::http
