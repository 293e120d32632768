#include "idempotency/record_store.hpp"

#include <soci/soci.h>

#include "storage/commit_writes.hpp"
#include "storage/engine_errors.hpp"
#include "storage/statement.hpp"

namespace rihla::idempotency {
namespace {

constexpr const char* kInsert =
    "INSERT INTO idempotency_records (id, scope, principal, idem_key, fingerprint, state, lease_token, locked_until,"
    " created_at, expires_at) VALUES (:id, :s, :p, :k, :f, 'started', :lt, :lu, :c, :e)";
constexpr const char* kInsertCompleted =
    "INSERT INTO idempotency_records (id, scope, principal, idem_key, fingerprint, state, lease_token, locked_until,"
    " created_at, expires_at, response_status, response_body, changed_scope, completed_at)"
    " VALUES (:id, :s, :p, :k, :f, 'completed', :lt, 0, :c, :e, :st, :b, :cs, :ca)";
// LockAndFindRecord: "SELECT " + the dialect's lock expression + kLockedFindTail. The LEFT JOIN
// on a one-row table yields the lock's result also when there is no record.
constexpr const char* kLockedFindTail =
    ", r.id, r.fingerprint, r.state, r.lease_token, r.locked_until, r.response_status, r.response_body,"
    " r.changed_scope, r.completed_at, r.created_at, r.expires_at"
    " FROM (SELECT 1 AS one) AS one LEFT JOIN idempotency_records r"
    " ON r.scope = :s AND r.principal = :p AND r.idem_key = :k";
constexpr const char* kFind =
    "SELECT id, fingerprint, state, lease_token, locked_until, response_status, response_body, changed_scope,"
    " completed_at, created_at, expires_at"
    " FROM idempotency_records WHERE scope = :s AND principal = :p AND idem_key = :k";
constexpr const char* kTakeOver =
    "UPDATE idempotency_records SET lease_token = :nt, locked_until = :lu"
    " WHERE id = :id AND state = 'started' AND lease_token = :ot AND locked_until < :now";
constexpr const char* kComplete =
    "UPDATE idempotency_records SET state = 'completed', response_status = :st, response_body = :b,"
    " changed_scope = :cs, completed_at = :ca, locked_until = 0"
    " WHERE id = :id AND state = 'started' AND lease_token = :lt";
constexpr const char* kCompleteOwn =
    "UPDATE idempotency_records SET state = 'completed', response_status = :st, response_body = :b,"
    " changed_scope = :cs, completed_at = :ca, locked_until = 0 WHERE id = :id";
constexpr const char* kDeleteClaim =
    "DELETE FROM idempotency_records WHERE id = :id AND state = 'started' AND lease_token = :lt";
// One statement deletes a batch. The batch is picked in a derived table because MySQL cannot
// LIMIT a subquery on the table it deletes from; the outer guard repeats the conditions so a
// row whose lease was renewed meanwhile is kept.
constexpr const char* kDeleteExpiredBatch =
    "DELETE FROM idempotency_records WHERE expires_at < :n1 AND locked_until < :n2 AND id IN ("
    "SELECT id FROM (SELECT id FROM idempotency_records WHERE expires_at < :n3 AND locked_until < :n4"
    " ORDER BY expires_at LIMIT :l) AS due)";

// The columns of a record read (kFind's, kLockedFindTail's after the lock), bound as into-
// elements; Take() makes the Record of a row that was found.
struct RecordColumns {
  Record r;
  long long locked_until = 0, created = 0, expires = 0, completed = 0;
  int status = 0;
  soci::indicator id_ind = soci::i_null, fp_ind = soci::i_null, state_ind = soci::i_null, token_ind = soci::i_null,
                  lu_ind = soci::i_null, status_ind = soci::i_null, body_ind = soci::i_null,
                  scope_ind = soci::i_null, completed_ind = soci::i_null, created_ind = soci::i_null,
                  expires_ind = soci::i_null;
  void Bind(soci::statement& st) {
    st.exchange(soci::into(r.id, id_ind));
    st.exchange(soci::into(r.fingerprint, fp_ind));
    st.exchange(soci::into(r.state, state_ind));
    st.exchange(soci::into(r.lease_token, token_ind));
    st.exchange(soci::into(locked_until, lu_ind));
    st.exchange(soci::into(status, status_ind));
    st.exchange(soci::into(r.response_body, body_ind));
    st.exchange(soci::into(r.changed_scope, scope_ind));
    st.exchange(soci::into(completed, completed_ind));
    st.exchange(soci::into(created, created_ind));
    st.exchange(soci::into(expires, expires_ind));
  }
  bool found() const { return id_ind == soci::i_ok; }
  Record Take(const std::string& scope, const std::string& principal, const std::string& key) {
    r.scope = scope;
    r.principal = principal;
    r.key = key;
    r.locked_until = locked_until;
    r.response_status = status_ind == soci::i_ok ? status : 0;
    if (body_ind != soci::i_ok) r.response_body.clear();
    if (scope_ind != soci::i_ok) r.changed_scope.clear();
    r.completed_ms = completed_ind == soci::i_ok ? completed : 0;
    r.created_ms = created;
    r.expires_ms = expires;
    return std::move(r);
  }
};

}  // namespace

void InsertRecord(storage::Tx& tx, const Record& r) {
  long long lu = r.locked_until, c = r.created_ms, e = r.expires_ms;
  storage::Execute(tx, kInsert, soci::use(r.id), soci::use(r.scope), soci::use(r.principal), soci::use(r.key),
                   soci::use(r.fingerprint), soci::use(r.lease_token), soci::use(lu), soci::use(c), soci::use(e));
}

storage::QueuedWrite NoWaitInsertStatement(std::string_view no_wait_prefix, const Record& r) {
  return storage::QueuedWrite{std::string(no_wait_prefix) + kInsert,
                              {r.id, r.scope, r.principal, r.key, r.fingerprint, r.lease_token,
                               static_cast<long long>(r.locked_until), static_cast<long long>(r.created_ms),
                               static_cast<long long>(r.expires_ms)}};
}

NoWaitInsert JudgeNoWaitInsert(const std::exception_ptr& error, const storage::Dialect& dialect) {
  if (error == nullptr) return NoWaitInsert::kInserted;
  try {
    std::rethrow_exception(error);
  } catch (const soci::soci_error& e) {
    switch (storage::ClassifyEngineError(e, dialect)) {
      case storage::EngineFailure::kDuplicate: return NoWaitInsert::kExists;
      case storage::EngineFailure::kRetry: return NoWaitInsert::kHeld;  // the lock wait of 0 s timed out
      default: throw;
    }
  }
}

void InsertCompletedRecord(storage::Tx& tx, const Record& r) {
  storage::ExecuteAtCommit(tx, kInsertCompleted,
                           {r.id, r.scope, r.principal, r.key, r.fingerprint, r.lease_token,
                            static_cast<long long>(r.created_ms), static_cast<long long>(r.expires_ms),
                            static_cast<long long>(r.response_status), r.response_body,
                            storage::TextOrNull(r.changed_scope), static_cast<long long>(r.completed_ms)});
}

LockedRead LockAndFindRecord(storage::Tx& tx, std::int64_t lock_key, const std::string& scope,
                             const std::string& principal, const std::string& key) {
  long long h = lock_key;
  int locked = 0;
  RecordColumns row;
  storage::Statement st(tx, "SELECT " + std::string(tx.dialect.try_transaction_lock) + kLockedFindTail,
                        storage::Statement::kDeferBind);
  st->exchange(soci::into(locked));
  row.Bind(*st);
  st->exchange(soci::use(h));
  st->exchange(soci::use(scope));
  st->exchange(soci::use(principal));
  st->exchange(soci::use(key));
  st.Bind();
  st->execute(true);
  LockedRead read;
  read.locked = locked != 0;
  if (row.found()) read.record = row.Take(scope, principal, key);
  return read;
}

std::optional<Record> FindRecord(storage::Tx& tx, const std::string& scope, const std::string& principal,
                                 const std::string& key) {
  RecordColumns row;
  storage::Statement st(tx, kFind, storage::Statement::kDeferBind);
  row.Bind(*st);
  st->exchange(soci::use(scope));
  st->exchange(soci::use(principal));
  st->exchange(soci::use(key));
  st.Bind();
  if (!st->execute(true) || !row.found()) return std::nullopt;
  return row.Take(scope, principal, key);
}

bool TakeOverRecord(storage::Tx& tx, const std::string& id, const std::string& old_token, const std::string& new_token,
                    std::int64_t now_ms, std::int64_t locked_until) {
  long long lu = locked_until, now = now_ms;
  storage::Statement st(tx, kTakeOver, soci::use(new_token), soci::use(lu), soci::use(id), soci::use(old_token),
                        soci::use(now));
  st->execute(true);
  return st->get_affected_rows() == 1;
}

bool CompleteRecord(storage::Tx& tx, const std::string& id, const std::string& lease_token, int status,
                    const std::string& body, const std::string& changed_scope, std::int64_t completed_ms) {
  soci::indicator scope_ind = changed_scope.empty() ? soci::i_null : soci::i_ok;
  long long completed = completed_ms;
  storage::Statement st(tx, kComplete, soci::use(status), soci::use(body), soci::use(changed_scope, scope_ind),
                        soci::use(completed), soci::use(id), soci::use(lease_token));
  st->execute(true);
  return st->get_affected_rows() == 1;
}

void CompleteOwnRecord(storage::Tx& tx, const std::string& id, int status, const std::string& body,
                       const std::string& changed_scope, std::int64_t completed_ms) {
  storage::ExecuteAtCommit(tx, kCompleteOwn,
                           {static_cast<long long>(status), body, storage::TextOrNull(changed_scope),
                            static_cast<long long>(completed_ms), id});
}

void DeleteClaim(storage::Tx& tx, const std::string& id, const std::string& lease_token) {
  storage::Execute(tx, kDeleteClaim, soci::use(id), soci::use(lease_token));
}

std::size_t DeleteExpiredRecords(storage::Tx& tx, std::int64_t now_ms, int limit) {
  long long now = now_ms;
  storage::Statement st(tx, kDeleteExpiredBatch, soci::use(now), soci::use(now), soci::use(now), soci::use(now),
                        soci::use(limit));
  st->execute(true);
  return static_cast<std::size_t>(st->get_affected_rows());
}

}  // namespace rihla::idempotency
