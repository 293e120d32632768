#pragma once
// Correlation ids and W3C Trace Context parsing. Pure functions, except NewUuidV4 (random).
#include <optional>
#include <string>
#include <string_view>

namespace rihla {

// 1..128 characters from [A-Za-z0-9._:-].
bool IsValidCorrelationId(std::string_view id);

// Random RFC 4122 version-4 UUID, lowercase.
std::string NewUuidV4();

// X-Correlation-ID if valid, else X-Request-ID if valid, else a new UUIDv4.
std::string ChooseCorrelationId(std::string_view correlation_header, std::string_view request_id_header);

struct TraceParent {
  std::string trace_id;  // 32 lowercase hex, not all zero
  std::string span_id;   // 16 lowercase hex, not all zero
  std::string flags;     // 2 lowercase hex
};

// Parses a `traceparent` header by the W3C Trace Context rules: version 2 hex (ff invalid);
// version 00 must be exactly 55 chars; higher versions may carry more fields after a '-';
// lowercase hex only; trace-id and parent-id not all zeros. Returns nullopt when invalid.
std::optional<TraceParent> ParseTraceParent(std::string_view header);

}  // namespace rihla
