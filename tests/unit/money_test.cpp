#include "domain/money.hpp"

#include <gtest/gtest.h>

namespace rihla::domain {
namespace {

TEST(Money, KnowsTheExponentOfTwoThreeAndZeroDecimalCurrencies) {
  EXPECT_EQ(CurrencyExponent("SAR"), 2);
  EXPECT_EQ(CurrencyExponent("USD"), 2);
  EXPECT_EQ(CurrencyExponent("KWD"), 3);
  EXPECT_EQ(CurrencyExponent("BHD"), 3);
  EXPECT_EQ(CurrencyExponent("OMR"), 3);
  EXPECT_EQ(CurrencyExponent("JOD"), 3);
  EXPECT_EQ(CurrencyExponent("JPY"), 0);
}

TEST(Money, HasNoExponentForUnknownOrLowerCaseCodes) {
  EXPECT_EQ(CurrencyExponent("XXX"), std::nullopt);
  EXPECT_EQ(CurrencyExponent("sar"), std::nullopt);
  EXPECT_EQ(CurrencyExponent(""), std::nullopt);
  EXPECT_EQ(CurrencyExponent("SARX"), std::nullopt);
}

TEST(Money, ParsesAmountWithAllDecimals) {
  auto m = ParseMoney("450.00", "SAR");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->minor, 45000);
  EXPECT_EQ(m->currency, "SAR");
}

TEST(Money, ParsesAmountWithFewerDecimals) {
  EXPECT_EQ(ParseMoney("450.5", "SAR"), (Money{45050, "SAR"}));
  EXPECT_EQ(ParseMoney("450", "SAR"), (Money{45000, "SAR"}));
  EXPECT_EQ(ParseMoney("0.01", "SAR"), (Money{1, "SAR"}));
}

TEST(Money, ParsesThreeDecimalCurrencies) {
  EXPECT_EQ(ParseMoney("1.234", "KWD"), (Money{1234, "KWD"}));
  EXPECT_EQ(ParseMoney("1.2", "KWD"), (Money{1200, "KWD"}));
  EXPECT_EQ(ParseMoney("7", "BHD"), (Money{7000, "BHD"}));
}

TEST(Money, ParsesZeroDecimalCurrencyWithoutFraction) {
  EXPECT_EQ(ParseMoney("1500", "JPY"), (Money{1500, "JPY"}));
  EXPECT_EQ(ParseMoney("1500.0", "JPY"), std::nullopt);
  EXPECT_EQ(ParseMoney("1500.", "JPY"), std::nullopt);
}

TEST(Money, RejectsMoreDecimalsThanTheCurrencyHas) {
  EXPECT_EQ(ParseMoney("450.001", "SAR"), std::nullopt);
  EXPECT_EQ(ParseMoney("1.2345", "KWD"), std::nullopt);
}

TEST(Money, RejectsSigns) {
  EXPECT_EQ(ParseMoney("-1.00", "SAR"), std::nullopt);
  EXPECT_EQ(ParseMoney("+1.00", "SAR"), std::nullopt);
}

TEST(Money, RejectsExponentNotation) {
  EXPECT_EQ(ParseMoney("1e3", "SAR"), std::nullopt);
  EXPECT_EQ(ParseMoney("1.5E2", "SAR"), std::nullopt);
}

TEST(Money, RejectsEmptyAndMalformedAmounts) {
  EXPECT_EQ(ParseMoney("", "SAR"), std::nullopt);
  EXPECT_EQ(ParseMoney(".", "SAR"), std::nullopt);
  EXPECT_EQ(ParseMoney(".50", "SAR"), std::nullopt);
  EXPECT_EQ(ParseMoney("450.", "SAR"), std::nullopt);
  EXPECT_EQ(ParseMoney("4 50", "SAR"), std::nullopt);
  EXPECT_EQ(ParseMoney("1.2.3", "SAR"), std::nullopt);
  EXPECT_EQ(ParseMoney("abc", "SAR"), std::nullopt);
  EXPECT_EQ(ParseMoney(" 450", "SAR"), std::nullopt);
}

TEST(Money, RejectsUnknownCurrency) {
  EXPECT_EQ(ParseMoney("450.00", "XXX"), std::nullopt);
  EXPECT_EQ(ParseMoney("450.00", ""), std::nullopt);
}

TEST(Money, AcceptsTwelveIntegerDigitsButNotThirteen) {
  EXPECT_EQ(ParseMoney("999999999999.99", "SAR"), (Money{99999999999999, "SAR"}));
  EXPECT_EQ(ParseMoney("1000000000000", "SAR"), std::nullopt);
}

TEST(Money, FormatsWithExactlyTheCurrencyExponent) {
  EXPECT_EQ(FormatAmount({45000, "SAR"}), "450.00");
  EXPECT_EQ(FormatAmount({45050, "SAR"}), "450.50");
  EXPECT_EQ(FormatAmount({1, "SAR"}), "0.01");
  EXPECT_EQ(FormatAmount({0, "SAR"}), "0.00");
  EXPECT_EQ(FormatAmount({1234, "KWD"}), "1.234");
  EXPECT_EQ(FormatAmount({5, "KWD"}), "0.005");
  EXPECT_EQ(FormatAmount({1500, "JPY"}), "1500");
}

TEST(Money, FormatThenParseRoundTrips) {
  for (const Money& m : {Money{123456, "SAR"}, Money{7, "OMR"}, Money{42, "JPY"}, Money{100, "USD"}}) {
    EXPECT_EQ(ParseMoney(FormatAmount(m), m.currency), m) << FormatAmount(m);
  }
}

}  // namespace
}  // namespace rihla::domain
