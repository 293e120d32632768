#pragma once
// The invariants other than fresh_search (see freshness.hpp), as pure functions over recorded
// exchanges and end-of-run state. Names and meanings are fixed by docs/checking.md.
#include <map>
#include <set>
#include <string>
#include <vector>

#include "history.hpp"

namespace rihla::check {

// A status and body as compared by exactly_once and webhook_once: the body's JSON with its
// top-level correlation_id removed, canonically serialised (raw text when it is not JSON).
std::string AnswerIdentity(int status, const std::string& body);
// Final answers for an idempotent request: any 2xx or 4xx other than 409 idempotency-in-progress.
bool IsFinal(const Exchange& e);

// One (user, key) with the exchanges sent under it. Probes reuse a key with another payload
// and must be refused with 422 idempotency-key-reused.
struct KeyedOperation {
  std::string user;
  std::string key;
  bool mismatch_probe = false;
  std::vector<std::size_t> exchanges;
};

// exactly_once, online part: all final answers of one (user, key) and payload agree; a
// probe never gets a 2xx.
std::vector<Violation> CheckAnswersAgree(const std::vector<KeyedOperation>& ops, const History& history);

// exactly_once, end part: `bookings_per_key` counts the bookings found in the owners' lists
// per key; `created_keys` are the keys that got 201 (with one exchange each, as evidence).
std::vector<Violation> CheckBookingsPerKey(const std::map<std::string, int>& bookings_per_key,
                                           const std::map<std::string, std::size_t>& created_keys);

struct FlightEndState {
  std::string flight_id;
  long long seats_total = 0;
  long long seats_available = 0;
  long long held_passengers = 0;  // passengers of pending_payment and confirmed bookings
};
std::vector<Violation> CheckNoOversell(const std::vector<FlightEndState>& flights);

// webhook_once: per event id, all 200 answers agree; per booking, at most one event answered
// "confirmed".
struct WebhookEvent {
  std::string event_id;
  std::string booking_id;
  std::vector<std::size_t> exchanges;
};
std::vector<Violation> CheckWebhookOnce(const std::vector<WebhookEvent>& events, const History& history);

// correlation: every answer echoes its own id; log lines (JSON objects, one per line) carrying
// one of our ids belong to that request (access line method and status match, one access line
// per request); requests without an access line are counted and are a violation only when no
// fault ran and no log reported dropped lines.
struct LogCheckInput {
  std::vector<std::string> log_lines;
  std::string id_prefix;     // ids the run sent start with this
  bool faults_ran = false;   // a fault command (possibly a SIGKILL) ran during the run
};
struct CorrelationResult {
  std::vector<Violation> violations;
  long long missing_access_lines = 0;
  long long dropped_lines_reported = 0;
  long long log_lines_read = 0;
};
CorrelationResult CheckCorrelation(const History& history, const LogCheckInput* logs);

}  // namespace rihla::check
