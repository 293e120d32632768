// Rihla-Signature: "<header>\n<raw body>" -> VerifyWebhookSignature with a fixed secret and clock.
// Invariants: a fuzzed header verifies only if it carries the true HMAC for one of its own
// t= values; a header the sender would build (inside the tolerance) verifies, also beside a
// wrong v1 (secret rotation); the same header fails for a changed body or outside the tolerance.
#include <cstddef>
#include <cstdint>
#include <string>

#include "domain/webhook_signature.hpp"
#include "fuzz_check.hpp"
#include "security/crypto.hpp"

namespace {

constexpr std::string_view kSecret = "whsec_fuzz_secret";
constexpr std::int64_t kNow = 1'767'225'600;  // 2026-01-01T00:00:00Z
constexpr std::int64_t kTolerance = 300;

std::string Sign(std::string_view t, std::string_view body) {
  return rihla::HmacSha256Hex(kSecret, std::string(t) + "." + std::string(body));
}

// True if some "t=<T>" item of the header has its signature Sign(T, body) in the header.
bool CarriesTrueSignature(std::string_view header, std::string_view body) {
  for (std::size_t pos = header.find("t="); pos != std::string_view::npos; pos = header.find("t=", pos + 1)) {
    std::string_view t = header.substr(pos + 2);
    t = t.substr(0, t.find(','));
    while (!t.empty() && t.back() == ' ') t.remove_suffix(1);
    if (!t.empty() && header.find(Sign(t, body)) != std::string_view::npos) return true;
  }
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using rihla::domain::VerifyWebhookSignature;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto [header, body] = rihla::fuzz::SplitLine(in);

  if (VerifyWebhookSignature(header, body, kSecret, kNow, kTolerance)) {
    FUZZ_CHECK(CarriesTrueSignature(header, body));
  }
  FUZZ_CHECK(!VerifyWebhookSignature(header, body, "", kNow, kTolerance));  // no secret: nothing verifies

  std::int64_t t = kNow + static_cast<std::int64_t>(size % (2 * kTolerance + 1)) - kTolerance;
  std::string ts = std::to_string(t);
  std::string good = "t=" + ts + ",v1=" + Sign(ts, body);
  FUZZ_CHECK(VerifyWebhookSignature(good, body, kSecret, kNow, kTolerance));
  std::string junk;  // a wrong v1 from the fuzzed header, without ',' so it stays one item
  for (char c : header.substr(0, 64)) {
    if (c != ',') junk.push_back(c);
  }
  std::string rotated = "t=" + ts + ", v1=" + junk + " , v1=" + Sign(ts, body);
  FUZZ_CHECK(VerifyWebhookSignature(rotated, body, kSecret, kNow, kTolerance));
  std::string changed(body);
  changed.push_back('x');
  FUZZ_CHECK(!VerifyWebhookSignature(good, changed, kSecret, kNow, kTolerance));
  std::string late_ts = std::to_string(kNow - kTolerance - 1 - static_cast<std::int64_t>(size));
  std::string late = "t=" + late_ts + ",v1=" + Sign(late_ts, body);
  FUZZ_CHECK(!VerifyWebhookSignature(late, body, kSecret, kNow, kTolerance));
  return 0;
}
