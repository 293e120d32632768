// The layers run one way: HTTP stays in http/ and handlers/. Scans the source tree, so a new
// include that breaks the rule fails here rather than in review.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace rihla {
namespace {

namespace fs = std::filesystem;

// "path:line: text" for every line under src/<folder> that includes a header from src/http.
std::vector<std::string> HttpIncludesUnder(const std::string& folder) {
  std::vector<std::string> hits;
  fs::path root = fs::path(RIHLA_SOURCE_DIR) / "src" / folder;
  if (!fs::exists(root)) return hits;
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    if (!entry.is_regular_file()) continue;
    std::ifstream in(entry.path());
    std::string line;
    for (int n = 1; std::getline(in, line); ++n) {
      auto hash = line.find_first_not_of(" \t");
      if (hash == std::string::npos || line.compare(hash, 1, "#") != 0) continue;
      if (line.find("include") != std::string::npos && line.find("\"http/") != std::string::npos) {
        hits.push_back(entry.path().string() + ":" + std::to_string(n) + ": " + line);
      }
    }
  }
  return hits;
}

TEST(Layering, NoHttpIncludesOutsideHttpAndHandlers) {
  for (const char* folder : {"services", "idempotency", "domain", "storage", "cache"}) {
    ASSERT_TRUE(fs::exists(fs::path(RIHLA_SOURCE_DIR) / "src" / folder)) << folder;
    auto hits = HttpIncludesUnder(folder);
    std::string listing;
    for (const auto& h : hits) listing += h + "\n";
    EXPECT_TRUE(hits.empty()) << "src/" << folder << " must not include http/ headers:\n" << listing;
  }
}

TEST(Layering, TheScanFindsHttpIncludesWhereTheyBelong) {
  // Guards the scan itself: handlers/ does include http/ headers.
  EXPECT_FALSE(HttpIncludesUnder("handlers").empty());
}

}  // namespace
}  // namespace rihla
