#include "domain/parse_int.hpp"

#include <gtest/gtest.h>

#include <cstdint>

namespace rihla::domain {
namespace {

TEST(ParseInteger, AcceptsOnlyTheWholeTextAsADecimalInRange) {
  EXPECT_EQ(ParseInteger<int>("42"), 42);
  EXPECT_EQ(ParseInteger<int>("-7"), -7);
  EXPECT_EQ(ParseInteger<int>("9", 1, 9), 9);
  EXPECT_EQ(ParseInteger<std::int64_t>("1796083200123"), 1796083200123);
  for (const char* bad : {"", " 1", "1 ", "+1", "1e3", "0x10", "12ab", "-"}) {
    EXPECT_EQ(ParseInteger<int>(bad), std::nullopt) << '"' << bad << '"';
  }
  EXPECT_EQ(ParseInteger<int>("10", 1, 9), std::nullopt);
  EXPECT_EQ(ParseInteger<int>("0", 1, 9), std::nullopt);
  EXPECT_EQ(ParseInteger<int>("99999999999"), std::nullopt) << "overflow";
}

}  // namespace
}  // namespace rihla::domain
