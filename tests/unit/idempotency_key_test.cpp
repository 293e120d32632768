// Pure parts of idempotency: key validation and request fingerprints.
#include <gtest/gtest.h>

#include <string>

#include "domain/errors.hpp"
#include "idempotency/idempotency.hpp"

namespace rihla::idempotency {
namespace {

ErrorCode KeyError(std::string_view value, bool present = true) {
  try {
    ValidateKey(value, present);
  } catch (const ApiError& e) {
    return e.code();
  }
  ADD_FAILURE() << "key accepted: " << value.substr(0, 40);
  return ErrorCode::kInternal;
}

TEST(IdempotencyKey, AcceptsPrintableAsciiAndReturnsItUnchanged) {
  EXPECT_EQ(ValidateKey("a", true), "a");
  EXPECT_EQ(ValidateKey("8e03978e-40d5-43e8-bc93-6894a57f9324", true), "8e03978e-40d5-43e8-bc93-6894a57f9324");
  EXPECT_EQ(ValidateKey("with space ~!@#$%^&*()", true), "with space ~!@#$%^&*()");
}

TEST(IdempotencyKey, ReportsAMissingHeader) {
  EXPECT_EQ(KeyError("", false), ErrorCode::kIdempotencyKeyMissing);
  EXPECT_EQ(KeyError("abc", false), ErrorCode::kIdempotencyKeyMissing);
}

TEST(IdempotencyKey, RejectsAnEmptyValue) { EXPECT_EQ(KeyError(""), ErrorCode::kIdempotencyKeyInvalid); }

TEST(IdempotencyKey, Accepts255BytesButNot256) {
  EXPECT_EQ(ValidateKey(std::string(255, 'k'), true).size(), 255u);
  EXPECT_EQ(KeyError(std::string(256, 'k')), ErrorCode::kIdempotencyKeyInvalid);
}

TEST(IdempotencyKey, RejectsControlCharacters) {
  EXPECT_EQ(KeyError("abc\tdef"), ErrorCode::kIdempotencyKeyInvalid);
  EXPECT_EQ(KeyError("abc\n"), ErrorCode::kIdempotencyKeyInvalid);
  EXPECT_EQ(KeyError(std::string("a\0b", 3)), ErrorCode::kIdempotencyKeyInvalid);
  EXPECT_EQ(KeyError("abc\x7f"), ErrorCode::kIdempotencyKeyInvalid);
}

TEST(IdempotencyKey, RejectsNonAsciiBytes) {
  EXPECT_EQ(KeyError("caf\xc3\xa9"), ErrorCode::kIdempotencyKeyInvalid);
  EXPECT_EQ(KeyError("\x80"), ErrorCode::kIdempotencyKeyInvalid);
  EXPECT_EQ(KeyError("\xff"), ErrorCode::kIdempotencyKeyInvalid);
}

TEST(Fingerprint, IsALowerCaseSha256Hex) {
  std::string f = Fingerprint("POST", "/v1/bookings", R"({"a":1})");
  EXPECT_EQ(f.size(), 64u);
  EXPECT_EQ(f.find_first_not_of("0123456789abcdef"), std::string::npos);
}

TEST(Fingerprint, IgnoresKeyOrderAndWhitespace) {
  std::string a = Fingerprint("POST", "/v1/bookings",
                              R"({"flight_id":"fl_1","passengers":[{"given_name":"A","family_name":"B"}]})");
  std::string b = Fingerprint(
      "POST", "/v1/bookings",
      "{\n  \"passengers\" : [ { \"family_name\": \"B\", \"given_name\": \"A\" } ],\n  \"flight_id\": \"fl_1\"\n}\n");
  EXPECT_EQ(a, b);
}

TEST(Fingerprint, DiffersForADifferentPath) {
  EXPECT_NE(Fingerprint("POST", "/v1/bookings/bk_1/cancel", ""), Fingerprint("POST", "/v1/bookings/bk_2/cancel", ""));
}

TEST(Fingerprint, DiffersForADifferentBody) {
  EXPECT_NE(Fingerprint("POST", "/v1/bookings", R"({"flight_id":"fl_1"})"),
            Fingerprint("POST", "/v1/bookings", R"({"flight_id":"fl_2"})"));
  EXPECT_NE(Fingerprint("POST", "/v1/bookings", R"({"passengers":[1,2]})"),
            Fingerprint("POST", "/v1/bookings", R"({"passengers":[2,1]})"));
  EXPECT_NE(Fingerprint("POST", "/v1/bookings", R"({"a":1})"), Fingerprint("POST", "/v1/bookings", ""));
}

TEST(Fingerprint, DiffersForADifferentMethod) {
  EXPECT_NE(Fingerprint("POST", "/v1/bookings", R"({"a":1})"), Fingerprint("PUT", "/v1/bookings", R"({"a":1})"));
}

TEST(Fingerprint, DoesNotConfuseFieldBoundaries) {
  // Method/path/body are separated, so shifting text between them changes the fingerprint.
  EXPECT_NE(Fingerprint("POST", "/a", "b"), Fingerprint("POST", "/ab", ""));
  EXPECT_NE(Fingerprint("POS", "T/a", ""), Fingerprint("POST", "/a", ""));
}

TEST(Fingerprint, IsStableForTheSameRequest) {
  EXPECT_EQ(Fingerprint("POST", "/v1/bookings", R"({"a":1})"), Fingerprint("POST", "/v1/bookings", R"({"a":1})"));
  // A body that is not JSON is fingerprinted as raw bytes.
  EXPECT_EQ(Fingerprint("POST", "/x", "not json"), Fingerprint("POST", "/x", "not json"));
  EXPECT_NE(Fingerprint("POST", "/x", "not json"), Fingerprint("POST", "/x", "not  json"));
}

}  // namespace
}  // namespace rihla::idempotency
