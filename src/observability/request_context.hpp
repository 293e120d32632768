#pragma once
// Per-request state, created by the pipeline for each request (and by each background job run)
// and passed explicitly to handlers and services, which log through it. Never stored in
// thread-local or global storage: a request's coroutine may resume on another thread, and a
// worker thread serves many requests.
#include <boost/json/object.hpp>

#include <chrono>
#include <string>
#include <string_view>

#include "observability/logger.hpp"

namespace rihla {

struct RequestContext {
  std::string correlation_id;
  std::string trace_id;  // W3C trace-id (32 lowercase hex) or empty
  std::string span_id;   // parent span id from traceparent, or empty
  std::string method;
  std::string route_template;  // matched path template, e.g. "/v1/flights/{id}"
  std::string user_id;   // set once a bearer token was verified
  std::string principal; // "user:<id>", "admin" or "webhook:payments"
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point deadline = started + std::chrono::seconds(10);
  Logger* logger = nullptr;

  // A line with this request's correlation_id (and trace_id, span_id if set) after ts, level and
  // msg; add fields with its Str/Int/... calls (see LogLine). Inert if there is no logger or the
  // level is disabled.
  LogLine Line(LogLevel level, std::string_view msg) const;
  // Line(level, msg) plus `fields` in order (keys repeating a common field are left out).
  void Log(LogLevel level, std::string_view msg, const boost::json::object& fields = {}) const;
  bool Expired() const { return std::chrono::steady_clock::now() >= deadline; }
};


}  // namespace rihla
