// Inputs the fuzz targets (tests/fuzz) found, replayed in the regular build. Each input is also
// in the target's seed corpus (tests/fuzz/corpus/<target>/<name>), so the fuzzers re-check it.
#include <gtest/gtest.h>

#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include "domain/errors.hpp"
#include "domain/search.hpp"

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

}  // namespace
}  // namespace rihla
