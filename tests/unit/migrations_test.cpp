#include "storage/migrations.hpp"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

namespace rihla::storage {
namespace {

TEST(SplitStatements, SplitsAtLinesEndingWithASemicolon) {
  auto s = SplitStatements("CREATE TABLE a (x INT);\nCREATE TABLE b (\n  y INT\n);\n");
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[0].find("CREATE TABLE a (x INT)"), 0u) << s[0];
  EXPECT_EQ(s[0].find(';'), std::string::npos) << s[0];
  EXPECT_NE(s[1].find("CREATE TABLE b ("), std::string::npos) << s[1];
  EXPECT_NE(s[1].find("y INT"), std::string::npos) << s[1];
  EXPECT_EQ(s[1].find("CREATE TABLE a"), std::string::npos) << s[1];
}

TEST(SplitStatements, DropsCommentLinesAndBlankLines) {
  auto s = SplitStatements("-- header comment\n\n  -- indented comment\nSELECT 1;\n\n-- trailing comment\n");
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].find("--"), std::string::npos) << s[0];
  EXPECT_EQ(s[0].find("comment"), std::string::npos) << s[0];
  EXPECT_NE(s[0].find("SELECT 1"), std::string::npos);
}

TEST(SplitStatements, DoesNotSplitAtASemicolonInsideALine) {
  auto s = SplitStatements("INSERT INTO t VALUES ('a;b');\n");
  ASSERT_EQ(s.size(), 1u);
  EXPECT_NE(s[0].find("'a;b'"), std::string::npos) << s[0];
  auto t = SplitStatements("SELECT 'x;'\n  FROM t;\n");
  ASSERT_EQ(t.size(), 1u);
}

TEST(SplitStatements, ToleratesTrailingWhitespaceAndCrLf) {
  auto s = SplitStatements("SELECT 1;   \r\nSELECT 2;\t\r\n");
  ASSERT_EQ(s.size(), 2u);
  EXPECT_NE(s[0].find("SELECT 1"), std::string::npos);
  EXPECT_NE(s[1].find("SELECT 2"), std::string::npos);
}

TEST(SplitStatements, KeepsAFinalStatementWithoutSemicolon) {
  auto s = SplitStatements("SELECT 1;\nSELECT 2\n");
  ASSERT_EQ(s.size(), 2u);
  EXPECT_NE(s[1].find("SELECT 2"), std::string::npos);
}

TEST(SplitStatements, ReturnsNothingForOnlyComments) {
  EXPECT_TRUE(SplitStatements("").empty());
  EXPECT_TRUE(SplitStatements("-- nothing\n\n   \n").empty());
}

TEST(EmbeddedMigrations, HaveVersionOneForEveryDialect) {
  std::map<std::string, std::vector<int>> versions;
  for (const auto& m : EmbeddedMigrations()) versions[m.dialect].push_back(m.version);
  for (const char* dialect : {"sqlite", "postgres", "mysql"}) {
    ASSERT_TRUE(versions.count(dialect)) << dialect;
    EXPECT_EQ(versions[dialect].front(), 1) << dialect;
  }
  EXPECT_EQ(versions.size(), 3u);
}

TEST(EmbeddedMigrations, ExistForEveryEntryOfTheDialectTable) {
  std::map<std::string, int> count;
  for (const auto& m : EmbeddedMigrations()) ++count[m.dialect];
  for (const Dialect& d : Dialects()) EXPECT_GT(count[std::string(d.name)], 0) << d.name;
  EXPECT_EQ(count.size(), Dialects().size());
}

TEST(EmbeddedMigrations, HaveTheSameVersionsInEveryDialect) {
  std::map<std::string, std::vector<int>> versions;
  for (const auto& m : EmbeddedMigrations()) versions[m.dialect].push_back(m.version);
  EXPECT_EQ(versions["sqlite"], versions["postgres"]);
  EXPECT_EQ(versions["sqlite"], versions["mysql"]);
}

TEST(EmbeddedMigrations, AreNumberedContiguouslyFromOne) {
  std::map<std::string, std::vector<int>> versions;
  for (const auto& m : EmbeddedMigrations()) versions[m.dialect].push_back(m.version);
  for (const auto& [dialect, list] : versions) {
    for (std::size_t i = 0; i < list.size(); ++i) EXPECT_EQ(list[i], static_cast<int>(i + 1)) << dialect;
  }
}

TEST(EmbeddedMigrations, HaveNamesAndSplittableSql) {
  for (const auto& m : EmbeddedMigrations()) {
    EXPECT_NE(std::string(m.name), "") << m.dialect << " " << m.version;
    auto statements = SplitStatements(m.sql);
    EXPECT_FALSE(statements.empty()) << m.dialect << " " << m.version;
    for (const auto& s : statements) {
      EXPECT_EQ(s.find("--"), std::string::npos) << m.dialect << ": a comment inside a statement: " << s;
    }
  }
}

TEST(EmbeddedMigrations, CreateTheSameTablesInEveryDialect) {
  std::map<std::string, int> creates;
  for (const auto& m : EmbeddedMigrations()) {
    if (m.version != 1) continue;
    for (const auto& s : SplitStatements(m.sql)) {
      if (s.find("CREATE TABLE") != std::string::npos) ++creates[m.dialect];
    }
  }
  EXPECT_GT(creates["sqlite"], 0);
  EXPECT_EQ(creates["sqlite"], creates["postgres"]);
  EXPECT_EQ(creates["sqlite"], creates["mysql"]);
}

}  // namespace
}  // namespace rihla::storage
