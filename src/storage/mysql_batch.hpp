#pragma once
// MySQL/MariaDB's Dialect::commit_with_writes: the writes ExecuteAtCommit queued and the
// COMMIT as one multi-statement text query, answered in one round trip.
//
// Values are bound the way SOCI's MySQL backend binds every statement, on the client: text
// escaped by mysql_real_escape_string for the connection's character set and SQL mode, and
// quoted; integers in decimal; NULL as NULL. (SOCI's MySQL backend has no server-side prepare,
// and the protocol has no prepared batch.) The server stops at the first statement that fails,
// so the COMMIT does not run and the transaction is left for the caller's ROLLBACK. The
// session must have multi-statements on (OpenMysql sets it).
#include <span>
#include <string>
#include <vector>

namespace soci {
class session;
}

namespace rihla::storage {

class StatementCache;
struct QueuedWrite;

// Throws soci::mysql_soci_error with the failed statement's error number.
void MysqlCommitWithWrites(soci::session& session, StatementCache& statements, std::span<const QueuedWrite> writes);

}  // namespace rihla::storage
