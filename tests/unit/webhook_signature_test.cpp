#include "domain/webhook_signature.hpp"

#include <gtest/gtest.h>

#include <cctype>
#include <string>

#include "security/crypto.hpp"

namespace rihla::domain {
namespace {

constexpr std::int64_t kNow = 1796083200;  // 2026-12-01T00:00:00Z
constexpr std::string_view kSecret = "whsec_test_secret";
constexpr std::string_view kBody = R"({"id":"evt_1","type":"payment.succeeded"})";

std::string Sign(std::string_view secret, std::int64_t t, std::string_view body) {
  return HmacSha256Hex(secret, std::to_string(t) + "." + std::string(body));
}

std::string Header(std::int64_t t, std::string_view body = kBody, std::string_view secret = kSecret) {
  return "t=" + std::to_string(t) + ",v1=" + Sign(secret, t, body);
}

TEST(WebhookSignature, AcceptsAValidSignature) {
  EXPECT_TRUE(VerifyWebhookSignature(Header(kNow), kBody, kSecret, kNow));
}

TEST(WebhookSignature, RejectsASignatureMadeWithAnotherSecret) {
  EXPECT_FALSE(VerifyWebhookSignature(Header(kNow, kBody, "other_secret"), kBody, kSecret, kNow));
}

TEST(WebhookSignature, RejectsATamperedBody) {
  std::string tampered = R"({"id":"evt_1","type":"payment.succeeded" })";
  EXPECT_FALSE(VerifyWebhookSignature(Header(kNow), tampered, kSecret, kNow));
}

TEST(WebhookSignature, RejectsATamperedTimestamp) {
  std::string header = "t=" + std::to_string(kNow + 1) + ",v1=" + Sign(kSecret, kNow, kBody);
  EXPECT_FALSE(VerifyWebhookSignature(header, kBody, kSecret, kNow));
}

TEST(WebhookSignature, AcceptsTimestamps299SecondsOld) {
  EXPECT_TRUE(VerifyWebhookSignature(Header(kNow - 299), kBody, kSecret, kNow));
  EXPECT_TRUE(VerifyWebhookSignature(Header(kNow - 300), kBody, kSecret, kNow));
}

TEST(WebhookSignature, RejectsTimestamps301SecondsOld) {
  EXPECT_FALSE(VerifyWebhookSignature(Header(kNow - 301), kBody, kSecret, kNow));
  EXPECT_FALSE(VerifyWebhookSignature(Header(kNow - 86400), kBody, kSecret, kNow));
}

TEST(WebhookSignature, ToleratesSmallFutureSkewButNotLarge) {
  EXPECT_TRUE(VerifyWebhookSignature(Header(kNow + 299), kBody, kSecret, kNow));
  EXPECT_FALSE(VerifyWebhookSignature(Header(kNow + 301), kBody, kSecret, kNow));
}

TEST(WebhookSignature, HonoursACustomTolerance) {
  EXPECT_FALSE(VerifyWebhookSignature(Header(kNow - 11), kBody, kSecret, kNow, 10));
  EXPECT_TRUE(VerifyWebhookSignature(Header(kNow - 10), kBody, kSecret, kNow, 10));
}

TEST(WebhookSignature, AcceptsWhenOnlyTheSecondOfSeveralV1EntriesMatches) {
  std::string header = "t=" + std::to_string(kNow) + ",v1=" + Sign("old_secret", kNow, kBody) +
                       ",v1=" + Sign(kSecret, kNow, kBody);
  EXPECT_TRUE(VerifyWebhookSignature(header, kBody, kSecret, kNow));
}

TEST(WebhookSignature, RejectsWhenNoneOfSeveralV1EntriesMatches) {
  std::string header = "t=" + std::to_string(kNow) + ",v1=" + Sign("a", kNow, kBody) + ",v1=" + Sign("b", kNow, kBody);
  EXPECT_FALSE(VerifyWebhookSignature(header, kBody, kSecret, kNow));
}

TEST(WebhookSignature, ToleratesSpacesAroundEntriesAndIgnoresUnknownSchemes) {
  std::string header = "t=" + std::to_string(kNow) + ", v0=deadbeef , v1=" + Sign(kSecret, kNow, kBody);
  EXPECT_TRUE(VerifyWebhookSignature(header, kBody, kSecret, kNow));
}

TEST(WebhookSignature, RejectsAHeaderWithoutTimestamp) {
  EXPECT_FALSE(VerifyWebhookSignature("v1=" + Sign(kSecret, kNow, kBody), kBody, kSecret, kNow));
  EXPECT_FALSE(VerifyWebhookSignature("t=,v1=" + Sign(kSecret, kNow, kBody), kBody, kSecret, kNow));
}

TEST(WebhookSignature, RejectsAHeaderWithoutV1) {
  EXPECT_FALSE(VerifyWebhookSignature("t=" + std::to_string(kNow), kBody, kSecret, kNow));
  EXPECT_FALSE(
      VerifyWebhookSignature("t=" + std::to_string(kNow) + ",v0=" + Sign(kSecret, kNow, kBody), kBody, kSecret, kNow));
}

TEST(WebhookSignature, RejectsEmptyAndMalformedHeaders) {
  EXPECT_FALSE(VerifyWebhookSignature("", kBody, kSecret, kNow));
  EXPECT_FALSE(VerifyWebhookSignature("garbage", kBody, kSecret, kNow));
  std::string sig = Sign(kSecret, kNow, kBody);
  EXPECT_FALSE(VerifyWebhookSignature("t=abc,v1=" + sig, kBody, kSecret, kNow));
  EXPECT_FALSE(VerifyWebhookSignature("t=" + std::to_string(kNow) + "x,v1=" + sig, kBody, kSecret, kNow));
}

TEST(WebhookSignature, RejectsTwoTimestamps) {
  std::string header = "t=" + std::to_string(kNow) + ",t=" + std::to_string(kNow) + ",v1=" + Sign(kSecret, kNow, kBody);
  EXPECT_FALSE(VerifyWebhookSignature(header, kBody, kSecret, kNow));
}

TEST(WebhookSignature, RejectsUpperCaseOrTruncatedSignature) {
  std::string sig = Sign(kSecret, kNow, kBody);
  std::string upper = sig;
  for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  EXPECT_FALSE(VerifyWebhookSignature("t=" + std::to_string(kNow) + ",v1=" + upper, kBody, kSecret, kNow));
  EXPECT_FALSE(
      VerifyWebhookSignature("t=" + std::to_string(kNow) + ",v1=" + sig.substr(0, 63), kBody, kSecret, kNow));
}

TEST(WebhookSignature, RejectsEverythingWhenNoSecretIsConfigured) {
  EXPECT_FALSE(VerifyWebhookSignature(Header(kNow, kBody, ""), kBody, "", kNow));
}

TEST(WebhookSignature, SignsTheRawBodyBytes) {
  std::string body = "{\"a\":\"\xd9\x85\"}\n";
  EXPECT_TRUE(VerifyWebhookSignature(Header(kNow, body), body, kSecret, kNow));
  EXPECT_FALSE(VerifyWebhookSignature(Header(kNow, body), body.substr(0, body.size() - 1), kSecret, kNow));
}

}  // namespace
}  // namespace rihla::domain
