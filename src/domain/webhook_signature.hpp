#pragma once
// Rihla-Signature: "t=<unix seconds>,v1=<hex>[,v1=<hex>...]" where hex =
// HMAC-SHA256(secret, "<t>." + raw body). Valid when |now - t| <= tolerance and any v1 matches
// (compared in constant time); several v1 entries allow secret rotation.
#include <cstdint>
#include <string_view>

namespace rihla::domain {

bool VerifyWebhookSignature(std::string_view header, std::string_view body, std::string_view secret,
                            std::int64_t now_seconds, std::int64_t tolerance_seconds = 300);

}  // namespace rihla::domain
