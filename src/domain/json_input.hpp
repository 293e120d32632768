#pragma once
// Strict JSON request parsing: bounded depth, valid UTF-8, an object at the top, typed field
// access that collects FieldErrors. Throws ApiError(kInvalidRequest).
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "domain/errors.hpp"

namespace rihla::domain {

// Parses `body` (max nesting depth 20). Throws ApiError(kInvalidRequest) on malformed JSON,
// invalid UTF-8, too deep nesting, or a top level that is not an object.
boost::json::object ParseJsonObject(std::string_view body);
// Parses any JSON value with the same limits; nullopt when invalid.
std::optional<boost::json::value> TryParseJson(std::string_view body);
// Canonical serialization: object keys sorted, no whitespace. Equal for equal values.
std::string CanonicalJson(const boost::json::value& value);

// Collects field errors while reading an object.
class FieldReader {
 public:
  explicit FieldReader(const boost::json::object& object, std::string prefix = "")
      : object_(object), prefix_(std::move(prefix)) {}
  // Required / optional string fields; max_len in bytes. A string holding U+0000 is refused
  // (ids and keys must compare byte-exactly on every engine, and PostgreSQL cuts at NUL).
  std::optional<std::string> String(std::string_view name, bool required, std::size_t max_len = 200);
  std::optional<std::int64_t> Integer(std::string_view name, bool required, std::int64_t min, std::int64_t max);
  const boost::json::object* Object(std::string_view name, bool required);
  const boost::json::array* Array(std::string_view name, bool required);
  void Fail(std::string_view name, std::string message);
  std::string Path(std::string_view name) const { return prefix_ + std::string(name); }
  std::vector<FieldError>& errors() { return errors_; }
  // Throws ApiError(kInvalidRequest, detail) when any error was collected.
  void ThrowIfErrors(std::string_view detail);

 private:
  const boost::json::object& object_;
  std::string prefix_;
  std::vector<FieldError> errors_;
};

}  // namespace rihla::domain
