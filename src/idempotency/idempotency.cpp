#include "idempotency/idempotency.hpp"

#include <soci/soci.h>

#include <algorithm>
#include <stdexcept>

#include "domain/errors.hpp"
#include "domain/json_input.hpp"
#include "domain/time.hpp"
#include "security/crypto.hpp"

namespace rihla::idempotency {
namespace {

std::int64_t Ms(std::chrono::seconds s) { return std::chrono::duration_cast<std::chrono::milliseconds>(s).count(); }

// What an existing record means for a request with `fingerprint`, seen at `now_ms`. Pure.
enum class Verdict {
  kReused,      // a different request used this key: 422
  kReplay,      // completed: answer with the stored response
  kTakeOver,    // started, but its lease is over: try to take it over
  kWait,        // started, lease alive, and the caller may still wait: poll again
  kInProgress,  // started, lease alive: 409
};

Verdict Judge(const Record& record, const std::string& fingerprint, std::int64_t now_ms, bool may_wait) {
  if (record.fingerprint != fingerprint) return Verdict::kReused;
  if (record.state == "completed") return Verdict::kReplay;
  if (record.locked_until < now_ms) return Verdict::kTakeOver;
  return may_wait ? Verdict::kWait : Verdict::kInProgress;
}

// The scope a replay of the completed `record` must invalidate again: its stored changed scope,
// unless it completed more than `window` before `now_ms` (every entry from before it is gone).
// Pure.
std::optional<domain::CacheScope> ReplayScope(const Record& record, std::int64_t now_ms,
                                              std::optional<std::chrono::milliseconds> window) {
  if (record.changed_scope.empty()) return std::nullopt;
  if (window && record.completed_ms > 0 && now_ms - record.completed_ms > window->count()) return std::nullopt;
  return domain::CacheScope::Parse(record.changed_scope);  // a pre-narrowing "RUH-JED": route-wide
}

// How long a waiting request is parked before it looks again: a quarter of the time it has
// waited so far, 10 to 100 ms (a fast first answer is seen fast; a slow one costs few reads).
constexpr std::chrono::milliseconds kParkMin{10};
constexpr std::chrono::milliseconds kParkMax{100};
std::chrono::milliseconds ParkFor(std::chrono::steady_clock::duration waited) {
  return std::clamp(std::chrono::duration_cast<std::chrono::milliseconds>(waited) / 4, kParkMin, kParkMax);
}

// The holder's lease on `record` is alive; the hint is the time it has left, 1 to 5 s.
ApiError InProgress(const Record& record, std::int64_t now_ms) {
  std::int64_t left_s = (record.locked_until - now_ms) / 1000 + 1;
  return ApiError(ErrorCode::kIdempotencyInProgress, "a request with this Idempotency-Key is still being processed")
      .RetryIn(std::chrono::seconds(std::clamp<std::int64_t>(left_s, 1, 5)));
}

// Another request holds the key in a transaction that has not committed yet (this process's
// group commit batch, or any instance's locked claim), which commits within milliseconds.
ApiError InProgressUncommitted() {
  return ApiError(ErrorCode::kIdempotencyInProgress, "a request with this Idempotency-Key is still being processed")
      .RetryIn(std::chrono::seconds(1));
}

// The key of a request in the in-flight set.
std::string InFlightKey(const Request& r) { return r.scope + "\n" + r.principal + "\n" + r.key; }

// The 64-bit lock key of a request for the locked claim: the first 8 bytes of the SHA-256 of
// its in-flight key. A collision costs a spurious 409, never a double execution (the unique
// index decides).
std::int64_t LockKey(const Request& r) {
  return static_cast<std::int64_t>(std::stoull(Sha256Hex(InFlightKey(r)).substr(0, 16), nullptr, 16));
}

// Inside a group commit unit: the operation runs in this savepoint, so that a 4xx undoes its
// writes but keeps the claim inserted before it.
constexpr std::string_view kOperationSavepoint = "rihla_idem_op";

// Our lease ran out and a retry took the key over: what we did is rolled back.
ApiError LostLease() {
  return ApiError(ErrorCode::kIdempotencyInProgress, "the request took longer than its lease; retry")
      .RetryIn(std::chrono::seconds(1));
}

}  // namespace

std::string ValidateKey(std::string_view value, bool present) {
  if (!present) throw ApiError(ErrorCode::kIdempotencyKeyMissing, "this request requires an Idempotency-Key header");
  if (value.empty() || value.size() > 255) {
    throw ApiError(ErrorCode::kIdempotencyKeyInvalid, "Idempotency-Key must be 1 to 255 bytes");
  }
  for (char c : value) {
    if (c < 0x20 || c > 0x7e) {
      throw ApiError(ErrorCode::kIdempotencyKeyInvalid, "Idempotency-Key must be printable ASCII");
    }
  }
  return std::string(value);
}

std::string Fingerprint(std::string_view method, std::string_view path, std::string_view body) {
  std::string canonical;
  if (!body.empty()) {
    auto value = domain::TryParseJson(body);
    canonical = value ? domain::CanonicalJson(*value) : std::string(body);
  }
  std::string material;
  material.reserve(method.size() + path.size() + canonical.size() + 2);
  material.append(method).append("\n").append(path).append("\n").append(canonical);
  return Sha256Hex(material);
}

Executor::Executor(storage::Database& db, Options options, Metrics& metrics, ErrorRenderer render,
                   storage::GroupCommit* group)
    : db_(db),
      options_(options),
      requests_(metrics.Family(metric::kIdempotencyRequests)),
      render_(std::move(render)),
      group_(group),
      locked_claims_(group == nullptr && !db.dialect().try_transaction_lock.empty()),
      no_wait_prefix_(group == nullptr && !locked_claims_ ? std::string(db.NoWaitInsertPrefix()) : std::string()) {
  if (!render_) throw std::invalid_argument("idempotency::Executor needs an error renderer");
}

void Executor::Count(std::string_view outcome) {
  requests_.WithLabels(outcome).Increment();
}

std::optional<Record> Executor::ReadRecord(const Request& request) {
  std::optional<Record> record;
  db_.Read([&](storage::Tx& tx) { record = FindRecord(tx, request.scope, request.principal, request.key); });
  return record;
}

bool Executor::InFlight::TryEnter(const std::string& key) {
  std::lock_guard lock(mu_);
  return keys_.insert(key).second;
}

void Executor::InFlight::Leave(const std::string& key) {
  std::lock_guard lock(mu_);
  keys_.erase(key);
}

bool Executor::InFlight::Contains(const std::string& key) const {
  std::lock_guard lock(mu_);
  return keys_.contains(key);
}

Record Executor::NewClaimRecord(const Request& request, std::int64_t now) const {
  Record record;
  record.id = "idr_" + RandomHex(12);
  record.scope = request.scope;
  record.principal = request.principal;
  record.key = request.key;
  record.fingerprint = request.fingerprint;
  record.lease_token = RandomHex(16);
  record.locked_until = now + Ms(options_.lease);
  record.created_ms = now;
  record.expires_ms = now + Ms(options_.ttl);
  return record;
}

std::optional<Executor::Claim> Executor::InsertClaim(const Request& request) {
  Record record = NewClaimRecord(request, domain::NowMs());
  try {
    db_.WriteStatement([&](storage::Tx& tx) { InsertRecord(tx, record); });
  } catch (const DuplicateKey&) {
    return std::nullopt;
  }
  return Claim{record.id, record.lease_token};
}

std::optional<Executor::Claim> Executor::TakeOver(RequestContext& ctx, const Request& request, const Record& record,
                                                  std::int64_t now_ms) {
  std::string token = RandomHex(16);
  bool won = false;
  db_.WriteStatement([&](storage::Tx& tx) {
    won = TakeOverRecord(tx, record.id, record.lease_token, token, now_ms, now_ms + Ms(options_.lease));
  });
  if (!won) return std::nullopt;
  Count("taken_over");
  ctx.Log(LogLevel::kWarn, "idempotency lease expired; retry takes over", {{"scope", request.scope}});
  return Claim{record.id, token};
}

bool Executor::MayWait(const RequestContext& ctx, const Request& request) const {
  // A waiting request is parked and run again (NotReady), so the wait is measured from its
  // start, and it ends early enough to answer 409 itself before the request's deadline.
  auto wait_deadline = std::min(ctx.started + options_.wait_for_inflight, ctx.deadline - kParkMax);
  return request.wait_for_inflight && std::chrono::steady_clock::now() < wait_deadline;
}

std::variant<Executor::Claim, Result, Executor::Unclaimed> Executor::ClaimOrAnswer(RequestContext& ctx, const Request& request,
                                                                                   std::optional<Record> known) {
  for (;;) {
    // Read first: a replay (the common retry) then costs one indexed read and no write.
    std::optional<Record> existing = known ? std::move(known) : ReadRecord(request);
    known.reset();
    if (!existing && group_ != nullptr) {
      if (!in_flight_.Contains(InFlightKey(request))) return Unclaimed{};
      // Another request of this process holds the key in a batch that has not committed yet.
      if (MayWait(ctx, request)) {
        Count("parked");
        throw NotReady(ParkFor(std::chrono::steady_clock::now() - ctx.started));
      }
      Count("in_progress");
      throw InProgressUncommitted();
    }
    if (!existing) {
      if (auto claim = InsertClaim(request)) return *claim;
      continue;  // another request inserted between our read and insert: read its record
    }
    std::int64_t now = domain::NowMs();
    switch (Judge(*existing, request.fingerprint, now, MayWait(ctx, request))) {
      case Verdict::kReused:
        Count("reused");
        throw ApiError(ErrorCode::kIdempotencyKeyReused,
                       "this Idempotency-Key was used with a different request; use a new key for a new request");
      case Verdict::kReplay:
        Count("replayed");
        return Result{existing->response_status, std::move(existing->response_body), true,
                      ReplayScope(*existing, now, options_.scope_replay_window), std::nullopt};
      case Verdict::kTakeOver:
        if (auto claim = TakeOver(ctx, request, *existing, now)) return *claim;
        continue;  // another retry won the take-over: look again
      case Verdict::kWait:
        Count("parked");
        throw NotReady(ParkFor(std::chrono::steady_clock::now() - ctx.started));
      case Verdict::kInProgress:
        Count("in_progress");
        throw InProgress(*existing, now);
    }
  }
}

void Executor::Release(const Claim& claim) {
  try {
    db_.Write([&](storage::Tx& tx) { DeleteClaim(tx, claim.id, claim.lease_token); });
    Count("released");
  } catch (const std::exception&) {
    // The database is gone; the lease expires by itself and a retry may then take over.
  }
}

Result Executor::Run(RequestContext& ctx, const Request& request, const Operation& op) {
  if (FaultActive(options_.fault, FaultPoint::kSkipIdempotencyClaim) && request.scope == "POST /v1/bookings") {
    Result answer;
    db_.Write([&](storage::Tx& tx) {
      Outcome outcome = op(tx);
      answer = Result{outcome.status, std::move(outcome.body), false, std::move(outcome.changed_scope), std::nullopt};
    });
    return answer;
  }
  for (;;) {
    std::optional<Record> known;
    if (locked_claims_ || !no_wait_prefix_.empty()) {
      auto locked = locked_claims_ ? ExecuteLocked(ctx, request, op) : ExecuteNoWait(ctx, request, op);
      if (auto* answer = std::get_if<Result>(&locked)) return std::move(*answer);
      auto* record = std::get_if<Record>(&locked);
      if (record == nullptr) continue;  // a record committed meanwhile: look again
      known = std::move(*record);
    }
    auto claimed = ClaimOrAnswer(ctx, request, std::move(known));
    if (auto* replay = std::get_if<Result>(&claimed)) return std::move(*replay);
    if (auto* claim = std::get_if<Claim>(&claimed)) {
      TriggerFault(options_.fault, FaultPoint::kSlowOperation);  // claimed, not yet executed
      return Execute(ctx, *claim, op);
    }
    if (auto answer = ExecuteGrouped(ctx, request, op)) return std::move(*answer);
    // Another request took the key between our read and our claim: look at it again.
  }
}

Result Executor::Committed(Result answer) {
  TriggerFault(options_.fault, FaultPoint::kAfterCommit);
  if (FaultActive(options_.fault, FaultPoint::kCommitThen503)) {
    throw ApiError(ErrorCode::kServiceUnavailable, "fault point commit_then_503: the answer was lost after commit");
  }
  Count("executed");
  return answer;
}

Outcome Executor::RunOperation(RequestContext& ctx, storage::Tx& tx, const Operation& op,
                               std::optional<StoredResponse>& problem, ErrorCode& problem_code) {
  try {
    return op(tx);
  } catch (const ApiError& e) {
    StoredResponse rendered = render_(e, ctx.correlation_id);
    if (rendered.status >= 500) throw;
    problem = std::move(rendered);
    problem_code = e.code();
    throw;  // roll the operation's writes back; the caller stores the answer after
  }
}

Result Executor::Answer(RequestContext& ctx, Outcome outcome) {
  Result answer{outcome.status, std::move(outcome.body), false, std::move(outcome.changed_scope), std::nullopt};
  if (outcome.error) {
    StoredResponse rendered = render_(*outcome.error, ctx.correlation_id);
    if (rendered.status >= 500) throw *outcome.error;  // never stored: roll back, release
    answer.status = rendered.status;
    answer.body = std::move(rendered.body);
    answer.error = outcome.error->code();
  }
  return answer;
}

Result Executor::Complete(RequestContext& ctx, storage::Tx& tx, const Claim& claim, Outcome outcome) {
  Result answer = Answer(ctx, std::move(outcome));
  std::string scope_key = answer.changed_scope ? answer.changed_scope->Key() : std::string();
  if (!CompleteRecord(tx, claim.id, claim.lease_token, answer.status, answer.body, scope_key, domain::NowMs())) {
    throw LostLease();
  }
  return answer;
}

Result Executor::CompleteOwn(RequestContext& ctx, storage::Tx& tx, const Claim& claim, Outcome outcome) {
  Result answer = Answer(ctx, std::move(outcome));
  CompleteOwnRecord(tx, claim.id, answer.status, answer.body,
                    answer.changed_scope ? answer.changed_scope->Key() : std::string(), domain::NowMs());
  return answer;
}

std::variant<Result, Record, std::monostate> Executor::ExecuteLocked(RequestContext& ctx, const Request& request,
                                                                     const Operation& op) {
  const std::int64_t lock_key = LockKey(request);
  Record record = NewClaimRecord(request, domain::NowMs());
  bool locked = false;
  std::optional<Record> found;
  // The record's INSERT was issued: a DuplicateKey is its. It is sent with the COMMIT where the
  // engine can (storage/commit_writes.hpp, with the booking's own inserts), so the error may
  // leave db_.Write after fn returned; a duplicate booking id (random) lands here too and is
  // equally safe to run again, since nothing committed.
  bool inserting = false;
  std::optional<StoredResponse> problem;  // a 4xx the operation threw
  ErrorCode problem_code = ErrorCode::kInternal;
  Result answer;
  try {
    db_.Write([&](storage::Tx& tx) {
      found.reset();  // Write may re-run fn after a conflict
      inserting = false;
      problem.reset();
      LockedRead read = LockAndFindRecord(tx, lock_key, request.scope, request.principal, request.key);
      locked = read.locked;
      if (read.record) {
        found = std::move(read.record);
        return;  // nothing written: judged below
      }
      if (!locked) return;
      TriggerFault(options_.fault, FaultPoint::kSlowOperation);  // holds the key, not yet executed
      Outcome outcome = RunOperation(ctx, tx, op, problem, problem_code);
      answer = Answer(ctx, std::move(outcome));
      record.state = "completed";
      record.response_status = answer.status;
      record.response_body = answer.body;
      record.changed_scope = answer.changed_scope ? answer.changed_scope->Key() : std::string();
      record.completed_ms = domain::NowMs();
      inserting = true;
      InsertCompletedRecord(tx, record);
      TriggerFault(options_.fault, FaultPoint::kBeforeCommit);
    });
  } catch (const ApiError&) {
    if (!problem) throw;
    // The lock ended with the rollback; the answer is whichever record commits first.
    if (auto stored = StoreProblemRecord(std::move(record), std::move(*problem), problem_code)) return *stored;
    return std::monostate{};
  } catch (const DuplicateKey&) {
    if (inserting) return std::monostate{};  // a record committed since our read
    throw;
  }
  if (found) return std::move(*found);
  if (!locked) HeldElsewhere(ctx, request);
  return Committed(std::move(answer));
}

std::variant<Result, Record, std::monostate> Executor::ExecuteNoWait(RequestContext& ctx, const Request& request,
                                                                     const Operation& op) {
  Record record = NewClaimRecord(request, domain::NowMs());
  const Claim claim{record.id, record.lease_token};
  NoWaitInsert claimed = NoWaitInsert::kInserted;
  std::optional<Record> found;
  std::optional<StoredResponse> problem;  // a 4xx the operation threw
  ErrorCode problem_code = ErrorCode::kInternal;
  Result answer;
  try {
    // The claim is the transaction's first statement, sent with its BEGIN where the engine can.
    db_.WriteStartingWith(NoWaitInsertStatement(no_wait_prefix_, record), [&](storage::Tx& tx,
                                                                             std::exception_ptr claim_error) {
      found.reset();  // Write may re-run fn after a conflict
      problem.reset();
      claimed = JudgeNoWaitInsert(claim_error, tx.dialect);
      if (claimed == NoWaitInsert::kHeld) return;  // nothing written
      if (claimed == NoWaitInsert::kExists) {
        found = FindRecord(tx, request.scope, request.principal, request.key);  // committed: visible
        return;
      }
      TriggerFault(options_.fault, FaultPoint::kSlowOperation);  // holds the key, not yet executed
      Outcome outcome = RunOperation(ctx, tx, op, problem, problem_code);
      answer = CompleteOwn(ctx, tx, claim, std::move(outcome));
      TriggerFault(options_.fault, FaultPoint::kBeforeCommit);
    });
  } catch (const ApiError&) {
    if (!problem) throw;
    // The claim rolled back with the operation; the answer is whichever record commits first.
    if (auto stored = StoreProblemRecord(std::move(record), std::move(*problem), problem_code)) return *stored;
    return std::monostate{};
  }
  if (claimed == NoWaitInsert::kHeld) HeldElsewhere(ctx, request);
  if (claimed == NoWaitInsert::kExists) {
    if (found) return std::move(*found);
    return std::monostate{};  // deleted (retention) since the insert: look again
  }
  return Committed(std::move(answer));
}

std::optional<Result> Executor::StoreProblemRecord(Record record, StoredResponse problem, ErrorCode code) {
  record.state = "completed";
  record.response_status = problem.status;
  record.response_body = std::move(problem.body);
  record.completed_ms = domain::NowMs();
  try {
    db_.WriteStatement([&](storage::Tx& tx) { InsertCompletedRecord(tx, record); });
  } catch (const DuplicateKey&) {
    return std::nullopt;  // another request's answer committed first
  }
  Count("executed");
  return Result{record.response_status, std::move(record.response_body), false, {}, code};
}

void Executor::HeldElsewhere(const RequestContext& ctx, const Request& request) {
  if (MayWait(ctx, request)) {
    Count("parked");
    throw NotReady(ParkFor(std::chrono::steady_clock::now() - ctx.started));
  }
  Count("in_progress");
  throw InProgressUncommitted();
}

std::optional<Result> Executor::ExecuteGrouped(RequestContext& ctx, const Request& request, const Operation& op) {
  const std::string in_flight_key = InFlightKey(request);
  if (!in_flight_.TryEnter(in_flight_key)) return std::nullopt;
  struct Leave {
    InFlight& set;
    const std::string& key;
    ~Leave() { set.Leave(key); }
  } leave{in_flight_, in_flight_key};
  TriggerFault(options_.fault, FaultPoint::kSlowOperation);  // holds the key, not yet executed

  const Record record = NewClaimRecord(request, domain::NowMs());
  const Claim claim{record.id, record.lease_token};
  Result answer;
  bool claimed = false;
  try {
    group_->Run([&](storage::Tx& tx) {
      claimed = false;  // the batch may be re-run
      InsertRecord(tx, record);
      claimed = true;
      storage::Savepoint(tx, kOperationSavepoint);
      std::optional<Outcome> outcome;
      try {
        outcome = op(tx);
      } catch (const ApiError& e) {
        StoredResponse problem = render_(e, ctx.correlation_id);
        if (problem.status >= 500) throw;  // the claim rolls back with the unit: the key stays free
        // A 4xx: undo the operation's writes, keep the claim, store the problem in its place.
        storage::RollbackToSavepoint(tx, kOperationSavepoint);
        storage::ReleaseSavepoint(tx, kOperationSavepoint);
        if (!CompleteRecord(tx, claim.id, claim.lease_token, problem.status, problem.body, "", domain::NowMs())) {
          throw LostLease();
        }
        answer = Result{problem.status, std::move(problem.body), false, {}, e.code()};
      }
      if (outcome) {
        storage::ReleaseSavepoint(tx, kOperationSavepoint);
        answer = Complete(ctx, tx, claim, std::move(*outcome));
      }
      TriggerFault(options_.fault, FaultPoint::kBeforeCommit);
    });
  } catch (const DuplicateKey&) {
    if (!claimed) return std::nullopt;  // another process committed this key first
    throw;
  }
  return Committed(std::move(answer));
}

Result Executor::Execute(RequestContext& ctx, const Claim& claim, const Operation& op) {
  Result answer;
  std::optional<StoredResponse> problem;  // a 4xx the operation threw
  ErrorCode problem_code = ErrorCode::kInternal;
  try {
    db_.Write([&](storage::Tx& tx) {
      Outcome outcome = RunOperation(ctx, tx, op, problem, problem_code);
      answer = Complete(ctx, tx, claim, std::move(outcome));
      TriggerFault(options_.fault, FaultPoint::kBeforeCommit);
    });
  } catch (const ApiError& e) {
    if (problem) return StoreProblem(claim, std::move(*problem), problem_code);
    if (e.code() != ErrorCode::kIdempotencyInProgress) Release(claim);
    throw;
  } catch (...) {
    Release(claim);
    throw;
  }
  return Committed(std::move(answer));
}

Result Executor::StoreProblem(const Claim& claim, StoredResponse problem, ErrorCode code) {
  // A 4xx leaves no write behind (its transaction rolled back); store the answer alone, still
  // guarded by our lease. A crash before this leaves only the claim, retried after the lease.
  bool stored = false;
  db_.WriteStatement([&](storage::Tx& tx) {
    stored = CompleteRecord(tx, claim.id, claim.lease_token, problem.status, problem.body, "", domain::NowMs());
  });
  if (!stored) throw LostLease();
  Count("executed");
  return Result{problem.status, std::move(problem.body), false, {}, code};
}

std::size_t Executor::Cleanup(std::int64_t now_ms, int batch) {
  std::size_t total = 0;
  for (;;) {
    std::size_t deleted = 0;
    db_.WriteStatement([&](storage::Tx& tx) { deleted = DeleteExpiredRecords(tx, now_ms, batch); });
    total += deleted;
    if (deleted < static_cast<std::size_t>(batch)) break;
  }
  return total;
}

}  // namespace rihla::idempotency
