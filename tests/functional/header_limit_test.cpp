// The 8 KiB header limit counts the request line and the fields together (found by
// tests/fuzz/http_request_fuzz: Beast's header_limit applies to each separately).
#include <gtest/gtest.h>

#include <string>

#include "support/http_client.hpp"
#include "support/shared_server.hpp"

namespace rihla::test {
namespace {

class HeaderLimitTest : public SharedServerTest<HeaderLimitTest> {
 public:
  static ServerConfig Config() { return ServerConfig{}; }
};

std::string Request(std::size_t target_padding, std::size_t field_padding) {
  return "GET /healthz?pad=" + std::string(target_padding, 'a') + " HTTP/1.1\r\nHost: x\r\nX-Pad: " +
         std::string(field_padding, 'b') + "\r\nConnection: close\r\n\r\n";
}

// Request line 23 + 8 bytes, fields 8 179 bytes: each under 8 KiB, 8 210 bytes in total.
TEST_F(HeaderLimitTest, FieldsJustUnder8KiBAfterARequestLineAre431) {
  auto r = client_.SendRaw(Request(0, 8140));
  EXPECT_EQ(r.status, 431);
  EXPECT_EQ(r.Header("content-type"), "application/problem+json");
}

TEST_F(HeaderLimitTest, RequestLineAndFieldsOver8KiBTogetherAre431) {
  auto r = client_.SendRaw(Request(5000, 5000));
  EXPECT_EQ(r.status, 431);
  EXPECT_EQ(r.Header("content-type"), "application/problem+json");
}

TEST_F(HeaderLimitTest, RequestLineAndFieldsUnder8KiBTogetherAreServed) {
  EXPECT_EQ(client_.SendRaw(Request(4000, 4000)).status, 200);
}

}  // namespace
}  // namespace rihla::test
