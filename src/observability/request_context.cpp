#include "observability/request_context.hpp"

namespace rihla {

LogLine RequestContext::Line(LogLevel level, std::string_view msg) const {
  if (logger == nullptr) return LogLine();
  LogLine line = logger->Line(level, msg);
  line.Str("correlation_id", correlation_id);
  if (!trace_id.empty()) line.Str("trace_id", trace_id).Str("span_id", span_id);
  return line;
}

void RequestContext::Log(LogLevel level, std::string_view msg, const boost::json::object& fields) const {
  Line(level, msg).Fields(fields, {"correlation_id", "trace_id", "span_id"});
}

}  // namespace rihla
