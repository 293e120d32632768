// Correlation ids: "<X-Correlation-ID>\n<X-Request-ID>" -> ChooseCorrelationId.
// Invariants: the chosen id is always valid (1..128 of [A-Za-z0-9._:-]), it is the first valid
// header when there is one, and otherwise a fresh lowercase UUIDv4.
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz_check.hpp"
#include "observability/correlation.hpp"

namespace {

bool AllowedChars(std::string_view id) {
  for (char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
              c == ':' || c == '-';
    if (!ok) return false;
  }
  return true;
}

bool IsUuidV4(std::string_view s) {
  if (s.size() != 36 || s[14] != '4') return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash != (s[i] == '-')) return false;
    if (!dash && !((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) return false;
  }
  return s[19] == '8' || s[19] == '9' || s[19] == 'a' || s[19] == 'b';
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace rihla;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto [correlation, request_id] = fuzz::SplitLine(in);
  for (auto header : {correlation, request_id, in}) {
    bool valid = IsValidCorrelationId(header);
    FUZZ_CHECK(valid == (!header.empty() && header.size() <= 128 && AllowedChars(header)));
  }
  std::string chosen = ChooseCorrelationId(correlation, request_id);
  FUZZ_CHECK(IsValidCorrelationId(chosen));
  if (IsValidCorrelationId(correlation)) {
    FUZZ_CHECK(chosen == correlation);
  } else if (IsValidCorrelationId(request_id)) {
    FUZZ_CHECK(chosen == request_id);
  } else {
    FUZZ_CHECK(IsUuidV4(chosen));
  }
  return 0;
}
