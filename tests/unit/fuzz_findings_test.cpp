// Inputs the fuzz targets (tests/fuzz) found, replayed in the regular build. Each input is also
// in the target's seed corpus (tests/fuzz/corpus/<target>/<name>), so the fuzzers re-check it.
#include <gtest/gtest.h>

#include <boost/asio/buffer.hpp>
#include <boost/beast/http.hpp>

#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include "domain/errors.hpp"
#include "domain/json_input.hpp"
#include "domain/search.hpp"
#include "http/request_parser.hpp"

namespace rihla {
namespace {

std::string CorpusFile(const std::string& target, const std::string& name) {
  std::ifstream in(std::string(RIHLA_SOURCE_DIR) + "/tests/fuzz/corpus/" + target + "/" + name, std::ios::binary);
  EXPECT_TRUE(in.good()) << target << "/" << name;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// search_query/empty, search_query/no_terminator: Boost.URL 1.81 parse_query() takes the query's
// extent from strlen(data), so a view that is not NUL-terminated was read past its end (an
// over-read under ASan; here a value that runs on into the bytes after the view).
TEST(FuzzFindings, QueryStringIsReadOnlyWithinItsView) {
  std::string bytes = CorpusFile("search_query", "no_terminator") + "9&cabin=first";
  std::string_view query(bytes.data(), bytes.size() - 13);  // "...&date=2026-12-01"
  auto params = domain::ParseQueryString(query);
  ASSERT_EQ(params.size(), 3u);
  EXPECT_EQ(params[2].first, "date");
  EXPECT_EQ(params[2].second, "2026-12-01");
  auto q = domain::ParseSearchQuery(query);
  EXPECT_EQ(q.date, "2026-12-01");
  EXPECT_EQ(q.cabin, "economy");
}

TEST(FuzzFindings, EmptyQueryWithoutTerminatorHasNoParameters) {
  auto byte = std::make_unique<char[]>(1);  // exactly one byte, no NUL after it
  byte[0] = 'x';
  EXPECT_TRUE(domain::ParseQueryString(std::string_view(byte.get(), 0)).empty());
  EXPECT_THROW(domain::ParseSearchQuery(std::string_view(byte.get(), 0)), ApiError);
}

// Reads the header of `raw` as http/server.cpp does; the error the server answers by.
boost::beast::error_code ReadHeader(const std::string& raw) {
  http::RequestParser parser;
  http::ServerOptions options;
  http::ApplyRequestLimits(parser, options);
  parser.eager(false);
  boost::beast::error_code ec;
  std::size_t used = parser.put(boost::asio::buffer(raw), ec);
  if (ec) return ec;
  EXPECT_TRUE(parser.is_header_done());
  return http::CheckHeaderSize(used, options);
}

// http_request/header_over_limit_in_total: Beast checks header_limit against the request line
// and the fields each, so a 16-byte request line plus 8 186 bytes of fields (8 202 in all)
// passed the 8 KiB limit; the contract says 431 for "request headers over 8 KiB in total".
TEST(FuzzFindings, HeadersOver8KiBInTotalAreRefused) {
  std::string raw = CorpusFile("http_request", "header_over_limit_in_total").substr(1);  // byte 0: read plan
  ASSERT_GT(raw.find("\r\n\r\n") + 4, http::ServerOptions{}.header_limit);
  EXPECT_EQ(ReadHeader(raw), boost::beast::http::error::header_limit);

  std::string line = "GET /" + std::string(5000, 'a') + " HTTP/1.1\r\n";
  std::string fields = "Host: x\r\nX-Big: " + std::string(5000, 'b') + "\r\n\r\n";
  EXPECT_EQ(ReadHeader(line + fields), boost::beast::http::error::header_limit);
  std::string fits = "GET /" + std::string(4000, 'a') + " HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(4000, 'b') + "\r\n\r\n";
  EXPECT_FALSE(ReadHeader(fits));
}

// json_body/zero_with_huge_exponent, json_body/imprecise_double: Boost.JSON 1.81 reads 0e69313
// as NaN and out-of-range numbers as infinity. Such bodies are still valid JSON to rihla, and
// their canonical form (the idempotency fingerprint) is the same for the same bytes.
TEST(FuzzFindings, OutOfRangeNumbersKeepAStableCanonicalForm) {
  for (const char* name : {"zero_with_huge_exponent", "imprecise_double"}) {
    std::string body = CorpusFile("json_body", name);
    auto object = domain::ParseJsonObject(body);
    EXPECT_EQ(domain::CanonicalJson(object), domain::CanonicalJson(*domain::TryParseJson(body))) << name;
  }
}

}  // namespace
}  // namespace rihla
