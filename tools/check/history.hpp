#pragma once
// What rihla-check records: every HTTP exchange (one attempt of one operation) with its invoke
// and ack times, and the violations found in them. Plain data; single-threaded use.
#include <boost/json/object.hpp>

#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "freshness.hpp"

namespace rihla::check {

struct Exchange {
  std::uint64_t op_id = 0;        // the logical operation this attempt belongs to
  std::string op;                 // "search", "book", "cancel", "pay", "patch", "logout", ...
  std::size_t target = 0;
  std::string method;
  std::string path;
  std::string request_body;
  std::string correlation_id;     // the X-Correlation-ID sent
  std::string idempotency_key;
  double invoke = 0;              // seconds since the run started
  double ack = kNever;            // kNever when no answer arrived
  bool answered = false;
  int status = 0;
  std::string body;
  std::string answer_correlation; // the X-Correlation-ID received
  std::string x_cache;
  bool replayed = false;
  std::string error;              // transport error when !answered
};

struct Violation {
  std::string invariant;
  std::string message;
  std::vector<std::size_t> exchanges;  // indexes into the history that prove it
  boost::json::object detail;
};

// Exchanges by index; a deque so that references stay valid while it grows.
using History = std::deque<Exchange>;

boost::json::object ExchangeJson(const Exchange& e);
boost::json::object ViolationJson(const Violation& v, const History& history);

// The fixed invariant names, in report order.
inline const std::vector<std::string>& InvariantNames() {
  static const std::vector<std::string> kNames{"exactly_once", "no_oversell", "fresh_search", "correlation",
                                               "webhook_once"};
  return kNames;
}

}  // namespace rihla::check
