#pragma once
// The one place where error codes become HTTP statuses and RFC 9457 problem documents.
#include <string>
#include <string_view>

#include "domain/errors.hpp"
#include "http/message.hpp"

namespace rihla::http {

struct ProblemType {
  int status;
  std::string_view slug;
  std::string_view title;
};

ProblemType ProblemFor(ErrorCode code);

// application/problem+json response for `error`, carrying `correlation_id`; the error's retry
// hint, if any, becomes Retry-After (whole seconds).
Response ProblemResponse(const ApiError& error, std::string_view correlation_id);
Response ProblemResponse(ErrorCode code, std::string detail, std::string_view correlation_id);
// 405 problem with the Allow header listing `allow` (e.g. "GET, POST").
Response MethodNotAllowedResponse(std::string detail, std::string_view allow, std::string_view correlation_id);

}  // namespace rihla::http
