#include <gtest/gtest.h>

#include "storage/postgres_pipeline.hpp"

namespace rihla::storage {
namespace {

TEST(PositionalPlaceholders, NumbersEachNamedPlaceholderInOrder) {
  EXPECT_EQ(PositionalPlaceholders("INSERT INTO t (a, b, c) VALUES (:a, :b_2, :c)"),
            "INSERT INTO t (a, b, c) VALUES ($1, $2, $3)");
  // Each occurrence is its own parameter, as SOCI binds them.
  EXPECT_EQ(PositionalPlaceholders("WHERE x < :n AND y < :n"), "WHERE x < $1 AND y < $2");
}

TEST(PositionalPlaceholders, LeavesCastsQuotedTextAndLoneColonsAlone) {
  EXPECT_EQ(PositionalPlaceholders("SELECT :v::bigint, ':not' || 'it''s :no', :w"),
            "SELECT $1::bigint, ':not' || 'it''s :no', $2");
  EXPECT_EQ(PositionalPlaceholders("SELECT 1 : 2"), "SELECT 1 : 2");
  EXPECT_EQ(PositionalPlaceholders("VALUES (:a,'completed',:b)"), "VALUES ($1,'completed',$2)");
}

}  // namespace
}  // namespace rihla::storage
