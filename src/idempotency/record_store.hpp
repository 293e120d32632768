#pragma once
// SQL for idempotency_records. Every function runs inside the caller's Tx.
#include <cstdint>
#include <exception>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "storage/commit_writes.hpp"
#include "storage/database.hpp"

namespace rihla::idempotency {

struct Record {
  std::string id;
  std::string scope, principal, key, fingerprint;
  std::string state;  // "started" | "completed"
  std::string lease_token;
  std::int64_t locked_until = 0;
  int response_status = 0;
  std::string response_body;
  std::int64_t created_ms = 0, expires_ms = 0;
  std::string changed_scope;      // domain::CacheScope::Key() the operation changed; empty if none
  std::int64_t completed_ms = 0;  // when the answer was stored; 0 while started
};

// Throws DuplicateKey when (scope, principal, key) exists.
void InsertRecord(storage::Tx& tx, const Record& record);
std::optional<Record> FindRecord(storage::Tx& tx, const std::string& scope, const std::string& principal,
                                 const std::string& key);
// Inserts `record` as 'completed' with its response (response_status, response_body,
// changed_scope, completed_ms), lease over. A write sent with the COMMIT where the engine can
// (storage/commit_writes.hpp): when the key exists, the DuplicateKey may leave Database::Write
// after the transaction's function returned instead of this call.
void InsertCompletedRecord(storage::Tx& tx, const Record& record);
// Where the engine has one (Dialect::try_transaction_lock): takes the transaction-scoped lock
// `lock_key` without waiting and reads the record, in one statement. `locked` false: another
// transaction holds the lock (the record is still read).
struct LockedRead {
  bool locked = false;
  std::optional<Record> record;
};
LockedRead LockAndFindRecord(storage::Tx& tx, std::int64_t lock_key, const std::string& scope,
                             const std::string& principal, const std::string& key);
// The INSERT of `record` ('started') without waiting, where the engine can
// (Database::NoWaitInsertPrefix(), passed as `no_wait_prefix`), run by the caller (as the
// first write of Database::WriteStartingWith). JudgeNoWaitInsert says what its error (nullptr:
// none) means: kHeld when another, uncommitted transaction holds the same key (it is in
// flight), kExists when a committed record has it; only the statement failed then, the
// transaction stays usable. Any other error is rethrown.
enum class NoWaitInsert { kInserted, kHeld, kExists };
storage::QueuedWrite NoWaitInsertStatement(std::string_view no_wait_prefix, const Record& record);
NoWaitInsert JudgeNoWaitInsert(const std::exception_ptr& error, const storage::Dialect& dialect);
// Takes over a 'started' record whose lease ended before now_ms, if it still has old_token.
bool TakeOverRecord(storage::Tx& tx, const std::string& id, const std::string& old_token, const std::string& new_token,
                    std::int64_t now_ms, std::int64_t locked_until);
// Stores the response, the cache scope its operation changed (empty: none) and the completion
// time, only while `lease_token` still holds the record.
bool CompleteRecord(storage::Tx& tx, const std::string& id, const std::string& lease_token, int status,
                    const std::string& body, const std::string& changed_scope, std::int64_t completed_ms);
// CompleteRecord for a record that this transaction inserted itself (JudgeNoWaitInsert
// returned kInserted): an UPDATE by id that cannot miss, so it needs no answer and is a write
// sent with the COMMIT where the engine can (storage/commit_writes.hpp). The row is this
// transaction's own uncommitted insert, locked by it until it ends, so no lease can have been
// lost; and the transaction cannot have ended unnoticed since the claim: a deadlock throws
// (MysqlBeginWithWrite), and a lock wait timeout ends only its statement (the no-wait claim is
// used only with innodb_rollback_on_timeout OFF).
void CompleteOwnRecord(storage::Tx& tx, const std::string& id, int status, const std::string& body,
                       const std::string& changed_scope, std::int64_t completed_ms);
// Deletes a 'started' record held by `lease_token` (the operation failed with a 5xx).
void DeleteClaim(storage::Tx& tx, const std::string& id, const std::string& lease_token);
// Deletes at most `limit` records past expires_at whose lease (if started) is over too, oldest
// first, in one statement; returns how many.
std::size_t DeleteExpiredRecords(storage::Tx& tx, std::int64_t now_ms, int limit);

}  // namespace rihla::idempotency
