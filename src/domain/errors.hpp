#pragma once
// Errors with meaning. Domain code, services, storage and handlers throw ApiError (a value with
// a code); nothing here knows the transport. http/problem.cpp is the one place that maps an
// ErrorCode to an HTTP status and problem type (and a retry hint to Retry-After).
#include <chrono>
#include <exception>
#include <optional>
#include <string>
#include <vector>

namespace rihla {

enum class ErrorCode {
  kInvalidRequest,
  kUnauthorized,
  kInvalidSignature,
  kNotFound,
  kMethodNotAllowed,
  kIdempotencyKeyMissing,
  kIdempotencyKeyInvalid,
  kIdempotencyInProgress,
  kIdempotencyKeyReused,
  kSoldOut,
  kInvalidState,
  kEmailTaken,
  kTooManyRequests,
  kPayloadTooLarge,
  kUnsupportedMediaType,
  kHeaderTooLarge,
  kServiceUnavailable,
  kInternal,
};

struct FieldError {
  std::string field;
  std::string message;
};

class ApiError : public std::exception {
 public:
  ApiError(ErrorCode code, std::string detail, std::vector<FieldError> fields = {})
      : code_(code), detail_(std::move(detail)), fields_(std::move(fields)) {}
  const char* what() const noexcept override { return detail_.c_str(); }
  ErrorCode code() const { return code_; }
  const std::string& detail() const { return detail_; }
  const std::vector<FieldError>& fields() const { return fields_; }

  // How long the condition is expected to last (a request still in progress, a service that is
  // unavailable): the client may retry after that long. Unset when retrying will not help.
  const std::optional<std::chrono::seconds>& retry_in() const { return retry_in_; }
  ApiError& RetryIn(std::chrono::seconds wait) {
    retry_in_ = wait;
    return *this;
  }

 private:
  ErrorCode code_;
  std::string detail_;
  std::vector<FieldError> fields_;
  std::optional<std::chrono::seconds> retry_in_;
};

// Thrown when the answer a request must give exists soon but not yet: a concurrent webhook
// redelivery whose first delivery still runs. The request holds no worker while it waits: the
// transport parks it for `retry_in` (a timer on its I/O thread) and then runs it again. The
// thrower bounds the total wait by the request's deadline and then answers for itself.
class NotReady : public std::exception {
 public:
  explicit NotReady(std::chrono::milliseconds retry_in) : retry_in_(retry_in) {}
  const char* what() const noexcept override { return "the answer is not ready yet"; }
  std::chrono::milliseconds retry_in() const { return retry_in_; }

 private:
  std::chrono::milliseconds retry_in_;
};

// Thrown by storage when the database cannot be reached or timed out; maps to 503.
class StorageUnavailable : public std::exception {
 public:
  explicit StorageUnavailable(std::string what) : what_(std::move(what)) {}
  const char* what() const noexcept override { return what_.c_str(); }

 private:
  std::string what_;
};

// Thrown by storage when a unique/primary-key constraint rejects a write, whatever the engine
// (SQLite SQLITE_CONSTRAINT, PostgreSQL 23505, MySQL 1062).
class DuplicateKey : public std::exception {
 public:
  explicit DuplicateKey(std::string what) : what_(std::move(what)) {}
  const char* what() const noexcept override { return what_.c_str(); }

 private:
  std::string what_;
};

}  // namespace rihla
