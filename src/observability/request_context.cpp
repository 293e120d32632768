#include "observability/request_context.hpp"

namespace rihla {

void RequestContext::Log(LogLevel level, std::string_view msg, boost::json::object fields) const {
  if (logger == nullptr || !logger->Enabled(level)) return;
  boost::json::object line;
  line.reserve(fields.size() + 3);
  line["correlation_id"] = correlation_id;
  if (!trace_id.empty()) {
    line["trace_id"] = trace_id;
    line["span_id"] = span_id;
  }
  for (auto& kv : fields) line[kv.key()] = std::move(kv.value());
  logger->Write(level, msg, line);
}

}  // namespace rihla
