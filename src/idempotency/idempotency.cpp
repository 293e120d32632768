#include "idempotency/idempotency.hpp"

#include <soci/soci.h>

#include <thread>

#include "domain/errors.hpp"
#include "domain/json_input.hpp"
#include "domain/time.hpp"
#include "http/problem.hpp"
#include "idempotency/record_store.hpp"
#include "security/crypto.hpp"

namespace rihla::idempotency {
namespace {

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

Executor::Executor(storage::Database& db, Options options, Metrics& metrics)
    : db_(db), options_(options), requests_(metrics.Family(metric::kIdempotencyRequests)) {}

void Executor::Count(std::string_view outcome) {
  requests_.WithLabels(outcome).Increment();
}

std::optional<Executor::Claim> Executor::ClaimOrAnswer(RequestContext& ctx, const Request& request, Result& answer) {
  auto wait_deadline = std::chrono::steady_clock::now() + options_.wait_for_inflight;
  for (;;) {
    // Read first: a replay (the common retry) then costs one indexed read and no write.
    std::optional<Record> existing;
    db_.Read([&](storage::Tx& tx) { existing = FindRecord(tx, request.scope, request.principal, request.key); });
    if (!existing) {
      std::int64_t now = domain::NowMs();
      Record record;
      record.id = "idr_" + RandomHex(12);
      record.scope = request.scope;
      record.principal = request.principal;
      record.key = request.key;
      record.fingerprint = request.fingerprint;
      record.lease_token = RandomHex(16);
      record.locked_until = now + std::chrono::duration_cast<std::chrono::milliseconds>(options_.lease).count();
      record.created_ms = now;
      record.expires_ms = now + std::chrono::duration_cast<std::chrono::milliseconds>(options_.ttl).count();
      try {
        // One autocommitted INSERT: the unique index decides which concurrent request owns the key.
        db_.WriteStatement([&](storage::Tx& tx) { InsertRecord(tx, record); });
        return Claim{record.id, record.lease_token};
      } catch (const DuplicateKey&) {
        continue;  // another request claimed it between our read and insert: read it
      }
    }
    if (existing->fingerprint != request.fingerprint) {
      Count("reused");
      throw ApiError(ErrorCode::kIdempotencyKeyReused,
                     "this Idempotency-Key was used with a different request; use a new key for a new request");
    }
    if (existing->state == "completed") {
      Count("replayed");
      answer = Result{existing->response_status, existing->response_body, true, {}};
      return std::nullopt;
    }
    std::int64_t now = domain::NowMs();
    if (existing->locked_until < now) {
      std::string token = RandomHex(16);
      std::int64_t until = now + std::chrono::duration_cast<std::chrono::milliseconds>(options_.lease).count();
      bool won = false;
      db_.WriteStatement([&](storage::Tx& tx) {
        won = TakeOverRecord(tx, existing->id, existing->lease_token, token, now, until);
      });
      if (won) {
        Count("taken_over");
        ctx.Log(LogLevel::kWarn, "idempotency lease expired; retry takes over", {{"scope", request.scope}});
        return Claim{existing->id, token};
      }
      continue;  // another retry won the take-over: look again
    }
    if (request.wait_for_inflight && std::chrono::steady_clock::now() < wait_deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));  // poll with a deadline for the first to finish
      continue;
    }
    Count("in_progress");
    ApiError e(ErrorCode::kIdempotencyInProgress, "a request with this Idempotency-Key is still being processed");
    std::int64_t left_s = (existing->locked_until - now) / 1000 + 1;
    e.retry_after = static_cast<int>(std::clamp<std::int64_t>(left_s, 1, 5));
    throw e;
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
  Result answer;
  if (FaultActive(options_.fault, FaultPoint::kSkipIdempotencyClaim) && request.scope == "POST /v1/bookings") {
    db_.Write([&](storage::Tx& tx) {
      Outcome outcome = op(tx);
      answer = Result{outcome.status, std::move(outcome.body), false, std::move(outcome.changed_route)};
    });
    return answer;
  }
  auto claim = ClaimOrAnswer(ctx, request, answer);
  if (!claim) return answer;
  TriggerFault(options_.fault, FaultPoint::kSlowOperation);  // claimed, not yet executed
  auto lost_lease = [] {
    // Our lease ran out and a retry took the key over: what we did is rolled back.
    ApiError e(ErrorCode::kIdempotencyInProgress, "the request took longer than its lease; retry");
    e.retry_after = 1;
    return e;
  };
  std::optional<http::Response> problem;  // a 4xx the operation answered with
  try {
    db_.Write([&](storage::Tx& tx) {
      Outcome outcome;
      try {
        outcome = op(tx);
      } catch (const ApiError& e) {
        auto rendered = http::ProblemResponse(e, ctx.correlation_id);
        if (rendered.status >= 500) throw;
        problem = std::move(rendered);
        throw;  // roll the operation's transaction back; the answer is stored below
      }
      if (!CompleteRecord(tx, claim->id, claim->lease_token, outcome.status, outcome.body)) throw lost_lease();
      TriggerFault(options_.fault, FaultPoint::kBeforeCommit);
      answer = Result{outcome.status, std::move(outcome.body), false, std::move(outcome.changed_route)};
    });
  } catch (const ApiError& e) {
    if (problem) {
      // A 4xx leaves no write behind (its transaction rolled back); store the answer alone, still
      // guarded by our lease. A crash before this leaves only the claim, retried after the lease.
      bool stored = false;
      db_.WriteStatement([&](storage::Tx& tx) {
        stored = CompleteRecord(tx, claim->id, claim->lease_token, problem->status, problem->body);
      });
      if (!stored) throw lost_lease();
      Count("executed");
      return Result{problem->status, std::move(problem->body), false, {}};
    }
    if (e.code() != ErrorCode::kIdempotencyInProgress) Release(*claim);
    throw;
  } catch (...) {
    Release(*claim);
    throw;
  }
  TriggerFault(options_.fault, FaultPoint::kAfterCommit);
  Count("executed");
  return answer;
}

std::size_t Executor::Cleanup(std::int64_t now_ms, int batch) {
  std::size_t total = 0;
  for (;;) {
    std::size_t deleted = 0;
    std::size_t found = 0;
    db_.Write([&](storage::Tx& tx) {
      auto ids = ExpiredRecordIds(tx, now_ms, batch);
      found = ids.size();
      deleted = DeleteExpiredRecords(tx, ids, now_ms);
    });
    total += deleted;
    if (found < static_cast<std::size_t>(batch)) break;
  }
  return total;
}

}  // namespace rihla::idempotency
