// List cursors: domain::ParseCursor on the raw `cursor` query parameter.
// Invariants: only ApiError(kInvalidRequest) escapes; an accepted cursor has a non-negative
// time and an id of [a-z0-9_]; MakeCursor of what was read parses back to the same pair.
#include <cstddef>
#include <cstdint>
#include <string>

#include "domain/booking_rules.hpp"
#include "fuzz_check.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace rihla;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  std::pair<std::int64_t, std::string> cursor;
  try {
    cursor = domain::ParseCursor(in);
  } catch (const ApiError& e) {
    fuzz::CheckInvalidRequest(e);
    FUZZ_CHECK(!e.fields().empty());
    return 0;
  }
  auto& [created, id] = cursor;
  FUZZ_CHECK(created >= 0);
  FUZZ_CHECK(!id.empty());
  for (char c : id) FUZZ_CHECK((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_');
  FUZZ_CHECK(domain::ParseCursor(domain::MakeCursor(created, id)) == cursor);
  return 0;
}
