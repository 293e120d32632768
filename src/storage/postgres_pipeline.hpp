#pragma once
// PostgreSQL's Dialect::commit_with_writes: the writes ExecuteAtCommit queued and the COMMIT,
// sent in libpq pipeline mode and answered in one round trip.
//
// Each write is a prepared statement of the connection (Parse once, in the pipeline of its
// first use, then Bind/Execute by name) or, with statement caching off (behind PgBouncer in
// transaction mode), an unnamed one (Parse/Bind/Execute each time, which a transaction pooler
// routes safely). Values go as text, NULL as NULL. After the first error the server skips the
// rest of the pipeline, the COMMIT included, so the transaction is left aborted for the
// caller's ROLLBACK.
#include <span>
#include <string>
#include <string_view>

namespace soci {
class session;
}

namespace rihla::storage {

class StatementCache;
struct QueuedWrite;

// Throws soci::postgresql_soci_error carrying the failed statement's SQLSTATE (08006 when the
// connection was lost), which ClassifyPostgres sorts like any other statement's error.
void PostgresCommitWithWrites(soci::session& session, StatementCache& statements, std::span<const QueuedWrite> writes);

// `query` with SOCI's named placeholders (:name, each occurrence one parameter) numbered as
// PostgreSQL's ($1, $2, ...), as SOCI's own PostgreSQL backend does (ReplacePlaceholders). Pure.
std::string PositionalPlaceholders(std::string_view query);

}  // namespace rihla::storage
