#include "domain/time.hpp"

#include <gtest/gtest.h>

namespace rihla::domain {
namespace {

constexpr std::int64_t k2026Dec01 = 1796083200000;  // 2026-12-01T00:00:00Z
constexpr std::int64_t kHourMs = 3'600'000;

TEST(Time, ParsesUtcTimestamp) {
  EXPECT_EQ(ParseRfc3339("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(ParseRfc3339("2026-12-01T08:00:00Z"), k2026Dec01 + 8 * kHourMs);
}

TEST(Time, AcceptsLowerCaseTAndZ) {
  EXPECT_EQ(ParseRfc3339("2026-12-01t08:00:00z"), k2026Dec01 + 8 * kHourMs);
}

TEST(Time, AppliesPositiveAndNegativeOffsets) {
  // 11:00 at +03:00 is 08:00 UTC; 03:30 at -04:30 is 08:00 UTC.
  EXPECT_EQ(ParseRfc3339("2026-12-01T11:00:00+03:00"), k2026Dec01 + 8 * kHourMs);
  EXPECT_EQ(ParseRfc3339("2026-12-01T03:30:00-04:30"), k2026Dec01 + 8 * kHourMs);
  EXPECT_EQ(ParseRfc3339("2026-12-01T08:00:00+00:00"), k2026Dec01 + 8 * kHourMs);
}

TEST(Time, OffsetCanMoveTheInstantToAnotherDay) {
  EXPECT_EQ(ParseRfc3339("2026-12-01T01:00:00+03:00"), k2026Dec01 - 2 * kHourMs);
}

TEST(Time, ParsesFractionalSecondsToMilliseconds) {
  EXPECT_EQ(ParseRfc3339("1970-01-01T00:00:00.5Z"), 500);
  EXPECT_EQ(ParseRfc3339("1970-01-01T00:00:00.123Z"), 123);
  EXPECT_EQ(ParseRfc3339("1970-01-01T00:00:01.123456789Z"), 1123);
}

TEST(Time, RejectsEmptyFraction) { EXPECT_EQ(ParseRfc3339("2026-12-01T08:00:00.Z"), std::nullopt); }

TEST(Time, RejectsMissingZoneDesignator) {
  EXPECT_EQ(ParseRfc3339("2026-12-01T08:00:00"), std::nullopt);
  EXPECT_EQ(ParseRfc3339("2026-12-01T08:00:00.123"), std::nullopt);
}

TEST(Time, RejectsMalformedTimestamps) {
  EXPECT_EQ(ParseRfc3339(""), std::nullopt);
  EXPECT_EQ(ParseRfc3339("2026-12-01"), std::nullopt);
  EXPECT_EQ(ParseRfc3339("2026-12-01 08:00:00Z"), std::nullopt);
  EXPECT_EQ(ParseRfc3339("2026-12-01T08-00-00Z"), std::nullopt);
  EXPECT_EQ(ParseRfc3339("2026-12-01T08:00:00ZZ"), std::nullopt);
  EXPECT_EQ(ParseRfc3339("2026-12-01T08:00:00+0300"), std::nullopt);
  EXPECT_EQ(ParseRfc3339("2026-12-01T08:00:00+03:00:00"), std::nullopt);
  EXPECT_EQ(ParseRfc3339("2026-12-01T8:00:00Z"), std::nullopt);
}

TEST(Time, RejectsOutOfRangeClockFields) {
  EXPECT_EQ(ParseRfc3339("2026-12-01T24:00:00Z"), std::nullopt);
  EXPECT_EQ(ParseRfc3339("2026-12-01T23:60:00Z"), std::nullopt);
  EXPECT_EQ(ParseRfc3339("2026-12-01T23:59:60Z"), std::nullopt);
  EXPECT_EQ(ParseRfc3339("2026-12-01T08:00:00+24:00"), std::nullopt);
  EXPECT_EQ(ParseRfc3339("2026-12-01T08:00:00+03:60"), std::nullopt);
}

TEST(Time, RejectsImpossibleDatesInTimestamps) {
  EXPECT_EQ(ParseRfc3339("2026-02-30T08:00:00Z"), std::nullopt);
  EXPECT_EQ(ParseRfc3339("2026-13-01T08:00:00Z"), std::nullopt);
}

TEST(Time, ParsesDateAsUtcMidnight) {
  EXPECT_EQ(ParseDate("1970-01-01"), 0);
  EXPECT_EQ(ParseDate("2026-12-01"), k2026Dec01);
  EXPECT_EQ(ParseDate("1969-12-31"), -kDayMs);
}

TEST(Time, RejectsImpossibleDates) {
  EXPECT_EQ(ParseDate("2026-02-30"), std::nullopt);
  EXPECT_EQ(ParseDate("2026-04-31"), std::nullopt);
  EXPECT_EQ(ParseDate("2026-00-10"), std::nullopt);
  EXPECT_EQ(ParseDate("2026-13-10"), std::nullopt);
  EXPECT_EQ(ParseDate("2026-01-00"), std::nullopt);
  EXPECT_EQ(ParseDate("2026-01-32"), std::nullopt);
}

TEST(Time, KnowsLeapYears) {
  EXPECT_TRUE(ParseDate("2024-02-29"));
  EXPECT_TRUE(ParseDate("2000-02-29"));  // divisible by 400
  EXPECT_FALSE(ParseDate("2026-02-29"));
  EXPECT_FALSE(ParseDate("1900-02-29"));  // divisible by 100, not 400
  EXPECT_EQ(*ParseDate("2024-03-01") - *ParseDate("2024-02-28"), 2 * kDayMs);
}

TEST(Time, RejectsMalformedDates) {
  EXPECT_EQ(ParseDate(""), std::nullopt);
  EXPECT_EQ(ParseDate("2026-1-01"), std::nullopt);
  EXPECT_EQ(ParseDate("2026/12/01"), std::nullopt);
  EXPECT_EQ(ParseDate("2026-12-01T"), std::nullopt);
  EXPECT_EQ(ParseDate("20261201"), std::nullopt);
  EXPECT_EQ(ParseDate("2026-1a-01"), std::nullopt);
}

TEST(Time, FormatsWithSecondsPrecisionInUtc) {
  EXPECT_EQ(FormatRfc3339(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(FormatRfc3339(k2026Dec01 + 8 * kHourMs), "2026-12-01T08:00:00Z");
  EXPECT_EQ(FormatRfc3339(k2026Dec01 + 8 * kHourMs + 999), "2026-12-01T08:00:00Z");
  EXPECT_EQ(FormatRfc3339(*ParseDate("2024-02-29") + 23 * kHourMs + 59 * 60'000 + 59'000), "2024-02-29T23:59:59Z");
}

TEST(Time, FormatsTimesBeforeTheEpoch) {
  EXPECT_EQ(FormatRfc3339(-1000), "1969-12-31T23:59:59Z");
  EXPECT_EQ(FormatRfc3339(-1), "1969-12-31T23:59:59Z");
}

TEST(Time, FormatThenParseRoundTripsWholeSeconds) {
  for (const char* text : {"2026-12-01T08:00:00Z", "2000-02-29T12:34:56Z", "1999-12-31T23:59:59Z"}) {
    auto ms = ParseRfc3339(text);
    ASSERT_TRUE(ms) << text;
    EXPECT_EQ(FormatRfc3339(*ms), text);
  }
}

TEST(Time, StartOfUtcDayTruncatesToMidnight) {
  EXPECT_EQ(StartOfUtcDay(0), 0);
  EXPECT_EQ(StartOfUtcDay(k2026Dec01), k2026Dec01);
  EXPECT_EQ(StartOfUtcDay(k2026Dec01 + 8 * kHourMs), k2026Dec01);
  EXPECT_EQ(StartOfUtcDay(k2026Dec01 + kDayMs - 1), k2026Dec01);
}

TEST(Time, StartOfUtcDayRoundsNegativeTimesDown) {
  EXPECT_EQ(StartOfUtcDay(-1), -kDayMs);
  EXPECT_EQ(StartOfUtcDay(-kDayMs), -kDayMs);
  EXPECT_EQ(StartOfUtcDay(-kDayMs - 1), -2 * kDayMs);
}

TEST(Time, NowIsAfter2025) { EXPECT_GT(NowMs(), *ParseDate("2025-01-01")); }

}  // namespace
}  // namespace rihla::domain
