#pragma once
// The figures of one run and how they are shown: end tables on a stream, the --report JSON and
// the --html page (inline SVG, no external resources).
#include <boost/json/object.hpp>

#include <cstdint>
#include <map>
#include <ostream>
#include <string>
#include <vector>

#include "history.hpp"

namespace rihla::check {

struct OpStats {
  std::vector<double> latencies_ms;
  std::map<std::string, long long> statuses;  // "201", "409", ..., "error"
};

struct TimelinePoint {  // one second of the run
  long long ops = 0;
  long long errors = 0;
  std::vector<double> latencies_ms;
};

struct FaultRecord {
  double at = 0;
  std::string command;
  double started = -1;   // seconds since start; -1 when it never ran
  double finished = -1;
  int exit_status = -1;  // shell exit status; 128+n when killed by signal n
};

struct RunSummary {
  double duration_s = 0;
  std::vector<std::string> targets;
  std::uint64_t seed = 0;
  std::string id_prefix;
  std::map<std::string, OpStats> ops;
  std::vector<TimelinePoint> timeline;
  std::vector<FaultRecord> faults;
  long long cache_hits = 0;
  long long cache_misses = 0;
  // Requests without an HTTP answer by kind ("connect", "write", "read", "timeout", "resolve",
  // "impatient_timeout": the workload's deliberately short first timeouts), and
  // "reused_closed" (HttpClient::reused_closed()).
  std::map<std::string, long long> transport;
  std::map<std::string, std::vector<Violation>> invariants;  // every name of InvariantNames()
  std::vector<std::string> notes;                            // skipped checks, unsupported endpoints
  const History* history = nullptr;

  long long TotalViolations() const;
  // Requests that got no HTTP answer because of the network or the servers (connect, write,
  // read, timeout, resolve failures; not the impatient timeouts, not reused_closed).
  long long TransportErrors() const;
};

// p in [0, 1]; 0 for an empty sample. Sorts `values`.
double Percentile(std::vector<double>& values, double p);

void PrintTables(const RunSummary& s, std::ostream& out);
boost::json::object ReportJson(const RunSummary& s);
std::string HtmlReport(const RunSummary& s);

}  // namespace rihla::check
