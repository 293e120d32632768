#pragma once
// What happens to every request between the transport and a handler: correlation and trace
// ids, routing (404/405), media-type checks (415), authentication, the handler itself, the
// mapping of errors to problem+json, and the access log line and metrics. Transport-neutral.
//
// Threading: Begin and Finish run on an I/O thread and never block; Execute runs on a worker
// thread and may block on the database.
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "domain/credentials.hpp"
#include "domain/errors.hpp"
#include "http/message.hpp"
#include "http/router.hpp"
#include "observability/fault_point.hpp"
#include "observability/metric_families.hpp"
#include "observability/request_context.hpp"

namespace rihla::http {

// The token of an `Authorization: Bearer <token>` header (scheme case-insensitive), or empty.
std::string_view BearerToken(const Request& req);

struct Exchange {
  RequestContext ctx;
  Request request;
  Match match;
  std::optional<Response> response;  // set once answered
  // Set by Execute instead of `response` when the handler threw NotReady: the transport waits
  // this long without holding a worker, then calls Execute again.
  std::optional<std::chrono::milliseconds> park_for;
};

class Pipeline {
 public:
  // `auth` resolves bearer tokens; it is called from Execute only (worker threads).
  Pipeline(const Router& router, Logger& logger, Metrics& metrics, domain::CredentialResolver& auth,
           std::chrono::milliseconds request_deadline, FaultPoint fault = FaultPoint::kNone)
      : router_(router), logger_(logger), request_durations_(metrics.Family(metric::kHttpRequestDuration)),
        load_shed_(metrics.Family(metric::kLoadShed).WithLabels()),
        auth_(auth), request_deadline_(request_deadline), fault_(fault) {}

  // I/O thread: sets up the context, routes, rejects cheaply, tries the fast path and inline
  // handlers. Leaves `ex.response` empty when the request needs a worker (Execute).
  void Begin(Exchange& ex) const;
  // Worker thread: authentication and the handler. Sets `ex.response`, or `ex.park_for` when the
  // answer is not ready yet (then call it again after that wait).
  void Execute(Exchange& ex) const;
  // The worker queue was full: answer 503 with Retry-After.
  void Overloaded(Exchange& ex) const;
  // I/O thread: adds X-Correlation-ID, writes the access log line, records metrics.
  Response Finish(Exchange& ex) const;
  // A request the transport could not parse (bad framing, oversized body or headers).
  // Builds a fresh context from whatever headers were read and returns the finished response.
  Response RejectUnparsed(ErrorCode code, std::string detail, const Request& partial) const;

 private:
  void Answer(Exchange& ex, const std::exception_ptr& error) const;

  const Router& router_;
  Logger& logger_;
  const HistogramFamily<3> request_durations_;
  const Counter load_shed_;
  domain::CredentialResolver& auth_;
  std::chrono::milliseconds request_deadline_;
  FaultPoint fault_;
  mutable std::mutex mix_mu_;        // guards previous_id_ (mix_correlation fault only)
  mutable std::string previous_id_;
};

}  // namespace rihla::http
