#include "domain/search.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "domain/cache_scope.hpp"
#include "domain/errors.hpp"
#include "domain/time.hpp"

namespace rihla::domain {
namespace {

// Runs ParseSearchQuery expecting it to throw kInvalidRequest; returns the fields with errors.
std::vector<std::string> ErrorFields(std::string_view query) {
  try {
    ParseSearchQuery(query);
  } catch (const ApiError& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidRequest);
    std::vector<std::string> fields;
    for (const auto& f : e.fields()) {
      EXPECT_FALSE(f.message.empty()) << f.field;
      fields.push_back(f.field);
    }
    return fields;
  }
  ADD_FAILURE() << "no ApiError for " << query;
  return {};
}

bool Has(const std::vector<std::string>& fields, std::string_view f) {
  return std::find(fields.begin(), fields.end(), f) != fields.end();
}

TEST(SearchQuery, ParsesAFullQuery) {
  SearchQuery q = ParseSearchQuery("from=RUH&to=JED&date=2026-12-01&passengers=3&cabin=business");
  EXPECT_EQ(q.from, "RUH");
  EXPECT_EQ(q.to, "JED");
  EXPECT_EQ(q.date, "2026-12-01");
  EXPECT_EQ(q.day_start_ms, *ParseDate("2026-12-01"));
  EXPECT_EQ(q.passengers, 3);
  EXPECT_EQ(q.cabin, "business");
  EXPECT_EQ(CacheScope::ForQuery(q).Key(), "RUH-JED.2026-12-01.business");
}

TEST(SearchQuery, UpperCasesAirportCodesGivenInAnyCase) {
  SearchQuery q = ParseSearchQuery("from=ruh&to=jEd&date=2026-12-01");
  EXPECT_EQ(q.from, "RUH");
  EXPECT_EQ(q.to, "JED");
}

TEST(SearchQuery, DefaultsToOnePassengerInEconomy) {
  SearchQuery q = ParseSearchQuery("from=RUH&to=JED&date=2026-12-01");
  EXPECT_EQ(q.passengers, 1);
  EXPECT_EQ(q.cabin, "economy");
}

TEST(SearchQuery, RejectsTheSameAirportAsOriginAndDestination) {
  auto fields = ErrorFields("from=RUH&to=ruh&date=2026-12-01");
  EXPECT_TRUE(Has(fields, "to"));
}

TEST(SearchQuery, RejectsMissingDate) {
  auto fields = ErrorFields("from=RUH&to=JED");
  EXPECT_EQ(fields, std::vector<std::string>{"date"});
}

TEST(SearchQuery, RejectsInvalidDates) {
  EXPECT_TRUE(Has(ErrorFields("from=RUH&to=JED&date=2026-02-30"), "date"));
  EXPECT_TRUE(Has(ErrorFields("from=RUH&to=JED&date=tomorrow"), "date"));
  EXPECT_TRUE(Has(ErrorFields("from=RUH&to=JED&date="), "date"));
  EXPECT_TRUE(Has(ErrorFields("from=RUH&to=JED&date=2026-12-01T00:00:00Z"), "date"));
}

TEST(SearchQuery, RejectsMissingAndInvalidAirportCodes) {
  auto missing = ErrorFields("date=2026-12-01");
  EXPECT_TRUE(Has(missing, "from"));
  EXPECT_TRUE(Has(missing, "to"));
  EXPECT_TRUE(Has(ErrorFields("from=RU&to=JED&date=2026-12-01"), "from"));
  EXPECT_TRUE(Has(ErrorFields("from=RUHX&to=JED&date=2026-12-01"), "from"));
  EXPECT_TRUE(Has(ErrorFields("from=R1H&to=JED&date=2026-12-01"), "from"));
  EXPECT_TRUE(Has(ErrorFields("from=RUH&to=J%20D&date=2026-12-01"), "to"));
}

TEST(SearchQuery, RejectsPassengerCountsOutsideOneToNine) {
  for (const char* p : {"0", "10", "abc", "1.5", "-1", "", "1a", "99999999999999999999"}) {
    auto fields = ErrorFields(std::string("from=RUH&to=JED&date=2026-12-01&passengers=") + p);
    EXPECT_EQ(fields, std::vector<std::string>{"passengers"}) << "passengers=" << p;
  }
}

TEST(SearchQuery, AcceptsOneAndNinePassengers) {
  EXPECT_EQ(ParseSearchQuery("from=RUH&to=JED&date=2026-12-01&passengers=1").passengers, 1);
  EXPECT_EQ(ParseSearchQuery("from=RUH&to=JED&date=2026-12-01&passengers=9").passengers, 9);
}

TEST(SearchQuery, RejectsUnknownCabins) {
  EXPECT_EQ(ErrorFields("from=RUH&to=JED&date=2026-12-01&cabin=premium"), std::vector<std::string>{"cabin"});
  EXPECT_EQ(ErrorFields("from=RUH&to=JED&date=2026-12-01&cabin=Economy"), std::vector<std::string>{"cabin"});
}

TEST(SearchQuery, ReportsEveryInvalidFieldAtOnce) {
  auto fields = ErrorFields("from=R&to=&passengers=0&cabin=x");
  EXPECT_TRUE(Has(fields, "from"));
  EXPECT_TRUE(Has(fields, "to"));
  EXPECT_TRUE(Has(fields, "date"));
  EXPECT_TRUE(Has(fields, "passengers"));
  EXPECT_TRUE(Has(fields, "cabin"));
}

TEST(SearchQuery, CarriesFieldErrorsInTheApiError) {
  try {
    ParseSearchQuery("from=RUH&to=JED&date=2026-12-01&passengers=10");
    FAIL() << "expected ApiError";
  } catch (const ApiError& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidRequest);
    ASSERT_EQ(e.fields().size(), 1u);
    EXPECT_EQ(e.fields()[0].field, "passengers");
    EXPECT_FALSE(e.fields()[0].message.empty());
    EXPECT_FALSE(e.detail().empty());
  }
}

TEST(SearchQuery, RejectsADuplicatedParameter) {
  EXPECT_TRUE(Has(ErrorFields("from=RUH&to=JED&date=2026-12-01&from=RUH"), "from"));
  EXPECT_TRUE(Has(ErrorFields("from=RUH&to=JED&date=2026-12-01&passengers=1&passengers=2"), "passengers"));
}

TEST(SearchQuery, IgnoresUnknownParameters) {
  SearchQuery a = ParseSearchQuery("from=RUH&to=JED&date=2026-12-01&utm_source=x");
  SearchQuery b = ParseSearchQuery("from=RUH&to=JED&date=2026-12-01");
  EXPECT_EQ(a.Canonical(), b.Canonical());
}

TEST(SearchQuery, DecodesPercentEncoding) {
  SearchQuery q = ParseSearchQuery("from=%52%55%48&to=J%45D&date=2026%2D12%2D01&cabin=%66irst");
  EXPECT_EQ(q.from, "RUH");
  EXPECT_EQ(q.to, "JED");
  EXPECT_EQ(q.date, "2026-12-01");
  EXPECT_EQ(q.cabin, "first");
}

TEST(SearchQuery, DecodesPercentEncodedParameterNames) {
  SearchQuery q = ParseSearchQuery("%66rom=RUH&to=JED&date=2026-12-01");
  EXPECT_EQ(q.from, "RUH");
}

TEST(SearchQuery, GivesEquivalentQueriesTheSameCanonicalForm) {
  std::string base = ParseSearchQuery("from=RUH&to=JED&date=2026-12-01").Canonical();
  EXPECT_EQ(ParseSearchQuery("from=ruh&to=jed&date=2026-12-01").Canonical(), base);
  EXPECT_EQ(ParseSearchQuery("date=2026-12-01&to=JED&from=RUH").Canonical(), base);
  EXPECT_EQ(ParseSearchQuery("from=RUH&to=JED&date=2026-12-01&passengers=1").Canonical(), base);
  EXPECT_EQ(ParseSearchQuery("from=RUH&to=JED&date=2026-12-01&cabin=economy").Canonical(), base);
  EXPECT_EQ(ParseSearchQuery("cabin=economy&passengers=1&date=2026-12-01&to=Jed&from=rUh").Canonical(), base);
}

TEST(SearchQuery, GivesDifferentQueriesDifferentCanonicalForms) {
  std::string base = ParseSearchQuery("from=RUH&to=JED&date=2026-12-01").Canonical();
  EXPECT_NE(ParseSearchQuery("from=JED&to=RUH&date=2026-12-01").Canonical(), base);
  EXPECT_NE(ParseSearchQuery("from=RUH&to=DMM&date=2026-12-01").Canonical(), base);
  EXPECT_NE(ParseSearchQuery("from=RUH&to=JED&date=2026-12-02").Canonical(), base);
  EXPECT_NE(ParseSearchQuery("from=RUH&to=JED&date=2026-12-01&passengers=2").Canonical(), base);
  EXPECT_NE(ParseSearchQuery("from=RUH&to=JED&date=2026-12-01&cabin=first").Canonical(), base);
}

TEST(QueryString, DecodesPlusAsSpaceAndKeepsOrder) {
  auto pairs = ParseQueryString("b=hello+world&a=x%2By&flag");
  ASSERT_EQ(pairs.size(), 3u);
  EXPECT_EQ(pairs[0], (std::pair<std::string, std::string>{"b", "hello world"}));
  EXPECT_EQ(pairs[1], (std::pair<std::string, std::string>{"a", "x+y"}));
  EXPECT_EQ(pairs[2], (std::pair<std::string, std::string>{"flag", ""}));
}

TEST(QueryString, RejectsInvalidPercentEncoding) {
  EXPECT_THROW(ParseQueryString("from=%ZZ"), ApiError);
  EXPECT_THROW(ParseSearchQuery("from=RU%&to=JED&date=2026-12-01"), ApiError);
}

TEST(Iata, AcceptsThreeAsciiLettersInAnyCase) {
  EXPECT_TRUE(IsIataCode("RUH"));
  EXPECT_TRUE(IsIataCode("ruh"));
  EXPECT_FALSE(IsIataCode("RU"));
  EXPECT_FALSE(IsIataCode("RUHX"));
  EXPECT_FALSE(IsIataCode("R2H"));
  EXPECT_FALSE(IsIataCode(""));
}

TEST(Cabin, AcceptsOnlyTheThreeLowerCaseCabins) {
  EXPECT_TRUE(IsCabin("economy"));
  EXPECT_TRUE(IsCabin("business"));
  EXPECT_TRUE(IsCabin("first"));
  EXPECT_FALSE(IsCabin("FIRST"));
  EXPECT_FALSE(IsCabin(""));
}

TEST(ToUpper, UpperCasesOnlyAsciiLetters) { EXPECT_EQ(ToUpper("aBc-1\xc3\xa9"), "ABC-1\xc3\xa9"); }

}  // namespace
}  // namespace rihla::domain
