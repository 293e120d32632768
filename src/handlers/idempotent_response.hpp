#pragma once
// Shared by the handlers of idempotent endpoints, and the HTTP side of the idempotency executor.
#include <string_view>

#include "http/message.hpp"
#include "http/problem.hpp"
#include "idempotency/idempotency.hpp"
#include "observability/request_context.hpp"

namespace rihla::handlers {

// Validates the Idempotency-Key header and builds the executor request: scope = method +
// route template, principal from the context, fingerprint over method, path and body.
inline idempotency::Request IdempotencyRequest(const RequestContext& ctx, const http::Request& req) {
  idempotency::Request r;
  r.key = idempotency::ValidateKey(req.Header("idempotency-key"), req.HasHeader("idempotency-key"));
  r.scope = ctx.method + " " + ctx.route_template;
  r.principal = ctx.principal;
  r.fingerprint = idempotency::Fingerprint(ctx.method, req.path, req.body);
  return r;
}

// The idempotency::ErrorRenderer of this transport: the problem+json status and body bytes the
// executor stores and replays. Headers (Retry-After) are not stored, as they never were.
inline idempotency::StoredResponse RenderProblem(const ApiError& error, std::string_view correlation_id) {
  http::Response r = http::ProblemResponse(error, correlation_id);
  return {r.status, std::move(r.body)};
}

// The stored (or just stored) answer, byte for byte; replays carry Idempotent-Replayed.
inline http::Response IdempotentResponse(idempotency::Result result) {
  http::Response r;
  r.status = result.status;
  r.body = std::move(result.body);
  if (r.status >= 400) r.content_type = "application/problem+json";
  if (result.replayed) r.SetHeader("Idempotent-Replayed", "true");
  return r;
}

}  // namespace rihla::handlers
