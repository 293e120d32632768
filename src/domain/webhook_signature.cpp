#include "domain/webhook_signature.hpp"

#include <string>
#include <vector>

#include "domain/parse_int.hpp"
#include "security/crypto.hpp"

namespace rihla::domain {

bool VerifyWebhookSignature(std::string_view header, std::string_view body, std::string_view secret,
                            std::int64_t now_seconds, std::int64_t tolerance_seconds) {
  if (secret.empty()) return false;
  std::string_view timestamp;
  std::vector<std::string_view> candidates;
  std::size_t pos = 0;
  while (pos <= header.size()) {
    std::size_t end = header.find(',', pos);
    if (end == std::string_view::npos) end = header.size();
    std::string_view item = header.substr(pos, end - pos);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (item.rfind("t=", 0) == 0) {
      if (!timestamp.empty()) return false;  // ambiguous
      timestamp = item.substr(2);
    } else if (item.rfind("v1=", 0) == 0) {
      candidates.push_back(item.substr(3));
    }
    pos = end + 1;
  }
  if (timestamp.empty() || candidates.empty() || timestamp.size() > 12) return false;
  auto t = ParseInteger<std::int64_t>(timestamp);
  if (!t) return false;
  std::int64_t skew = now_seconds - *t;
  if (skew > tolerance_seconds || skew < -tolerance_seconds) return false;
  std::string signed_payload;
  signed_payload.reserve(timestamp.size() + 1 + body.size());
  signed_payload.append(timestamp).append(".").append(body);
  std::string expected = HmacSha256Hex(secret, signed_payload);
  bool match = false;
  for (auto c : candidates) match |= ConstantTimeEquals(expected, c);  // check all: no early exit
  return match;
}

}  // namespace rihla::domain
