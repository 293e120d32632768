#pragma once
// MySQL/MariaDB multi-statement batches: several statements as one text query, answered in one
// round trip.
//   - Dialect::commit_with_writes: the writes ExecuteAtCommit queued, then COMMIT.
//   - Dialect::begin_with_write: START TRANSACTION, then the transaction's first write
//     (Database::WriteStartingWith; the idempotency claim of a booking).
//
// Values are bound the way SOCI's MySQL backend binds every statement, on the client: text
// escaped by mysql_real_escape_string for the connection's character set and SQL mode, and
// quoted; integers in decimal (a negative one in parentheses); NULL as NULL. (SOCI's MySQL
// backend has no server-side prepare, and the protocol has no prepared batch.) The server runs
// the statements without waiting for the client and stops at the first that fails: nothing
// after it runs, and the transaction is left as that statement left it, so a statement's
// answer cannot be checked before the next one runs. The session must have multi-statements on
// (OpenMysql sets it); every query rihla sends is a constant string with bound values, so no
// value can add a statement.
#include <exception>
#include <span>
#include <string_view>

namespace soci {
class session;
}

namespace rihla::storage {

class StatementCache;
struct QueuedWrite;

// Throws soci::mysql_soci_error with the failed statement's error number.
void MysqlCommitWithWrites(soci::session& session, StatementCache& statements, std::span<const QueuedWrite> writes);

// Throws soci::mysql_soci_error when `begin` failed or `first` met a deadlock (which rolls the
// whole transaction back); returns any other error `first` ended with (a mysql_soci_error, a
// lost connection included), or nullptr.
std::exception_ptr MysqlBeginWithWrite(soci::session& session, std::string_view begin, const QueuedWrite& first);

}  // namespace rihla::storage
