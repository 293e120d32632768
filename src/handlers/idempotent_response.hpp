#pragma once
// Shared by the handlers of idempotent endpoints.
#include "http/message.hpp"
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
