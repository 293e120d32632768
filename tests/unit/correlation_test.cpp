#include "observability/correlation.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace rihla {
namespace {

constexpr std::string_view kTraceParent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

bool LooksLikeUuidV4(const std::string& s) {
  if (s.size() != 36) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (s[i] != '-') return false;
    } else if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) {
      return false;
    }
  }
  return s[14] == '4' && (s[19] == '8' || s[19] == '9' || s[19] == 'a' || s[19] == 'b');
}

TEST(CorrelationId, AcceptsLettersDigitsAndAllowedPunctuation) {
  EXPECT_TRUE(IsValidCorrelationId("a"));
  EXPECT_TRUE(IsValidCorrelationId("abc-DEF_123.xyz:9"));
  EXPECT_TRUE(IsValidCorrelationId("4bf92f35-77b3-4da6-a3ce-929d0e0e4736"));
  EXPECT_TRUE(IsValidCorrelationId("-._:"));
}

TEST(CorrelationId, Accepts128CharactersButNot129) {
  EXPECT_TRUE(IsValidCorrelationId(std::string(128, 'a')));
  EXPECT_FALSE(IsValidCorrelationId(std::string(129, 'a')));
}

TEST(CorrelationId, RejectsEmpty) { EXPECT_FALSE(IsValidCorrelationId("")); }

TEST(CorrelationId, RejectsSpacesControlCharsAndOtherPunctuation) {
  EXPECT_FALSE(IsValidCorrelationId("abc def"));
  EXPECT_FALSE(IsValidCorrelationId(" abc"));
  EXPECT_FALSE(IsValidCorrelationId("abc\n"));
  EXPECT_FALSE(IsValidCorrelationId("abc\r\nX-Evil: 1"));
  EXPECT_FALSE(IsValidCorrelationId(std::string("ab\0c", 4)));
  for (char c : std::string("/\\\"'{}<>;,=+*?!@#$%&()[]|~`^")) {
    EXPECT_FALSE(IsValidCorrelationId(std::string("id") + c)) << c;
  }
}

TEST(CorrelationId, RejectsNonAsciiCharacters) {
  EXPECT_FALSE(IsValidCorrelationId("caf\xc3\xa9"));      // "café"
  EXPECT_FALSE(IsValidCorrelationId("\xd8\xb1\xd8\xad"));  // Arabic letters
}

TEST(CorrelationId, PrefersAValidCorrelationHeader) {
  EXPECT_EQ(ChooseCorrelationId("corr-1", "req-1"), "corr-1");
}

TEST(CorrelationId, FallsBackToRequestIdWhenCorrelationHeaderMissingOrInvalid) {
  EXPECT_EQ(ChooseCorrelationId("", "req-1"), "req-1");
  EXPECT_EQ(ChooseCorrelationId("bad id", "req-1"), "req-1");
  EXPECT_EQ(ChooseCorrelationId(std::string(129, 'x'), "req-1"), "req-1");
}

TEST(CorrelationId, GeneratesAUuidWhenNeitherHeaderIsValid) {
  std::string id = ChooseCorrelationId("bad id", "also bad");
  EXPECT_TRUE(LooksLikeUuidV4(id)) << id;
  EXPECT_NE(id.find('-'), std::string::npos);
  EXPECT_TRUE(LooksLikeUuidV4(ChooseCorrelationId("", ""))) << "empty headers";
}

TEST(Uuid, HasVersion4AndRfc4122VariantInLowerCase) {
  for (int i = 0; i < 200; ++i) {
    std::string id = NewUuidV4();
    ASSERT_TRUE(LooksLikeUuidV4(id)) << id;
    EXPECT_TRUE(IsValidCorrelationId(id));
  }
}

TEST(Uuid, IsUniqueAcrossManyCalls) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) seen.insert(NewUuidV4());
  EXPECT_EQ(seen.size(), 1000u);
}

TEST(TraceParent, ParsesTheW3cExample) {
  auto tp = ParseTraceParent(kTraceParent);
  ASSERT_TRUE(tp);
  EXPECT_EQ(tp->trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(tp->span_id, "00f067aa0ba902b7");
  EXPECT_EQ(tp->flags, "01");
}

TEST(TraceParent, RejectsEmptyAndTruncatedHeaders) {
  EXPECT_FALSE(ParseTraceParent(""));
  EXPECT_FALSE(ParseTraceParent(kTraceParent.substr(0, 54)));
}

TEST(TraceParent, RejectsUpperCaseHex) {
  EXPECT_FALSE(ParseTraceParent("00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01"));
  EXPECT_FALSE(ParseTraceParent("00-4bf92f3577b34da6a3ce929d0e0e4736-00F067AA0BA902B7-01"));
  EXPECT_FALSE(ParseTraceParent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0A"));
  EXPECT_FALSE(ParseTraceParent("0A-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"));
}

TEST(TraceParent, RejectsNonHexCharacters) {
  EXPECT_FALSE(ParseTraceParent("00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01"));
  EXPECT_FALSE(ParseTraceParent("0x-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"));
}

TEST(TraceParent, RejectsAllZeroTraceId) {
  EXPECT_FALSE(ParseTraceParent("00-00000000000000000000000000000000-00f067aa0ba902b7-01"));
}

TEST(TraceParent, RejectsAllZeroSpanId) {
  EXPECT_FALSE(ParseTraceParent("00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01"));
}

TEST(TraceParent, RejectsVersionFf) {
  EXPECT_FALSE(ParseTraceParent("ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"));
}

TEST(TraceParent, RejectsVersion00WithExtraCharacters) {
  EXPECT_FALSE(ParseTraceParent(std::string(kTraceParent) + "-extra"));
  EXPECT_FALSE(ParseTraceParent(std::string(kTraceParent) + "0"));
}

TEST(TraceParent, AcceptsFutureVersionWithExtraFields) {
  auto tp = ParseTraceParent("cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra");
  ASSERT_TRUE(tp);
  EXPECT_EQ(tp->trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(tp->span_id, "00f067aa0ba902b7");
  EXPECT_EQ(tp->flags, "01");
  EXPECT_TRUE(ParseTraceParent("cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"));
}

TEST(TraceParent, RejectsFutureVersionWhoseExtraDataDoesNotStartWithADash) {
  EXPECT_FALSE(ParseTraceParent("cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01extra"));
}

TEST(TraceParent, RejectsWrongOrMissingDashes) {
  EXPECT_FALSE(ParseTraceParent("00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"));
  EXPECT_FALSE(ParseTraceParent("00-4bf92f3577b34da6a3ce929d0e0e4736_00f067aa0ba902b7-01"));
  EXPECT_FALSE(ParseTraceParent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7_01"));
  // Shifted fields: right total length, dashes in the wrong places.
  EXPECT_FALSE(ParseTraceParent("00-4bf92f3577b34da6a3ce929d0e0e473-600f067aa0ba902b7-01"));
  EXPECT_FALSE(ParseTraceParent("004bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-"));
}

}  // namespace
}  // namespace rihla
