#include "http/pipeline.hpp"

#include <cctype>
#include <cmath>

#include "http/problem.hpp"
#include "observability/correlation.hpp"

namespace rihla::http {
std::string_view BearerToken(const Request& req) {
  std::string_view h = req.Header("authorization");
  constexpr std::string_view kPrefix = "Bearer ";
  if (h.size() <= kPrefix.size()) return {};
  // The scheme is case-insensitive (RFC 9110); the token is not.
  for (std::size_t i = 0; i < kPrefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(h[i])) != std::tolower(static_cast<unsigned char>(kPrefix[i]))) {
      return {};
    }
  }
  return h.substr(kPrefix.size());
}

namespace {

bool IsJsonMediaType(std::string_view ct) {
  std::string_view type = ct.substr(0, ct.find(';'));
  while (!type.empty() && type.back() == ' ') type.remove_suffix(1);
  if (type.size() != 16) return false;
  constexpr std::string_view kJson = "application/json";
  for (std::size_t i = 0; i < type.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(type[i])) != kJson[i]) return false;
  }
  return true;
}

// Methods outside the standard set are reported as "OTHER", so clients cannot grow the
// metrics' label space (or the logs) with made-up methods.
std::string NormalizedMethod(std::string_view m) {
  for (std::string_view known : {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}) {
    if (m == known) return std::string(m);
  }
  return "OTHER";
}

void InitContext(RequestContext& ctx, const Request& req, Logger& logger, std::chrono::milliseconds deadline) {
  ctx.logger = &logger;
  ctx.method = NormalizedMethod(req.method);
  ctx.correlation_id = ChooseCorrelationId(req.Header("x-correlation-id"), req.Header("x-request-id"));
  if (auto tp = ParseTraceParent(req.Header("traceparent"))) {
    ctx.trace_id = std::move(tp->trace_id);
    ctx.span_id = std::move(tp->span_id);
  }
  ctx.deadline = ctx.started + deadline;
}

}  // namespace

void Pipeline::Begin(Exchange& ex) const {
  InitContext(ex.ctx, ex.request, logger_, request_deadline_);
  try {
    ex.match = router_.Find(ex.request.method, ex.request.path);
    if (ex.match.route == nullptr) {
      ex.ctx.route_template = ex.match.path_known ? ex.match.pattern : "unmatched";
      if (ex.match.path_known) {
        ex.response = MethodNotAllowedResponse("method " + ex.ctx.method + " is not allowed here", ex.match.allow,
                                               ex.ctx.correlation_id);
        return;
      }
      throw ApiError(ErrorCode::kNotFound, "no route for this path");
    }
    const Route& route = *ex.match.route;
    ex.ctx.route_template = route.pattern;
    if (route.json_body && !IsJsonMediaType(ex.request.Header("content-type"))) {
      throw ApiError(ErrorCode::kUnsupportedMediaType, "the body must be application/json");
    }
    if (!route.json_body && !ex.request.body.empty() && ex.request.HasHeader("content-type") &&
        !IsJsonMediaType(ex.request.Header("content-type"))) {
      throw ApiError(ErrorCode::kUnsupportedMediaType, "the body, if any, must be application/json");
    }
    if (route.runs_inline) {
      ex.response = route.handler(ex.ctx, ex.request, ex.match.params);
      return;
    }
    if (route.fast_path) {
      Response r;
      if (route.fast_path(ex.ctx, ex.request, ex.match.params, r)) ex.response = std::move(r);
    }
  } catch (...) {
    Answer(ex, std::current_exception());
  }
}

void Pipeline::Execute(Exchange& ex) const {
  try {
    if (ex.ctx.Expired()) {
      throw ApiError(ErrorCode::kServiceUnavailable, "the server is overloaded; the request waited too long")
          .RetryIn(std::chrono::seconds(1));
    }
    const Route& route = *ex.match.route;
    if (route.auth == Auth::kUser) {
      std::string_view token = BearerToken(ex.request);
      if (token.empty()) throw ApiError(ErrorCode::kUnauthorized, "a bearer token is required");
      ex.ctx.user_id = auth_.UserForToken(token);
      if (ex.ctx.user_id.empty()) throw ApiError(ErrorCode::kUnauthorized, "the bearer token is not valid");
      ex.ctx.principal = "user:" + ex.ctx.user_id;
    } else if (route.auth == Auth::kAdmin) {
      std::string_view token = BearerToken(ex.request);
      if (token.empty() || !auth_.IsAdminToken(token)) {
        throw ApiError(ErrorCode::kUnauthorized, "a valid admin token is required");
      }
      ex.ctx.principal = "admin";
    } else if (route.auth == Auth::kWebhook) {
      ex.ctx.principal = "webhook:payments";
    }
    ex.response = route.handler(ex.ctx, ex.request, ex.match.params);
  } catch (const NotReady& e) {
    ex.park_for = e.retry_in();
  } catch (...) {
    Answer(ex, std::current_exception());
  }
}

void Pipeline::Overloaded(Exchange& ex) const {
  ApiError e(ErrorCode::kServiceUnavailable, "the server is overloaded; retry later");
  e.RetryIn(std::chrono::seconds(1));
  load_shed_.Increment();
  Answer(ex, std::make_exception_ptr(e));
}

void Pipeline::Answer(Exchange& ex, const std::exception_ptr& error) const {
  try {
    std::rethrow_exception(error);
  } catch (const ApiError& e) {
    ex.response = ProblemResponse(e, ex.ctx.correlation_id);
  } catch (const StorageUnavailable& e) {
    ex.ctx.Log(LogLevel::kWarn, "database unavailable", {{"error", e.what()}});
    ApiError api(ErrorCode::kServiceUnavailable, "the database is unavailable; retry later");
    api.RetryIn(std::chrono::seconds(1));
    ex.response = ProblemResponse(api, ex.ctx.correlation_id);
  } catch (const std::exception& e) {
    ex.ctx.Log(LogLevel::kError, "unhandled error", {{"error", e.what()}});
    ex.response = ProblemResponse(ErrorCode::kInternal, "an unexpected error occurred", ex.ctx.correlation_id);
  } catch (...) {
    ex.ctx.Log(LogLevel::kError, "unhandled error", {{"error", "unknown"}});
    ex.response = ProblemResponse(ErrorCode::kInternal, "an unexpected error occurred", ex.ctx.correlation_id);
  }
}

Response Pipeline::Finish(Exchange& ex) const {
  Response r = ex.response ? std::move(*ex.response) : ProblemResponse(ErrorCode::kInternal, "no response",
                                                                       ex.ctx.correlation_id);
  r.SetHeader("X-Correlation-ID", ex.ctx.correlation_id);
  auto elapsed = std::chrono::steady_clock::now() - ex.ctx.started;
  double seconds = std::chrono::duration<double>(elapsed).count();
  request_durations_.WithLabels(ex.ctx.method, ex.ctx.route_template, r.status).Observe(seconds);
  LogLevel level = r.status >= 500 ? LogLevel::kError : LogLevel::kInfo;
  if (FaultActive(fault_, FaultPoint::kMixCorrelation)) {
    RequestContext other = ex.ctx;  // the access line names the previous request
    std::lock_guard lock(mix_mu_);
    std::swap(other.correlation_id, previous_id_);
    if (!other.correlation_id.empty())
      other.Log(level, "request", {{"method", ex.ctx.method}, {"route", ex.ctx.route_template}, {"status", r.status}});
  } else if (logger_.Enabled(level)) {
    ex.ctx.Line(level, "request")
        .Str("method", ex.ctx.method)
        .Str("route", ex.ctx.route_template)
        .Int("status", r.status)
        .Num("duration_ms", std::round(seconds * 1e6) / 1e3);
  }
  return r;
}

Response Pipeline::RejectUnparsed(ErrorCode code, std::string detail, const Request& partial) const {
  Exchange ex;
  ex.request = partial;
  InitContext(ex.ctx, ex.request, logger_, request_deadline_);
  ex.ctx.route_template = "unparsed";
  ex.response = ProblemResponse(code, std::move(detail), ex.ctx.correlation_id);
  return Finish(ex);
}

}  // namespace rihla::http
