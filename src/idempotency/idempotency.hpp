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
//                                         poll until it completes, up to a deadline);
//       - started, lease over          -> take it over with a conditional UPDATE (one winner).
//  2. Execute the operation and store its response in ONE transaction, guarded by our lease
//     token; commit. A crash before commit leaves only the lease. An operation that answers with
//     a 4xx ApiError has its transaction rolled back (no partial write) and the problem stored
//     right after, still guarded by the lease.
//  3. 5xx or database failure: the claim is deleted, so the key stays retryable.
#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "domain/cache_scope.hpp"
#include "observability/fault_point.hpp"
#include "observability/metrics.hpp"
#include "observability/request_context.hpp"
#include "storage/database.hpp"

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
  bool wait_for_inflight = false;  // poll instead of answering 409 while the first one runs
};

struct Outcome {
  int status = 200;
  std::string body;
  std::optional<domain::CacheScope> changed_scope;  // cache scope the operation changed, if any
};

struct Result {
  int status = 200;
  std::string body;
  bool replayed = false;
  std::optional<domain::CacheScope> changed_scope;  // set only when this call executed the operation
};


struct Options {
  std::chrono::seconds lease{30};
  std::chrono::seconds ttl{86400};
  std::chrono::milliseconds wait_for_inflight{10000};
  FaultPoint fault = FaultPoint::kNone;
};

class Executor {
 public:
  Executor(storage::Database& db, Options options, Metrics& metrics);

  // The operation runs inside the transaction and returns the response to store. An ApiError
  // it throws with a 4xx status is stored as a problem response; anything else rolls back,
  // releases the key and propagates.
  using Operation = std::function<Outcome(storage::Tx&)>;
  Result Run(RequestContext& ctx, const Request& request, const Operation& op);

  // Deletes records past their retention (never a live lease), `batch` rows per transaction,
  // until none are left. Returns how many were deleted.
  std::size_t Cleanup(std::int64_t now_ms, int batch = 500);

  const Options& options() const { return options_; }

 private:
  struct Claim {
    std::string id;
    std::string lease_token;
  };
  // Returns the claim, or a Result to answer with (replay), or throws 409/422.
  std::optional<Claim> ClaimOrAnswer(RequestContext& ctx, const Request& request, Result& answer);
  void Release(const Claim& claim);
  void Count(std::string_view outcome);

  storage::Database& db_;
  Options options_;
  Metrics& metrics_;
};

}  // namespace rihla::idempotency
