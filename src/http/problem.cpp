#include "http/problem.hpp"

#include <boost/json.hpp>

namespace rihla::http {

ProblemType ProblemFor(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidRequest: return {400, "invalid-request", "Invalid request"};
    case ErrorCode::kUnauthorized: return {401, "unauthorized", "Unauthorized"};
    case ErrorCode::kInvalidSignature: return {401, "invalid-signature", "Invalid signature"};
    case ErrorCode::kNotFound: return {404, "not-found", "Not found"};
    case ErrorCode::kMethodNotAllowed: return {405, "method-not-allowed", "Method not allowed"};
    case ErrorCode::kIdempotencyKeyMissing: return {400, "idempotency-key-missing", "Idempotency-Key missing"};
    case ErrorCode::kIdempotencyKeyInvalid: return {400, "idempotency-key-invalid", "Idempotency-Key invalid"};
    case ErrorCode::kIdempotencyInProgress: return {409, "idempotency-in-progress", "Request in progress"};
    case ErrorCode::kIdempotencyKeyReused: return {422, "idempotency-key-reused", "Idempotency-Key reused"};
    case ErrorCode::kSoldOut: return {409, "sold-out", "Sold out"};
    case ErrorCode::kInvalidState: return {409, "invalid-state", "Invalid state"};
    case ErrorCode::kEmailTaken: return {409, "email-taken", "Email taken"};
    case ErrorCode::kTooManyRequests: return {429, "too-many-requests", "Too many requests"};
    case ErrorCode::kPayloadTooLarge: return {413, "payload-too-large", "Payload too large"};
    case ErrorCode::kUnsupportedMediaType: return {415, "unsupported-media-type", "Unsupported media type"};
    case ErrorCode::kHeaderTooLarge: return {431, "request-header-too-large", "Request header fields too large"};
    case ErrorCode::kServiceUnavailable: return {503, "service-unavailable", "Service unavailable"};
    case ErrorCode::kInternal: return {500, "internal", "Internal server error"};
  }
  return {500, "internal", "Internal server error"};
}

Response ProblemResponse(const ApiError& error, std::string_view correlation_id) {
  ProblemType t = ProblemFor(error.code());
  boost::json::object body;
  body["type"] = std::string("/problems/").append(t.slug);
  body["title"] = t.title;
  body["status"] = t.status;
  body["detail"] = error.detail();
  body["correlation_id"] = correlation_id;
  if (!error.fields().empty()) {
    boost::json::array errors;
    for (const auto& f : error.fields()) errors.push_back(boost::json::object{{"field", f.field}, {"message", f.message}});
    body["errors"] = std::move(errors);
  }
  Response r;
  r.status = t.status;
  r.content_type = "application/problem+json";
  r.body = boost::json::serialize(body);
  if (error.retry_in()) r.SetHeader("Retry-After", std::to_string(error.retry_in()->count()));
  return r;
}

Response ProblemResponse(ErrorCode code, std::string detail, std::string_view correlation_id) {
  return ProblemResponse(ApiError(code, std::move(detail)), correlation_id);
}

Response MethodNotAllowedResponse(std::string detail, std::string_view allow, std::string_view correlation_id) {
  Response r = ProblemResponse(ErrorCode::kMethodNotAllowed, std::move(detail), correlation_id);
  r.SetHeader("Allow", std::string(allow));
  return r;
}

}  // namespace rihla::http
