#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include "storage/database_url.hpp"

namespace rihla::storage {
namespace {

TEST(DatabaseUrl, ParsesSqlitePath) {
  DatabaseUrl u = ParseDatabaseUrl("sqlite:var/rihla.db");
  EXPECT_EQ(u.engine, Engine::kSqlite);
  EXPECT_EQ(u.file_path, "var/rihla.db");
  EXPECT_EQ(u.redacted, "sqlite:var/rihla.db");
  EXPECT_NE(u.connect_string.find("var/rihla.db"), std::string::npos);
}

TEST(DatabaseUrl, ParsesSqliteAbsolutePathWithSlashes) {
  EXPECT_EQ(ParseDatabaseUrl("sqlite:/tmp/x.db").file_path, "/tmp/x.db");
  EXPECT_EQ(ParseDatabaseUrl("sqlite:///tmp/x.db").file_path, "/tmp/x.db");
}

TEST(DatabaseUrl, RejectsSqliteWithoutPath) { EXPECT_THROW(ParseDatabaseUrl("sqlite:"), std::invalid_argument); }

TEST(DatabaseUrl, ParsesPostgresqlUrl) {
  DatabaseUrl u = ParseDatabaseUrl("postgresql://u:p@h:5432/db");
  EXPECT_EQ(u.engine, Engine::kPostgres);
  EXPECT_EQ(DialectOf(u.engine).name, "postgres");
  EXPECT_NE(u.connect_string.find("host='h'"), std::string::npos) << u.connect_string;
  EXPECT_NE(u.connect_string.find("port='5432'"), std::string::npos) << u.connect_string;
  EXPECT_NE(u.connect_string.find("dbname='db'"), std::string::npos) << u.connect_string;
  EXPECT_NE(u.connect_string.find("user='u'"), std::string::npos) << u.connect_string;
  EXPECT_NE(u.connect_string.find("password='p'"), std::string::npos) << u.connect_string;
}

TEST(DatabaseUrl, AcceptsThePostgresSchemeAlias) {
  EXPECT_EQ(ParseDatabaseUrl("postgres://u@h/db").engine, Engine::kPostgres);
}

TEST(DatabaseUrl, DefaultsPortAndHost) {
  EXPECT_NE(ParseDatabaseUrl("postgresql://u@h/db").connect_string.find("port='5432'"), std::string::npos);
  EXPECT_NE(ParseDatabaseUrl("mysql://u@h/db").connect_string.find("port=3306"), std::string::npos);
}

TEST(DatabaseUrl, RedactedUrlHidesThePassword) {
  DatabaseUrl u = ParseDatabaseUrl("postgresql://rihla:s3cretPw@db.internal:6543/rihla");
  EXPECT_EQ(u.redacted.find("s3cretPw"), std::string::npos) << u.redacted;
  EXPECT_NE(u.redacted.find("rihla"), std::string::npos);
  EXPECT_NE(u.redacted.find("db.internal"), std::string::npos);
  EXPECT_NE(u.redacted.find("6543"), std::string::npos);
  EXPECT_NE(u.redacted.find("***"), std::string::npos);
}

TEST(DatabaseUrl, RedactedUrlHidesAPercentEncodedPassword) {
  DatabaseUrl u = ParseDatabaseUrl("mysql://app:p%40ss%3Aword@h:3306/app");
  EXPECT_EQ(u.redacted.find("p%40ss"), std::string::npos) << u.redacted;
  EXPECT_EQ(u.redacted.find("p@ss"), std::string::npos) << u.redacted;
  // The password reaches the driver decoded.
  EXPECT_NE(u.connect_string.find("password='p@ss:word'"), std::string::npos) << u.connect_string;
}

TEST(DatabaseUrl, ParsesMysqlUrl) {
  DatabaseUrl u = ParseDatabaseUrl("mysql://app:pw@127.0.0.1:3307/rihla");
  EXPECT_EQ(u.engine, Engine::kMysql);
  EXPECT_EQ(DialectOf(u.engine).name, "mysql");
  EXPECT_NE(u.connect_string.find("db='rihla'"), std::string::npos) << u.connect_string;
  EXPECT_NE(u.connect_string.find("port=3307"), std::string::npos) << u.connect_string;
  EXPECT_NE(u.connect_string.find("user='app'"), std::string::npos) << u.connect_string;
  EXPECT_EQ(u.redacted.find("pw@"), std::string::npos) << u.redacted;
}

TEST(DatabaseUrl, QuotesValuesSoTheyCannotInjectParameters) {
  DatabaseUrl u = ParseDatabaseUrl("postgresql://u:a'%20sslmode=disable@h/db");
  EXPECT_NE(u.connect_string.find("password='a\\' sslmode=disable'"), std::string::npos) << u.connect_string;
}

TEST(DatabaseUrl, RejectsAnUnknownScheme) {
  EXPECT_THROW(ParseDatabaseUrl("oracle://u:p@h/db"), std::invalid_argument);
  EXPECT_THROW(ParseDatabaseUrl("http://h/db"), std::invalid_argument);
  EXPECT_THROW(ParseDatabaseUrl("var/rihla.db"), std::invalid_argument);
  EXPECT_THROW(ParseDatabaseUrl(""), std::invalid_argument);
}

TEST(DatabaseUrl, RejectsAMissingDatabaseName) {
  EXPECT_THROW(ParseDatabaseUrl("postgresql://u:p@h:5432"), std::invalid_argument);
  EXPECT_THROW(ParseDatabaseUrl("postgresql://u:p@h:5432/"), std::invalid_argument);
  EXPECT_THROW(ParseDatabaseUrl("mysql://u:p@h/"), std::invalid_argument);
}

TEST(DatabaseUrl, ExplainsTheProblemInTheExceptionMessage) {
  try {
    ParseDatabaseUrl("postgresql://u:p@h:5432");
    FAIL() << "expected invalid_argument";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("database name"), std::string::npos) << e.what();
    EXPECT_EQ(std::string(e.what()).find(":p@"), std::string::npos) << e.what();
  }
}

TEST(DatabaseUrl, AcceptsTheMariadbSchemeAlias) {
  EXPECT_EQ(ParseDatabaseUrl("mariadb://u@h/db").engine, Engine::kMysql);
}

TEST(DatabaseUrl, NamesTheKnownSchemesWhenItRejectsOne) {
  try {
    ParseDatabaseUrl("oracle://u:p@h/db");
    FAIL() << "expected invalid_argument";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("sqlite:, postgresql:// or mysql://"), std::string::npos) << e.what();
  }
}

TEST(Dialect, HasOneEntryForEveryEngine) {
  for (Engine e : {Engine::kSqlite, Engine::kPostgres, Engine::kMysql}) EXPECT_EQ(DialectOf(e).engine, e);
  ASSERT_EQ(Dialects().size(), 3u);
  for (const Dialect& d : Dialects()) {
    EXPECT_FALSE(d.schemes.empty()) << d.name;
    EXPECT_EQ(DialectForScheme(d.schemes.front()), &d) << d.name;
    EXPECT_GT(d.default_pool_size, 0u) << d.name;
    EXPECT_FALSE(d.begin.empty()) << d.name;
    EXPECT_NE(d.open, nullptr) << d.name;
    EXPECT_NE(d.classify, nullptr) << d.name;
  }
}

TEST(Dialect, FindsNoEntryForAnUnknownScheme) { EXPECT_EQ(DialectForScheme("oracle"), nullptr); }

}  // namespace
}  // namespace rihla::storage
