#pragma once
// Idempotency-Key semantics (Stripe, IETF draft-ietf-httpapi-idempotency-key-header).
//
// A record is identified by (scope, principal, key): scope = method + route template,
// principal = "user:<id>" or "webhook:payments" (never empty). Its fingerprint is the SHA-256
// of method, concrete path and the canonical JSON body.
//
// Run():
//  1. Claim: read the record; if there is none, insert a 'started' row with a lease
//     (locked_until) in one autocommitted statement. A duplicate-key error means another request
//     claimed it first: read again. With a record:
//       - completed, same fingerprint  -> replay the stored status and body;
//       - different fingerprint        -> 422 idempotency-key-reused;
//       - started, lease alive         -> 409 idempotency-in-progress (or, with wait_for_inflight,
//                                         throw NotReady: the transport parks the request off
//                                         the workers and runs it again, until the first one
//                                         completes or the wait (from the request's start,
//                                         within its deadline) is over, then 409);
//       - started, lease over          -> take it over with a conditional UPDATE (one winner).
//  2. Execute the operation and store its response in ONE transaction, guarded by our lease
//     token; commit. A crash before commit leaves only the lease. An operation that answers with
//     a 4xx ApiError has its transaction rolled back (no partial write) and the problem stored
//     right after, still guarded by the lease. An operation that returns an error Outcome (its
//     writes must commit, e.g. a cancel that expired the booking instead) has the rendered
//     problem stored in its own transaction, with those writes.
//  3. 5xx or database failure: the claim is deleted, so the key stays retryable.
// Group commit (single-writer engines, storage::GroupCommit given): a request whose key has no
// record claims it INSIDE the business transaction instead (step 1's insert, the operation and
// step 2's store run as one unit of a shared batch transaction, the operation in a savepoint so
// a 4xx rolls back its writes but keeps the claim and stores the problem). While it waits for
// its batch, the key is held in this process's in-flight set: a concurrent repeat finds it there
// and gets 409 idempotency-in-progress (or parks) at once, without waiting behind the batch. A
// crash before the batch commits leaves nothing at all; a 5xx rolls back the claim with it.
// Locked claim (server engines with a non-blocking transaction-scoped lock, PostgreSQL; no group
// commit): a request claims its key INSIDE the business transaction too. The transaction's
// first statement takes a lock on a 64-bit hash of (scope, principal, key) without waiting and
// reads the record: lock held elsewhere -> 409 (or park) at once; a record -> judged as in step
// 1; neither -> the operation runs and the completed record is inserted with its answer, in
// the same transaction (a claim, a lease and a commit fewer). The unique index still decides:
// a record committed meanwhile (or a hash collision's) makes that insert fail, the transaction
// roll back, and the request look again. A 4xx the operation threw is rolled back and stored
// right after in its own statement (the same race: whichever record commits first is the
// answer). A crash rolls everything back and ends the lock: no lease to wait out.
// No-wait claim (server engines without such a lock but with an INSERT that does not wait,
// MariaDB; no group commit): the transaction's first statement inserts the 'started' claim
// without waiting for a concurrent holder of the key: held by an uncommitted transaction ->
// 409 (or park) at once; a committed record -> read and judged as in step 1; inserted -> the
// operation runs and the record is completed, in the same transaction, by id (the transaction
// inserted it and holds its row: no lease to check), sent with the COMMIT; the claim goes with
// the BEGIN (Database::WriteStartingWith). A read, a commit and 5 round trips fewer than step 1. A 4xx is rolled back and stored after, as for the
// locked claim. A crash rolls the claim back with everything else: no lease to wait out.
// The stored record keeps the cache scope its operation changed (with the answer, in the same
// transaction), so that a replay can hand it back for the caller to invalidate again.
//
// The executor knows no transport: it stores and replays a status and body bytes. Errors become
// bytes through the ErrorRenderer the composition root hands it (handlers::RenderProblem).
#include <chrono>
#include <mutex>
#include <unordered_set>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "domain/cache_scope.hpp"
#include "domain/errors.hpp"
#include "idempotency/record_store.hpp"
#include "observability/fault_point.hpp"
#include "observability/metric_families.hpp"
#include "observability/request_context.hpp"
#include "storage/database.hpp"
#include "storage/group_commit.hpp"

namespace rihla::idempotency {

// Throws ApiError kIdempotencyKeyMissing / kIdempotencyKeyInvalid (empty, > 255 bytes, or not
// printable ASCII 0x20..0x7E).
std::string ValidateKey(std::string_view header_value, bool present);

// SHA-256 hex over method, concrete path and the canonical body (sorted keys, no whitespace;
// an empty body counts as no body).
std::string Fingerprint(std::string_view method, std::string_view path, std::string_view body);

struct Request {
  std::string scope;      // "POST /v1/bookings"
  std::string principal;  // never empty
  std::string key;
  std::string fingerprint;
  bool wait_for_inflight = false;  // park (NotReady) instead of answering 409 while the first one runs
};

// A response as stored for replay, byte for byte.
struct StoredResponse {
  int status = 200;
  std::string body;
};

// Renders an error as the response to store and answer with. The body carries
// `correlation_id` (the executing request's), so a replay repeats the original id. Must be
// thread-safe; called on worker threads inside Run, possibly inside an open transaction.
using ErrorRenderer = std::function<StoredResponse(const ApiError& error, std::string_view correlation_id)>;

// What an operation answers with: a response (status and body), or `error`, a client error
// whose writes must still commit (the executor renders it and stores it in the same
// transaction). An error that renders as 5xx is not stored: it rolls back and releases the key.
struct Outcome {
  int status = 200;
  std::string body;
  std::optional<domain::CacheScope> changed_scope;  // cache scope the operation changed, if any
  std::optional<ApiError> error;
};

struct Result {
  int status = 200;
  std::string body;
  bool replayed = false;
  // The cache scope the operation changed. Also set on a replay (from the stored record, unless it
  // completed more than Options::scope_replay_window ago): the caller re-applies the
  // invalidation before it answers, since the first attempt may have died or lost its answer
  // between commit and invalidation.
  std::optional<domain::CacheScope> changed_scope;
  std::optional<ErrorCode> error;  // the error this call executed into; a replay carries bytes only
};

struct Options {
  std::chrono::seconds lease{30};
  std::chrono::seconds ttl{86400};
  std::chrono::milliseconds wait_for_inflight{10000};
  // A replay re-applies its record's changed scope while the record completed at most this long
  // ago; nullopt: always. Set it to the search cache TTL plus a margin: no entry from before the
  // write can outlive that.
  std::optional<std::chrono::milliseconds> scope_replay_window;
  FaultPoint fault = FaultPoint::kNone;
};

class Executor {
 public:
  // `render` turns the errors the executor stores into bytes; required (throws
  // std::invalid_argument when empty). `group`: run fresh keys through group commit (see the
  // file comment); nullptr: every request claims in its own statement first.
  Executor(storage::Database& db, Options options, Metrics& metrics, ErrorRenderer render,
           storage::GroupCommit* group = nullptr);

  // The operation runs inside the transaction and returns the response to store. An ApiError
  // it throws that renders as 4xx is stored as the answer; anything else rolls back, releases
  // the key and propagates. Throws kIdempotencyKeyReused, or kIdempotencyInProgress (with a
  // retry hint) while another request holds the key or after our lease was taken over.
  using Operation = std::function<Outcome(storage::Tx&)>;
  Result Run(RequestContext& ctx, const Request& request, const Operation& op);

  // Deletes records past their retention (never a live lease), `batch` rows per statement
  // (one set-based DELETE each, autocommitted), until a statement deletes fewer. Returns how
  // many were deleted.
  std::size_t Cleanup(std::int64_t now_ms, int batch = 500);

 private:
  struct Claim {
    std::string id;
    std::string lease_token;
  };
  // No record exists and no request of this process holds the key: claim it inside the group
  // commit unit (ExecuteGrouped). Only with group commit.
  struct Unclaimed {};
  // Step 1: loops (never recurses) until this request owns the key (a Claim), may claim it in
  // its batch (Unclaimed) or has its answer (a replayed Result). Throws 409 in-progress or 422
  // reused.
  // `known`: the record as the caller just read it (its first look is then not repeated).
  std::variant<Claim, Result, Unclaimed> ClaimOrAnswer(RequestContext& ctx, const Request& request,
                                                       std::optional<Record> known = std::nullopt);
  // Whether a request whose key is held elsewhere may still wait (park), by its wait deadline.
  bool MayWait(const RequestContext& ctx, const Request& request) const;
  // Steps 1 and 2 as one transaction under the engine's lock (the file comment's locked claim).
  // A Record: the key has one (judge it); nullopt: look again (a record committed meanwhile).
  // Throws 409 in-progress (or NotReady) while the lock is held elsewhere.
  std::variant<Result, Record, std::monostate> ExecuteLocked(RequestContext& ctx, const Request& request,
                                                             const Operation& op);
  // Steps 1 and 2 as one transaction whose first statement is the no-wait claim (the file
  // comment). Returns as ExecuteLocked does.
  std::variant<Result, Record, std::monostate> ExecuteNoWait(RequestContext& ctx, const Request& request,
                                                             const Operation& op);
  // A 4xx the operation of a claim-in-transaction path threw, after the rollback: inserts
  // `record` completed with it in its own statement. nullopt: another request's record
  // committed first (look again).
  std::optional<Result> StoreProblemRecord(Record record, StoredResponse problem, ErrorCode code);
  // After a claim-in-transaction path found the key held by an uncommitted transaction:
  // throws NotReady (park) or 409 in-progress.
  [[noreturn]] void HeldElsewhere(const RequestContext& ctx, const Request& request);
  // A new 'started' record for `request` with a fresh lease, from `now_ms`.
  Record NewClaimRecord(const Request& request, std::int64_t now_ms) const;
  // One indexed read of the request's record, outside any write transaction.
  std::optional<Record> ReadRecord(const Request& request);
  // Inserts a 'started' record with a fresh lease in one autocommitted statement, so the unique
  // index decides between concurrent requests. Nothing when another request inserted first.
  std::optional<Claim> InsertClaim(const Request& request);
  // Takes over `record`, whose lease ended before `now_ms`, with a conditional UPDATE: of
  // concurrent takers exactly one gets the Claim, the others nothing.
  std::optional<Claim> TakeOver(RequestContext& ctx, const Request& request, const Record& record,
                                std::int64_t now_ms);
  // Step 2: runs `op` under `claim` and stores its answer; see the file comment.
  Result Execute(RequestContext& ctx, const Claim& claim, const Operation& op);
  // Steps 1 and 2 in one group commit unit, for a key with no record. nullopt: another request
  // took the key first (this process's in-flight set, or a record committed meanwhile): look
  // again.
  std::optional<Result> ExecuteGrouped(RequestContext& ctx, const Request& request, const Operation& op);
  // Inside tx: turns the operation's outcome into the answer and stores it under `claim`.
  // Throws the outcome's error when it renders as 5xx, kIdempotencyInProgress when our lease
  // was taken over.
  Result Complete(RequestContext& ctx, storage::Tx& tx, const Claim& claim, Outcome outcome);
  // Complete for a record this transaction inserted (ExecuteNoWait): there is no lease to lose,
  // and the store is sent with the COMMIT where the engine can (CompleteOwnRecord).
  Result CompleteOwn(RequestContext& ctx, storage::Tx& tx, const Claim& claim, Outcome outcome);
  // Runs `op` inside tx. A 4xx ApiError it throws is rendered into `problem` (and its code)
  // and rethrown, so that the transaction rolls back and the caller stores the problem after.
  Outcome RunOperation(RequestContext& ctx, storage::Tx& tx, const Operation& op,
                       std::optional<StoredResponse>& problem, ErrorCode& problem_code);
  // The answer the operation's outcome stands for (its error rendered). Throws the outcome's
  // error when it renders as 5xx.
  Result Answer(RequestContext& ctx, Outcome outcome);
  // After the commit of `answer`: the test-only after-commit fault points, then the count.
  Result Committed(Result answer);
  // Stores a 4xx the operation threw, after its transaction rolled back. Throws
  // kIdempotencyInProgress when our lease was taken over meanwhile.
  Result StoreProblem(const Claim& claim, StoredResponse problem, ErrorCode code);
  // Step 3: deletes the claim so the key stays retryable; never throws (a failed delete leaves
  // a lease that expires by itself).
  void Release(const Claim& claim);
  void Count(std::string_view outcome);

  storage::Database& db_;
  Options options_;
  const CounterFamily<1> requests_;  // by outcome
  ErrorRenderer render_;
  storage::GroupCommit* group_;
  const bool locked_claims_;  // no group commit, and the engine has a try_transaction_lock
  // No group commit, no transaction lock, and the server has a no-wait INSERT: its prefix
  // (Database::NoWaitInsertPrefix); empty otherwise.
  const std::string no_wait_prefix_;

  // Keys of this process's requests that wait for (or run in) a group commit batch, as
  // scope \n principal \n key. Only with group commit.
  class InFlight {
   public:
    bool TryEnter(const std::string& key);
    void Leave(const std::string& key);
    bool Contains(const std::string& key) const;

   private:
    mutable std::mutex mu_;
    std::unordered_set<std::string> keys_;  // guarded by mu_
  };
  InFlight in_flight_;
};

}  // namespace rihla::idempotency
