#pragma once
// UTC time helpers: RFC 3339 and calendar dates <-> milliseconds since the Unix epoch.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace rihla::domain {

std::int64_t NowMs();
// "2026-12-01T08:00:00Z" (seconds precision, always UTC).
std::string FormatRfc3339(std::int64_t ms);
// Accepts "YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)"; 'T' and 'Z' case-insensitive.
std::optional<std::int64_t> ParseRfc3339(std::string_view text);
// "YYYY-MM-DD" -> UTC midnight of that day; rejects impossible dates (2026-02-30).
std::optional<std::int64_t> ParseDate(std::string_view text);
// UTC midnight of the day containing `ms`.
std::int64_t StartOfUtcDay(std::int64_t ms);
constexpr std::int64_t kDayMs = 86'400'000;

}  // namespace rihla::domain
