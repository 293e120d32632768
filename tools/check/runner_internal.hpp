#pragma once
// The insides of one `rihla-check run` (runner.hpp is the interface): the Runner and the model
// of what it created and saw. Private to tools/check; its members are defined along the
// run's three parts:
//   runner.cpp      the run itself: requests and retries, the load's workers, progress, faults;
//   workload.cpp    set-up through the admin API and the operations of the mixed workload, with
//                   the invariant checks that can be judged as answers arrive;
//   end_checks.cpp  after the load: the end state, the complete checks, clean-up, outputs.
// Single-threaded on one io_context (fault commands run on their own threads).
#include "runner.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <stdexcept>
#include <thread>

#include "domain/json_input.hpp"
#include "freshness.hpp"
#include "history.hpp"
#include "http_client.hpp"
#include "invariants.hpp"
#include "report.hpp"

namespace rihla::check::detail {

namespace asio = boost::asio;
namespace json = boost::json;
using asio::awaitable;
using asio::use_awaitable;

inline constexpr double kRequestTimeout = 10;   // seconds per attempt
inline constexpr double kRetryGrace = 30;       // operations may retry this long past the end of the load
inline constexpr const char* kCurrency = "SAR";

std::optional<json::value> ParseBody(const std::string& body);

std::string StringField(const json::value& v, std::string_view name);

// "450.00" -> 45000; -1 when not a decimal amount.
long long MinorUnits(const std::string& amount);

std::string AmountText(long long minor);

// RFC 3339 UTC ("2026-12-01T08:00:00Z", fractions ignored) to unix seconds; -1 when malformed.
double UnixSeconds(const std::string& text);

std::string PercentEncode(const std::string& s);

class Zipf {
 public:
  Zipf(std::size_t n, double s) {
    double sum = 0;
    for (std::size_t k = 1; k <= n; ++k) cdf_.push_back(sum += 1.0 / std::pow(static_cast<double>(k), s));
    for (auto& c : cdf_) c /= sum;
  }
  template <class Rng>
  std::size_t operator()(Rng& rng) const {
    double u = std::uniform_real_distribution<double>(0, 1)(rng);
    return static_cast<std::size_t>(std::lower_bound(cdf_.begin(), cdf_.end(), u) - cdf_.begin());
  }

 private:
  std::vector<double> cdf_;
};

struct User {
  std::string id;
  std::string token;
};

struct Flight {
  std::string id;
  std::string from, to, cabin;
  std::size_t route = 0, date = 0;
  long long seats_total = 0;
  long long max_seats_total = 0;  // the largest seats_total ever asked for
  bool total_uncertain = false;   // a seat patch never got an answer
  long long price_minor = 0;
  bool patching = false;
  FlightHistory history;
  std::vector<std::pair<FlightRead, std::size_t>> reads;  // with the exchange that answered
  // GET /v1/flights/{id} answers, read from the database past any cache: they check the write
  // history itself (seats that do not add up are an accounting error, not a stale cache).
  std::vector<std::pair<FlightRead, std::size_t>> direct_reads;
  // Writes sent and not final yet, by operation id: possibly applied (the online checks).
  std::map<std::uint64_t, FlightWrite> in_flight;
  std::vector<std::size_t> bookings;  // indexes into Runner::bookings_
};

enum class BookingState { kPending, kConfirmed, kCancelled, kGone, kUnknown };

struct Booking {
  std::string id;
  std::size_t user = 0;
  std::size_t flight = 0;
  int passengers = 1;
  long long total_minor = 0;
  std::string key;
  BookingState state = BookingState::kPending;
  bool busy = false;
  double expires_s = kNever;  // run-relative expiry
};

struct Attempts {
  std::vector<std::size_t> exchanges;
  std::optional<std::size_t> final;
};

// A final answer for a request without a key: anything but a transport failure, 5xx or 429.
inline bool FinalForPlainRequest(const Exchange& e) { return e.answered && e.status < 500 && e.status != 429; }

// A booking as its owner's list showed it at the end of the run.
struct ListedBooking {
  std::string id, status, flight_id, key;
  int passengers = 0;
  std::size_t user = 0;
};

class Runner {
 public:
  explicit Runner(const RunOptions& o);

  int Execute();

 private:
  static std::vector<Target> Targets(const std::vector<std::string>& urls);

  double Now() const { return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count(); }
  // A random target among those that answered last time (or that were down for over a second);
  // any target when none is up.
  std::size_t RandomTarget();
  std::size_t Uniform(std::size_t n) { return n == 0 ? 0 : std::uniform_int_distribution<std::size_t>(0, n - 1)(rng_); }
  bool Chance(double p) { return std::uniform_real_distribution<double>(0, 1)(rng_) < p; }

  awaitable<void> Sleep(double seconds);

  // One attempt: records the exchange and its figures; returns its index in history_.
  awaitable<std::size_t> Call(std::uint64_t op_id, std::string op, std::size_t target, std::string method,
                              std::string path, std::string body, HeaderList headers, std::string key = {},
                              double timeout = kRequestTimeout);

  // Sends until a final answer, as a careful client does: same key and body, backoff with
  // jitter, another target after a transport failure. Gives up kRetryGrace after the load ends.
  awaitable<Attempts> UntilFinal(std::uint64_t op_id, std::string op, std::size_t target, std::string method,
                                 std::string path, std::string body, HeaderList headers, std::string key,
                                 bool idempotent, double first_timeout = kRequestTimeout);

  HeaderList UserAuth(std::size_t u) const { return {{"Authorization", "Bearer " + users_[u].token}}; }
  HeaderList AdminAuth() const { return {{"Authorization", "Bearer " + options_.admin_token}}; }

  // Runs fn(0..n-1) on `width` coroutines at once. (Waits below poll a counter: GCC 12 destroys
  // lambda temporaries in co_await expressions twice, so none are passed to coroutines.)
  awaitable<void> ForEach(std::size_t n, std::size_t width, std::function<awaitable<void>(std::size_t)> fn);

  // ---- set-up ----------------------------------------------------------------------------

  awaitable<bool> TargetsReachable();

  awaitable<bool> LoadAirports();

  awaitable<void> SignUpUsers(std::size_t count);

  // Routes among the first airports, a few far-future dates, two economy flights and one
  // business flight per route and date. Returns false when the admin API refuses.
  awaitable<bool> CreateFlights();

  // ---- workload --------------------------------------------------------------------------

  std::size_t PickFlight();

  std::optional<std::size_t> PickBooking(std::initializer_list<BookingState> states);

  awaitable<void> Search();

  std::string BookingBody(const std::string& flight_id, int passengers, const std::string& key);

  awaitable<void> Book();

  // A write on flight `fi` is sent (BeginWrite) and got its final answer or gave up (EndWrite);
  // in between, the online checks count it as possibly applied.
  void BeginWrite(std::size_t fi, std::uint64_t op_id, double invoke, std::int64_t seats_delta,
                  std::optional<std::int64_t> price_minor, std::string label);
  void EndWrite(std::size_t fi, std::uint64_t op_id) { flights_[fi].in_flight.erase(op_id); }

  // fresh_search (and, for direct reads, no_oversell) as far as it can be judged at the read's
  // ack: against the writes final so far, with every write still in flight and every expiry
  // that may have happened counted as possibly applied. That only adds freedom to the end
  // check (which knows how each write ended), so a read flagged here is flagged there too; the
  // end check is the one that reports, this one shows violations on the progress line as they
  // happen.
  void CheckOnline(std::size_t fi, const FlightRead& read);

  void AddAnswerViolations(const KeyedOperation& op);

  awaitable<void> Cancel();

  awaitable<void> Pay();

  awaitable<void> Patch();

  awaitable<void> ReadFlight(std::size_t fi);

  awaitable<void> GetBooking();

  awaitable<void> Worker();

  // Now and then a throwaway user signs up and logs out; its token must then be refused.
  awaitable<void> Logouts();

  awaitable<void> Progress();

  void StartFault(std::size_t i);

  awaitable<void> Faults();

  // ---- end of run ------------------------------------------------------------------------

  awaitable<std::vector<ListedBooking>> ListAll();

  // `skip` names flights whose write history is known to be wrong (a key booked twice, seats
  // that do not add up): another invariant has reported them, and their reads cannot be judged.
  void CheckFreshness(const std::set<std::string>& skip);

  awaitable<void> Cleanup(std::vector<ListedBooking> listed);

  // Reachability, airports, users and flights before the load starts. Returns nothing when all is
  // set up, else the message to print for what failed ("" when it was already printed).
  awaitable<std::optional<std::string>> SetUp();
  awaitable<void> Main();

  // After the load: the end-state checks, the clean-up, the log checks and the outputs.
  awaitable<void> Finish(double load_seconds);

  // Reads the end state (every owner's bookings, every flight) before the clean-up changes it
  // and runs the end checks of exactly_once, no_oversell, fresh_search and webhook_once.
  // Returns the bookings listed, for the clean-up.
  awaitable<std::vector<ListedBooking>> CheckEndState();

  // correlation, from the responses and the --log files (read once the faults are done).
  void CheckLogs();

  // The tables on stdout, --report and --html, and the exit code.
  void WriteOutputs(double load_seconds);

  RunOptions options_;
  asio::io_context io_;
  HttpClient client_;
  std::mt19937_64 rng_;
  std::string prefix_;
  std::size_t flight_number_base_ = 0;
  std::vector<double> down_until_;  // per target: not picked at random before this time  // flight numbers RC<base+i>, different for every run
  std::chrono::steady_clock::time_point start_;
  double start_wall_ = 0;
  int exit_code_ = kExitUsage;

  History history_;
  std::uint64_t next_request_ = 0, next_op_ = 0, next_key_ = 0;
  std::map<std::string, OpStats> stats_;
  std::vector<TimelinePoint> timeline_;
  long long online_stale_reads_ = 0;  // reads CheckOnline flagged (the end check reports them)
  long long errors_ = 0, online_violations_ = 0, cache_hits_ = 0, cache_misses_ = 0;
  std::map<std::string, long long> transport_;  // RunSummary::transport, but reused_closed
  bool load_done_ = false;
  double retry_deadline_ = 0;  // UntilFinal stops retrying after this (seconds since start)

  std::vector<std::string> airports_;
  std::vector<std::pair<std::string, std::string>> routes_;
  std::vector<std::string> dates_;
  std::vector<User> users_;
  std::vector<Flight> flights_;
  std::map<std::pair<std::size_t, std::size_t>, std::vector<std::size_t>> by_group_;
  std::vector<Booking> bookings_;
  Zipf route_zipf_{1, 1}, date_zipf_{1, 1};

  std::vector<KeyedOperation> keyed_ops_;
  std::map<std::string, std::size_t> created_keys_;
  std::map<std::string, std::size_t> key_flight_;  // booking key -> flight index
  std::set<std::string> unknown_keys_;
  std::vector<WebhookEvent> webhook_events_;
  std::map<std::string, std::vector<Violation>> violations_;
  bool list_incomplete_ = false;
  bool logout_supported_ = true;
  long long logouts_ = 0, revocation_failures_ = 0;
  std::vector<std::string> notes_;

  std::vector<FaultRecord> faults_;
  std::vector<std::thread> fault_threads_;
};

}  // namespace rihla::check::detail
