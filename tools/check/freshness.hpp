#pragma once
// fresh_search: a linearizability check of search reads against the writes on one flight.
// Pure functions over a recorded history; no I/O, no clocks. Times are seconds since the run
// started (any monotonic scale works); an unanswered write has ack = +infinity.
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

namespace rihla::check {

inline constexpr double kNever = std::numeric_limits<double>::infinity();

// One write on a flight: a booking (seats_delta < 0), a cancel or an expiry (> 0), a seat patch
// (new seats_total - old seats_total) or a price patch (price_minor set).
struct FlightWrite {
  std::string label;        // what to print in a violation (operation + correlation ids)
  double invoke = 0;        // first attempt sent
  double ack = kNever;      // first final answer received; kNever when it never got one
  bool certain = true;      // true: the answer says it took effect; false: it may have
  std::int64_t seats_delta = 0;
  std::optional<std::int64_t> price_minor;
  std::vector<std::size_t> evidence;  // the caller's exchange indexes of this write's attempts
};

struct FlightHistory {
  std::int64_t initial_seats = 0;
  std::int64_t initial_price_minor = 0;
  std::vector<FlightWrite> writes;
};

// A search answer as seen for one flight: listed with seats/price, or absent (then some state
// between invoke and ack must have had fewer than `passengers` seats).
struct FlightRead {
  double invoke = 0;
  double ack = 0;
  int passengers = 1;
  bool listed = false;
  std::int64_t seats = 0;
  std::int64_t price_minor = 0;
};

struct ReadVerdict {
  bool ok = true;
  // When !ok: the writes that had to be visible (acked before the read was sent) and those
  // that might have been, by index into FlightHistory::writes, and the states that would have
  // been acceptable.
  std::vector<std::size_t> required;
  std::vector<std::size_t> optional;
  std::vector<std::int64_t> allowed_seats;   // capped list of acceptable seat counts
  std::vector<std::int64_t> allowed_prices;  // acceptable prices in minor units
};

// Whether `read` matches some state of the flight between its invoke and its ack: every
// certain write acked before read.invoke included, writes invoked after read.ack excluded, any
// other write (overlapping the read, or never answered) either way, with the included set
// closed under real-time order (a certain write that ended before an included one began is
// included too). Exact for up to kExactOptionalLimit overlapping writes; above that the seat
// and price checks run independently (which can only miss violations, never invent them).
inline constexpr std::size_t kExactOptionalLimit = 14;
ReadVerdict CheckRead(const FlightHistory& history, const FlightRead& read);

}  // namespace rihla::check
