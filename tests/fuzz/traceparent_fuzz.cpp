// W3C traceparent: ParseTraceParent on the raw header value.
// Invariants: an accepted header yields a 32-hex trace id and a 16-hex span id (lowercase, not
// all zeros) and 2-hex flags, taken from the header's own positions; version 00 headers are
// exactly 55 bytes; the version-00 rendering of the result parses to the same fields.
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz_check.hpp"
#include "observability/correlation.hpp"

namespace {

bool LowerHex(std::string_view s) {
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

bool AllZero(std::string_view s) { return s.find_first_not_of('0') == std::string_view::npos; }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace rihla;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto tp = ParseTraceParent(in);
  if (!tp) return 0;
  FUZZ_CHECK(tp->trace_id.size() == 32 && LowerHex(tp->trace_id) && !AllZero(tp->trace_id));
  FUZZ_CHECK(tp->span_id.size() == 16 && LowerHex(tp->span_id) && !AllZero(tp->span_id));
  FUZZ_CHECK(tp->flags.size() == 2 && LowerHex(tp->flags));
  FUZZ_CHECK(in.size() >= 55 && in.substr(0, 2) != "ff" && LowerHex(in.substr(0, 2)));
  if (in.substr(0, 2) == "00") FUZZ_CHECK(in.size() == 55);
  FUZZ_CHECK(in.substr(3, 32) == tp->trace_id && in.substr(36, 16) == tp->span_id && in.substr(53, 2) == tp->flags);
  std::string v00 = "00-" + tp->trace_id + "-" + tp->span_id + "-" + tp->flags;
  auto again = ParseTraceParent(v00);
  FUZZ_CHECK(again && again->trace_id == tp->trace_id && again->span_id == tp->span_id && again->flags == tp->flags);
  return 0;
}
