#pragma once
// Invariant checks for the fuzz targets: a failed check prints what broke and aborts, which
// libFuzzer reports as a crash and saves the input (independent of NDEBUG).
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "domain/errors.hpp"

#define FUZZ_CHECK(cond)                                                                  \
  do {                                                                                    \
    if (!(cond)) {                                                                        \
      std::fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                       \
    }                                                                                     \
  } while (0)

namespace rihla::fuzz {

// A refusal of client input is an ApiError(kInvalidRequest); anything else escaping a parser
// (std::out_of_range, bad_optional_access, ...) would be a 500 and is a finding.
inline void CheckInvalidRequest(const ApiError& e) { FUZZ_CHECK(e.code() == ErrorCode::kInvalidRequest); }

// Splits at the first '\n': the convention of the targets that take two strings.
inline std::pair<std::string_view, std::string_view> SplitLine(std::string_view in) {
  auto nl = in.find('\n');
  if (nl == std::string_view::npos) return {in, {}};
  return {in.substr(0, nl), in.substr(nl + 1)};
}

}  // namespace rihla::fuzz
