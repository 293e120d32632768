#include "domain/booking_rules.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "domain/errors.hpp"
#include "domain/json_input.hpp"
#include "security/crypto.hpp"

namespace rihla::domain {
namespace {

std::string Passengers(int n) {
  std::string out = "[";
  for (int i = 0; i < n; ++i) {
    if (i) out += ",";
    out += R"({"given_name": "G)" + std::to_string(i) + R"(", "family_name": "F)" + std::to_string(i) + "\"}";
  }
  return out + "]";
}

std::vector<std::string> BookingErrors(std::string_view body) {
  try {
    ParseNewBooking(ParseJsonObject(body));
  } catch (const ApiError& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidRequest);
    std::vector<std::string> out;
    for (const auto& f : e.fields()) out.push_back(f.field);
    return out;
  }
  ADD_FAILURE() << "booking accepted: " << body;
  return {};
}

bool Has(const std::vector<std::string>& v, std::string_view s) { return std::find(v.begin(), v.end(), s) != v.end(); }

TEST(NewBooking, ParsesFlightAndPassengersInOrder) {
  NewBooking b = ParseNewBooking(ParseJsonObject(R"({"flight_id": "fl_1", "passengers": )" + Passengers(2) + "}"));
  EXPECT_EQ(b.flight_id, "fl_1");
  ASSERT_EQ(b.passengers.size(), 2u);
  EXPECT_EQ(b.passengers[0], (Passenger{"G0", "F0"}));
  EXPECT_EQ(b.passengers[1], (Passenger{"G1", "F1"}));
}

TEST(NewBooking, AcceptsNinePassengers) {
  NewBooking b = ParseNewBooking(ParseJsonObject(R"({"flight_id": "fl_1", "passengers": )" + Passengers(9) + "}"));
  EXPECT_EQ(b.passengers.size(), 9u);
}

TEST(NewBooking, RejectsZeroPassengers) {
  EXPECT_TRUE(Has(BookingErrors(R"({"flight_id": "fl_1", "passengers": []})"), "passengers"));
}

TEST(NewBooking, RejectsTenPassengers) {
  EXPECT_TRUE(Has(BookingErrors(R"({"flight_id": "fl_1", "passengers": )" + Passengers(10) + "}"), "passengers"));
}

TEST(NewBooking, RejectsMissingFlightIdAndPassengers) {
  auto fields = BookingErrors("{}");
  EXPECT_TRUE(Has(fields, "flight_id"));
  EXPECT_TRUE(Has(fields, "passengers"));
}

TEST(NewBooking, RejectsMissingOrEmptyNamesWithIndexedPaths) {
  auto fields = BookingErrors(
      R"({"flight_id": "fl_1", "passengers": [{"given_name": "A", "family_name": "B"}, {"given_name": ""}, "x"]})");
  EXPECT_TRUE(Has(fields, "passengers[1].given_name"));
  EXPECT_TRUE(Has(fields, "passengers[1].family_name"));
  EXPECT_TRUE(Has(fields, "passengers[2]"));
  EXPECT_FALSE(Has(fields, "passengers[0].given_name"));
}

TEST(NewBooking, RejectsPassengersThatIsNotAnArray) {
  EXPECT_TRUE(Has(BookingErrors(R"({"flight_id": "fl_1", "passengers": {"given_name": "A"}})"), "passengers"));
}

TEST(NewBooking, RejectsOverlongNames) {
  std::string name(101, 'a');
  EXPECT_TRUE(Has(BookingErrors(R"({"flight_id": "fl_1", "passengers": [{"given_name": ")" + name +
                                R"(", "family_name": "B"}]})"),
                  "passengers[0].given_name"));
}

TEST(BookingTotal, MultipliesThePricePerPassenger) {
  EXPECT_EQ(BookingTotal({45000, "SAR"}, 3), (Money{135000, "SAR"}));
  EXPECT_EQ(BookingTotal({1234, "KWD"}, 1), (Money{1234, "KWD"}));
  EXPECT_EQ(BookingTotal({1234, "KWD"}, 9), (Money{11106, "KWD"}));
}

TEST(EffectiveStatus, ExpiresAPendingBookingOnceItsHoldEnds) {
  Booking b;
  b.status = BookingStatus::kPendingPayment;
  b.expires_ms = 1000;
  EXPECT_EQ(EffectiveStatus(b, 999), BookingStatus::kPendingPayment);
  EXPECT_EQ(EffectiveStatus(b, 1000), BookingStatus::kExpired);
  EXPECT_EQ(EffectiveStatus(b, 5000), BookingStatus::kExpired);
}

TEST(EffectiveStatus, LeavesOtherStatusesAlonePastTheHold) {
  Booking b;
  b.expires_ms = 1000;
  for (auto s : {BookingStatus::kConfirmed, BookingStatus::kCancelled, BookingStatus::kExpired}) {
    b.status = s;
    EXPECT_EQ(EffectiveStatus(b, 5000), s);
    EXPECT_EQ(EffectiveStatus(b, 0), s);
  }
}

TEST(CancellableStatuses, ArePendingAndConfirmedOnly) {
  auto s = CancellableStatuses();
  EXPECT_NE(std::find(s.begin(), s.end(), BookingStatus::kPendingPayment), s.end());
  EXPECT_NE(std::find(s.begin(), s.end(), BookingStatus::kConfirmed), s.end());
  EXPECT_EQ(std::find(s.begin(), s.end(), BookingStatus::kCancelled), s.end());
  EXPECT_EQ(std::find(s.begin(), s.end(), BookingStatus::kExpired), s.end());
}

TEST(Cursor, RoundTripsCreatedTimeAndId) {
  std::string cursor = MakeCursor(1796083200123, "bk_0123456789abcdef01234567");
  auto [created, id] = ParseCursor(cursor);
  EXPECT_EQ(created, 1796083200123);
  EXPECT_EQ(id, "bk_0123456789abcdef01234567");
}

TEST(Cursor, IsOpaqueUrlSafeText) {
  std::string cursor = MakeCursor(1796083200123, "bk_abc");
  EXPECT_EQ(cursor.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
            std::string::npos);
  EXPECT_EQ(cursor.find("bk_abc"), std::string::npos);
}

void ExpectBadCursor(std::string_view cursor) {
  try {
    ParseCursor(cursor);
    ADD_FAILURE() << "cursor accepted: " << cursor;
  } catch (const ApiError& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidRequest) << cursor;
    ASSERT_EQ(e.fields().size(), 1u);
    EXPECT_EQ(e.fields()[0].field, "cursor");
  }
}

TEST(Cursor, RejectsGarbage) {
  ExpectBadCursor("");
  ExpectBadCursor("!!!!");
  ExpectBadCursor("a+b/");
  ExpectBadCursor("abcde");  // length % 4 == 1 cannot be base64
  ExpectBadCursor(std::string(201, 'A'));
  ExpectBadCursor(Base64UrlEncode("no-colon-here"));
  ExpectBadCursor(Base64UrlEncode(":bk_1"));
  ExpectBadCursor(Base64UrlEncode("123:"));
  ExpectBadCursor(Base64UrlEncode("12x:bk_1"));
  ExpectBadCursor(Base64UrlEncode("-5:bk_1"));
  ExpectBadCursor(Base64UrlEncode("5:BK_1"));
  ExpectBadCursor(Base64UrlEncode("5:bk 1"));
  ExpectBadCursor(Base64UrlEncode("5:bk_1'; DROP TABLE bookings;--"));
  ExpectBadCursor(Base64UrlEncode("99999999999999999999999:bk_1"));
}

}  // namespace
}  // namespace rihla::domain
