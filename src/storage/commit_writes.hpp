#pragma once
// Writes sent with the COMMIT: statements whose only outcomes are success or an error that
// must fail the whole transaction anyway (an INSERT that a unique index may refuse, a lost
// connection), so the transaction has no use for their answer before it ends. Their answer is
// not checked at all (no affected-rows count): an UPDATE here must be one that cannot miss.
//
//   ExecuteAtCommit(tx, "INSERT INTO t (a, b) VALUES (:a, :b)", {SqlValue(a), SqlValue(b)});
//
// Inside a Database::Write transaction on an engine that can send several statements in one
// round trip (Dialect::commit_with_writes: PostgreSQL's pipeline mode, MySQL/MariaDB's
// multi-statement query), the write is queued
// and sent, in call order, with the COMMIT: one round trip for all of them instead of one per
// statement. Its error then leaves Database::Write after fn returned (DuplicateKey,
// StorageUnavailable, ... as for any statement) and the transaction is rolled back. Everywhere
// else (SQLite, autocommit modes, group commit) it runs at once, like Execute.
//
// So a caller must not read back, in the same transaction, what such a write wrote, and must
// catch the write's DuplicateKey around Database::Write, not around the call.
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "storage/database.hpp"

namespace rihla::storage {

// One bound value: SQL NULL, text, or an integer.
using SqlValue = std::variant<std::monostate, std::string, long long>;

struct QueuedWrite {
  std::string query;  // SOCI placeholders (:name), one value per placeholder occurrence
  std::vector<SqlValue> values;
};

// Runs `query` with `values` now, or queues it for the COMMIT as described above. Throws
// soci::soci_error when it runs now and fails.
void ExecuteAtCommit(Tx& tx, std::string query, std::vector<SqlValue> values);

// Runs `write` now, through the connection's statement cache. Throws soci::soci_error.
void ExecuteWrite(Tx& tx, const QueuedWrite& write);

// The value of an optional text column: NULL when `text` is empty.
SqlValue TextOrNull(const std::string& text);

}  // namespace rihla::storage
